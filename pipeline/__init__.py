"""Use cases of the monitoring cycle: pull, scan, retention. No Airflow imports."""
