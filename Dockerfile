# Airflow's official image plus Postwarden (DAGs, pipeline, detectors, spaCy model from PyPI).
FROM apache/airflow:3.3.2-python3.11
USER root
RUN apt-get update && apt-get install -y --no-install-recommends tesseract-ocr \
    && rm -rf /var/lib/apt/lists/*
USER airflow
COPY --chown=airflow:root . /opt/postwarden
RUN pip install --no-cache-dir /opt/postwarden \
    && cp -r /opt/postwarden/dags/. /opt/airflow/dags/
