"""DAG integrity: imports cleanly, touches no database, connection or network at parse time."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from devkit.airflow_env import REPO_DAGS
from pipeline import sharding


def _forbid(name: str):  # type: ignore[no-untyped-def]
    def boom(*_a: Any, **_k: Any) -> Any:
        raise AssertionError(f"{name} used while parsing DAG files")

    return boom


@pytest.fixture
def dagbag(monkeypatch: pytest.MonkeyPatch) -> Any:
    from airflow.dag_processing.dagbag import DagBag

    import pipeline.credentials
    import postwarden.airflow_connections
    import storage.db

    monkeypatch.setattr(socket.socket, "connect", _forbid("network"))
    monkeypatch.setattr(storage.db, "get_engine", _forbid("the Postwarden database"))
    monkeypatch.setattr(pipeline.credentials, "from_environment", _forbid("a connection"))
    monkeypatch.setattr(postwarden.airflow_connections, "from_airflow", _forbid("a connection"))
    return DagBag(dag_folder=str(REPO_DAGS))


def test_no_import_errors(dagbag: Any) -> None:
    assert dagbag.import_errors == {}
    assert "postwarden_monitor" in dagbag.dag_ids


def test_parsing_imports_none_of_the_heavy_stack() -> None:
    """Airflow parses DAG files often: they read only the schedule, never the product."""
    import subprocess
    import sys

    code = (
        "import runpy, sys; "
        f"[runpy.run_path(p) for p in {[str(p) for p in sorted(REPO_DAGS.glob('*.py'))]!r}]; "
        "heavy = ['presidio_analyzer', 'spacy', 'tweepy', 'atproto', 'sqlmodel', "
        "'detectors.stack', 'postwarden.settings', 'fastapi']; "
        "print([m for m in heavy if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO_DAGS.parent,
    )
    assert out.stdout.strip() == "[]", out.stdout


def test_monitor_shape(dagbag: Any) -> None:
    dag = dagbag.dags["postwarden_monitor"]
    pulls = {f"pull_{p}" for p in sharding.platforms()}
    plans = {f"plan_{p}" for p in sharding.platforms()}
    assert {t.task_id for t in dag.tasks} == {"plan_scan", "scan", "review", *plans, *pulls}
    assert dag.max_active_runs == 1 and dag.catchup is False
    assert dag.schedule == "*/15 * * * *"
    assert all(t.retries >= 2 for t in dag.tasks), "every task retries"
    for task_id in pulls:
        pull = dag.get_task(task_id)
        assert type(pull).__name__.endswith("MappedOperator"), "pulls are mapped over shards"
        platform = task_id.removeprefix("pull_")
        assert pull.pool == sharding.pool_name(platform)
        assert pull.upstream_task_ids == {f"plan_{platform}"}
    assert dag.get_task("plan_scan").trigger_rule == "all_done"
    assert dag.get_task("plan_scan").upstream_task_ids == pulls
    scan = dag.get_task("scan")
    assert type(scan).__name__.endswith("MappedOperator"), "the scan fans out over post ranges"
    assert scan.upstream_task_ids == {"plan_scan"}
