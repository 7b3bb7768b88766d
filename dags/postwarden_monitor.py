"""postwarden_monitor: pull every approved account, scan what is new, open review items.

Thin by design: each task imports its body from `postwarden.pipeline` (which imports no Airflow)
at run time, so parsing this file touches no database, connection or network.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.sdk import dag, task

from postwarden.settings import get_settings

DEFAULT_ARGS = {
    "owner": "postwarden",
    "retries": 2,
    "retry_delay": timedelta(minutes=1),
    "retry_exponential_backoff": True,
    "execution_timeout": timedelta(minutes=30),
}


@dag(
    dag_id="postwarden_monitor",
    schedule=get_settings().monitor_schedule,
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["postwarden"],
    doc_md=__doc__,
)
def postwarden_monitor() -> None:
    @task
    def list_accounts() -> list[int]:
        """Active accounts with a recorded Headteacher approval (section 4)."""
        from postwarden import pipeline

        return pipeline.list_accounts()

    @task(max_active_tis_per_dagrun=4)
    def pull(account_id: int) -> int:
        """One account's new posts; platform faults are recorded on the account, not raised."""
        from postwarden import pipeline
        from postwarden.credentials import from_airflow

        pipeline.pull_account(account_id, credentials=from_airflow)
        return account_id

    @task(trigger_rule="all_done")
    def scan(pulled: list[int]) -> int:
        """Scan every unscanned post (even if some pulls failed) and route review items."""
        from postwarden import pipeline

        return pipeline.scan_pending().items_opened

    scan(pull.expand(account_id=list_accounts()))


postwarden_monitor()
