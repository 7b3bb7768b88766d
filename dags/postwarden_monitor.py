"""postwarden_monitor: pull every approved account, scan what is new, open review items.

Thin by design: each task imports its body from `postwarden.pipeline` (which imports no Airflow)
at run time, so parsing this file touches no database, connection or network.

Accounts are pulled in shards (`postwarden.sharding`): one mapped task per platform, each shard
a list of account ids, each platform's shards in its own pool (`postwarden_<platform>`), so
Airflow's `max_map_length` bounds the fan-out and the pool's slots bound the API request rate.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.sdk import dag, task

from postwarden import sharding
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
    schedule=get_settings().monitor_schedule or None,  # empty: triggered runs only
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["postwarden"],
    doc_md=__doc__,
)
def postwarden_monitor() -> None:
    @task
    def plan_shards(platform: str) -> list[list[int]]:
        """Shards of one platform's approved, active accounts (section 4): ids only."""
        from airflow.sdk import conf

        from postwarden import sharding

        limit = conf.getint("core", "max_map_length")
        return sharding.plan_shards(max_map_length=limit)[platform]

    @task
    def pull_shard(account_ids: list[int]) -> dict[str, int]:
        """A shard's new posts; platform faults are recorded on each account, not raised."""
        from dataclasses import asdict

        from postwarden import pipeline
        from postwarden.credentials import from_airflow
        from postwarden.logging_setup import install_redaction

        install_redaction()
        return asdict(pipeline.pull_shard(account_ids, credentials=from_airflow))

    @task(trigger_rule="all_done")
    def scan() -> int:
        """Scan every unscanned post (even if some pulls failed) and route review items."""
        from postwarden import pipeline
        from postwarden.credentials import from_airflow

        stacks: list[pipeline.Stack] = []

        def load(settings: pipeline.Settings) -> pipeline.Stack:
            stacks.append(pipeline.load_stack(settings))
            return stacks[-1]

        try:
            return pipeline.scan_pending(load=load, credentials=from_airflow).items_opened
        finally:
            # A task process ends with os._exit: stop the detectors' worker processes ourselves,
            # or they outlive it (found by benchmarks/bench_scale.py).
            for stack in stacks:
                getattr(stack, "close", lambda: None)()

    @task(trigger_rule="all_done")
    def review() -> dict[str, object]:
        """DSL alerts (8.4/8.5), overdue items to the Director of IT, due mail (issue 5)."""
        from dataclasses import asdict

        from postwarden.review_actions import housekeeping

        return asdict(housekeeping())

    # Per platform: plan its shards, then one mapped pull per shard in the platform's pool.
    pulls = [
        pull_shard.override(task_id=f"pull_{p}", pool=sharding.pool_name(p)).expand(
            account_ids=plan_shards.override(task_id=f"plan_{p}")(platform=p)
        )
        for p in sharding.platforms()
    ]
    pulls >> scan() >> review()


postwarden_monitor()
