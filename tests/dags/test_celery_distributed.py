"""The production shape for real: scheduler, dag-processor, api-server and a Celery worker as
separate processes on the machine's PostgreSQL and Redis run `postwarden_monitor` against the
sandbox; the review items land in Postwarden's PostgreSQL database; every process stops cleanly.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis
from sqlmodel import Session, select

from devkit.cluster import AirflowCluster
from devkit.demo import run as demo
from devkit.sandbox.server import SandboxServer
from pipeline import sharding
from storage.db import get_engine, migrate, session_scope
from storage.models import Account, AccountState, Post, ReviewItem

PG_ADMIN_URL = os.environ.get("POSTWARDEN_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("POSTWARDEN_TEST_REDIS", "redis://127.0.0.1:6379/0")


def _pg_url(name: str, driver: str = "postgresql+psycopg") -> str:
    return f"{PG_ADMIN_URL.rsplit('/', 1)[0].replace('postgresql', driver, 1)}/{name}"


@pytest.fixture
def throwaway_databases() -> Iterator[tuple[str, str]]:
    """Airflow's metadata DB and Postwarden's DB, created for this test and dropped after."""
    tag = uuid.uuid4().hex[:8]
    names = (f"pw_airflow_{tag}", f"pw_data_{tag}")
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        for name in names:
            conn.execute(f'CREATE DATABASE "{name}"')
    yield _pg_url(names[0]), _pg_url(names[1])
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.airflow
@pytest.mark.postgres
def test_monitor_runs_on_celery_workers(
    tmp_path: Path, throwaway_databases: tuple[str, str]
) -> None:
    airflow_url, data_url = throwaway_databases
    migrate(data_url)
    with session_scope(get_engine(data_url)) as session:
        demo.seed(session)

    with SandboxServer(tokens={demo.SANDBOX_TOKEN}) as sandbox:
        env = {
            f"AIRFLOW_CONN_{conn_id.upper()}": json.dumps(fields)
            for conn_id, fields in demo.demo_connections(sandbox.url).items()
        }
        env["POSTWARDEN_PULL__BACKFILL_DAYS"] = "3650"
        env["POSTWARDEN_AIRFLOW__MONITOR_SCHEDULE"] = ""  # only the run this test triggers
        env["POSTWARDEN_AIRFLOW__HOUSEKEEPING_SCHEDULE"] = ""
        env["POSTWARDEN_PULL__SHARD_SIZE"] = "2"  # the three approved X accounts make two shards
        cluster = AirflowCluster(
            home=tmp_path / "cluster",
            airflow_db_url=airflow_url,
            postwarden_db_url=data_url,
            executor="CeleryExecutor",
            broker_url=REDIS_URL,
            workers=1,
            worker_concurrency=2,
            parallelism=4,
            extra_env=env,
        )
        pools = sharding.pools(2)
        cluster.prepare(pools)
        try:
            cluster.start()
            cluster.wait_ready(["postwarden_monitor"], timeout=90)
            run_id = cluster.trigger("postwarden_monitor")
            state = cluster.wait_for_run("postwarden_monitor", run_id, timeout=120)
            tasks = cluster.task_states("postwarden_monitor", run_id)
        finally:
            report = cluster.stop()
            _forget_queue(cluster.marker)
        assert cluster.ours() == [], "no process of the cluster outlives stop()"
        assert report.stragglers_killed == ()
        assert set(report.signals.values()) <= {"SIGINT", "SIGTERM"}, report.signals
        assert state == "success", (tasks, (cluster.logs / "scheduler.log").read_text()[-4000:])
        # Two X shards ran as mapped task instances on the worker; other platforms had none.
        assert tasks.get("success", 0) >= 2 + 1 + len(sharding.platforms())
        assert sandbox.request_count("/2/users/") >= 3

    with Session(get_engine(data_url)) as s:
        accounts = {a.handle: a for a in s.exec(select(Account)).all()}
        for handle in ("OakfieldPrimary", "RiversideAcad", "MrHughesPE"):
            assert accounts[handle].state == AccountState.OK, accounts[handle].last_error
        assert accounts["OakfieldDrama"].state == AccountState.NEW, "unapproved: never pulled"
        posts = s.exec(select(Post)).all()
        assert posts and all(p.detected_hash == p.content_hash for p in posts)
        items = s.exec(select(ReviewItem)).all()
        assert items and all(i.assignee_id is not None for i in items)
        flagged = {i.post_id for i in items}
        assert all((p.text is None) == (p.id not in flagged) for p in posts), "minimised"
    get_engine(data_url).dispose()


def _forget_queue(queue: str) -> None:
    """Our broker keys only (the queue is named after the cluster's marker)."""
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"*{queue}*"))
    if keys:
        client.delete(*keys)
