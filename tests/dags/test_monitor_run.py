"""`dag.test()` end to end: sandbox over HTTP -> Airflow tasks -> SQLite -> review items."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, select

from devkit.airflow_env import REPO_DAGS
from devkit.demo import run as demo
from devkit.sandbox.server import SandboxServer
from postwarden.settings import Settings, get_settings
from storage.db import session_scope
from storage.models import Account, AccountState, Post, ReviewItem


@pytest.fixture
def demo_world(
    airflow_db: Path, sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Settings, SandboxServer]]:
    with SandboxServer(tokens={demo.SANDBOX_TOKEN}) as sandbox:
        for conn_id, fields in demo.demo_connections(sandbox.url).items():
            monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(fields))
        monkeypatch.setenv("POSTWARDEN_PULL__BACKFILL_DAYS", "3650")
        get_settings.cache_clear()
        settings = get_settings()
        with session_scope(settings.engine) as session:
            demo.seed(session)
        yield settings, sandbox
    get_settings.cache_clear()


def test_one_cycle_through_airflow_ends_in_review_items(
    demo_world: tuple[Settings, SandboxServer],
) -> None:
    from airflow.dag_processing.dagbag import DagBag

    settings, sandbox = demo_world
    dag = DagBag(dag_folder=str(REPO_DAGS)).dags["postwarden_monitor"]
    run = dag.test()
    assert str(run.state) == "success"

    with Session(settings.engine) as s:
        accounts = {a.handle: a for a in s.exec(select(Account)).all()}
        for handle in ("OakfieldPrimary", "RiversideAcad", "MrHughesPE"):
            account = accounts[handle]
            assert account.state == AccountState.OK, account.last_error
            stored = s.exec(select(Post).where(Post.account_id == account.id)).all()
            assert len(stored) == len(sandbox.tweets_of(account.external_id)) > 0
        assert accounts["OakfieldDrama"].state == AccountState.NEW, "unapproved: never pulled"
        posts = s.exec(select(Post)).all()
        assert all(p.detected_hash == p.content_hash for p in posts), "every post scanned"
        items = s.exec(select(ReviewItem)).all()
        assert items, "the demo timeline's breaches open review items"
        assert all(i.assignee_id is not None for i in items)
