"""postwarden_housekeeping: hold pupils' data only as long as a reviewer may need it.

Daily by default (`POSTWARDEN_AIRFLOW__HOUSEKEEPING_SCHEDULE`): purges the text, finding evidence
and audit-event notes of review items closed more than `POSTWARDEN_RETENTION__DAYS_CLOSED` days ago,
drops any text still held for posts that opened no item, and records the run in `purge_run`
(who/what/when of the audit trail stays). The body is `pipeline.retention.purge`, which imports no
Airflow; parsing this file touches no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.sdk import dag, get_current_context, task

from postwarden.schedules import schedules

DEFAULT_ARGS = {
    "owner": "postwarden",
    "retries": 2,
    "retry_delay": timedelta(minutes=5),
    "retry_exponential_backoff": True,
    "execution_timeout": timedelta(hours=2),
}


@dag(
    dag_id="postwarden_housekeeping",
    schedule=schedules().housekeeping_schedule or None,
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["postwarden"],
    doc_md=__doc__,
)
def postwarden_housekeeping() -> None:
    @task
    def purge() -> dict[str, object]:
        """Purge what retention no longer allows us to hold; returns the run's counts."""
        from pipeline.retention import purge as run_purge
        from postwarden.logging_setup import install_redaction
        from postwarden.settings import get_settings

        install_redaction()
        settings = get_settings()
        run_id = str(get_current_context()["run_id"])
        return run_purge(
            settings.engine, days_closed=settings.retention.days_closed, trigger=run_id
        ).as_dict()

    purge()


postwarden_housekeeping()
