"""`postwarden ops`: pools for Airflow, the shard plan, purges, and creating the database."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import psycopg
import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from devkit.demo import run as demo
from postwarden.cli.main import app
from postwarden.cli.ops import ensure_database
from postwarden.settings import Settings, get_settings
from storage.db import session_scope
from storage.ops_models import PurgeRun

PG_ADMIN_URL = os.environ.get("POSTWARDEN_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
runner = CliRunner()


def test_pools_writes_a_file_airflow_imports(tmp_path: Path, settings: Settings) -> None:
    out = tmp_path / "pools.json"
    result = runner.invoke(app, ["ops", "pools", "--output", str(out)])
    assert result.exit_code == 0, result.output
    pools = json.loads(out.read_text())
    assert pools["postwarden_x"]["slots"] == settings.pull.pool_slots_per_platform
    assert "airflow pools import" in result.output


def test_shards_prints_counts_not_ids(settings: Settings) -> None:
    with session_scope(settings.engine) as s:
        demo.seed(s)
    result = runner.invoke(app, ["ops", "shards"])
    assert result.exit_code == 0, result.output
    assert result.output.split() == ["x", "3", "account(s)", "in", "1", "shard(s)", "of", "3-3"]


def test_purge_and_purges(settings: Settings) -> None:
    with session_scope(settings.engine) as s:
        demo.seed(s)
    first = runner.invoke(app, ["ops", "purges"])
    assert first.exit_code == 0 and "no purge has run yet" in first.output
    result = runner.invoke(app, ["ops", "purge", "--retention-days", "30"])
    assert result.exit_code == 0, result.output
    assert "0 item(s)" in result.output
    listed = runner.invoke(app, ["ops", "purges"])
    assert "(cli) retention 30d" in listed.output
    with Session(settings.engine) as s:
        assert [r.retention_days for r in s.exec(select(PurgeRun)).all()] == [30]
    bad = runner.invoke(app, ["ops", "purge", "--retention-days", "-1"])
    assert bad.exit_code != 0


@pytest.mark.postgres
def test_create_database_creates_once(monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"pw_create_{uuid.uuid4().hex[:8]}"
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    url = f"{base}/{name}"
    try:
        assert ensure_database(url) is True
        assert ensure_database(url) is False
        monkeypatch.setenv("POSTWARDEN_DATABASE_URL", url)
        get_settings.cache_clear()
        result = runner.invoke(app, ["ops", "create-database"])
        assert result.exit_code == 0 and f"{name}: exists already" in result.output
    finally:
        get_settings.cache_clear()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    assert ensure_database("sqlite:///x.db") is False
