"""postwarden_monitor: pull every approved account, scan what is new, open review items.

Thin by design: each task imports its body from `pipeline` (which imports no Airflow) at run
time, so parsing this file touches no database, connection or network; it reads only the
schedule (`postwarden.schedules`).

Accounts are pulled in shards (`pipeline.sharding`): one mapped task per platform, each shard
a list of account ids, each platform's shards in its own pool (`postwarden_<platform>`), so
Airflow's `max_map_length` bounds the fan-out and the pool's slots bound the API request rate.
The scan fans out too: `plan_scan` splits the unscanned posts into id ranges and one mapped `scan`
task scores each, so two Celery workers (or LocalExecutor's processes) score in parallel.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.sdk import dag, task

from pipeline import sharding
from postwarden.schedules import schedules

DEFAULT_ARGS = {
    "owner": "postwarden",
    "retries": 2,
    "retry_delay": timedelta(minutes=1),
    "retry_exponential_backoff": True,
    "execution_timeout": timedelta(minutes=30),
}


@dag(
    dag_id="postwarden_monitor",
    schedule=schedules().monitor_schedule or None,  # empty: triggered runs only
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

        from postwarden.settings import get_settings

        settings = get_settings()
        limit = conf.getint("core", "max_map_length")
        plan = sharding.plan_shards(
            settings.engine, shard_size=settings.pull.shard_size, max_map_length=limit
        )
        return plan[platform]

    @task
    def pull_shard(account_ids: list[int]) -> dict[str, int]:
        """A shard's new posts; platform faults are recorded on each account, not raised."""
        from dataclasses import asdict

        from pipeline.pull import pull_shard as pull
        from postwarden.airflow_connections import from_airflow
        from postwarden.logging_setup import install_redaction
        from postwarden.settings import get_settings

        install_redaction()
        return asdict(pull(account_ids, get_settings().pipeline(), credentials=from_airflow))

    @task(trigger_rule="all_done")
    def plan_scan() -> list[list[int]]:
        """The unscanned posts (even if some pulls failed) as id ranges, one per scan task."""
        from pipeline import scan as scanning
        from postwarden.settings import get_settings

        return [list(bounds) for bounds in scanning.plan_scan(get_settings().pipeline())]

    @task
    def scan(bounds: list[int]) -> int:
        """Scan one range of unscanned posts and route review items. Mapped, so the executor's
        workers score ranges in parallel (a Celery task cannot fork the detectors' own pool)."""
        from pipeline import scan as scanning
        from pipeline.config import PipelineConfig
        from postwarden.airflow_connections import from_airflow
        from postwarden.settings import get_settings

        stacks: list[scanning.Stack] = []

        def load(config: PipelineConfig) -> scanning.Stack:
            stacks.append(scanning.load_stack(config))
            return stacks[-1]

        try:
            config = get_settings().pipeline()
            after_id, until_id = bounds
            return scanning.scan_pending(
                config, load=load, credentials=from_airflow, after_id=after_id, until_id=until_id
            ).items_opened
        finally:
            # A task process ends with os._exit: stop the detectors' worker processes ourselves,
            # or they outlive it (found by benchmarks/bench_scale.py).
            for stack in stacks:
                getattr(stack, "close", lambda: None)()

    @task(trigger_rule="all_done")
    def review() -> dict[str, object]:
        """DSL alerts (8.4/8.5), overdue items to the Director of IT, due mail (issue 5)."""
        from dataclasses import asdict

        from postwarden.settings import get_settings
        from review.domain.after_cycle import after_cycle

        settings = get_settings()
        return asdict(after_cycle(settings.engine, config=settings.review, smtp=settings.smtp))

    # Per platform: plan its shards, then one mapped pull per shard in the platform's pool.
    pulls = [
        pull_shard.override(task_id=f"pull_{p}", pool=sharding.pool_name(p)).expand(
            account_ids=plan_shards.override(task_id=f"plan_{p}")(platform=p)
        )
        for p in sharding.platforms()
    ]
    planned = plan_scan()
    pulls >> planned
    scan.expand(bounds=planned) >> review()


postwarden_monitor()
