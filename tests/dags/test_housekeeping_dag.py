"""postwarden_housekeeping through Airflow (`dag.test()`): the purge runs and is recorded."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from connectors.base import PulledPost
from devkit.airflow_env import REPO_DAGS
from devkit.demo import run as demo
from postwarden.settings import Settings, get_settings
from storage import crud
from storage.db import session_scope
from storage.models import Account, Post, ReviewItem
from storage.ops_models import PurgeRun
from storage.types import utcnow


@pytest.fixture
def dag() -> Iterator[object]:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO_DAGS))
    assert bag.import_errors == {}
    yield bag.dags["postwarden_housekeeping"]


def test_shape(dag: object) -> None:
    assert dag.schedule == "@daily" and dag.catchup is False and dag.max_active_runs == 1  # type: ignore[attr-defined]
    assert {t.task_id for t in dag.tasks} == {"purge"}  # type: ignore[attr-defined]
    assert all(t.retries >= 2 for t in dag.tasks)  # type: ignore[attr-defined]


def test_a_run_purges_items_closed_past_retention(
    airflow_db: Path, sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch, dag: object
) -> None:
    monkeypatch.setenv("POSTWARDEN_RETENTION__DAYS_CLOSED", "30")
    get_settings.cache_clear()
    engine = sqlite_settings.engine
    with session_scope(engine) as s:
        demo.seed(s)
        account = s.exec(select(Account)).first()
        assert account is not None
        posted = [PulledPost(external_id="9", text="Amelia Year 4 ZQDAG", created_at=utcnow())]
        crud.upsert_posts(s, account=account, posts=posted)
        post = s.exec(select(Post)).one()
        item, _ = crud.open_or_update_item(
            s, post=post, severity="high", assignee_id=None, reason="r", due_in=timedelta(1)
        )  # type: ignore[arg-type]
        item.state, item.closed_at = "resolved", utcnow() - timedelta(days=31)
        s.add(item)
    run = dag.test()  # type: ignore[attr-defined]
    assert str(run.state) == "success"
    with Session(engine) as s:
        assert s.exec(select(Post)).one().text is None
        purge = s.exec(select(PurgeRun)).one()
        assert (purge.items_purged, purge.retention_days) == (1, 30)
        assert purge.trigger == run.run_id
        assert s.exec(select(ReviewItem)).one().state == "resolved"
    get_settings.cache_clear()
