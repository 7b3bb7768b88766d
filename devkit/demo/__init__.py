"""The demo trust: seed data, one cycle through Airflow, a log-in per role."""
