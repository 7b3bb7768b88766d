"""Shared fixtures: a migrated database on SQLite and on the machine's real PostgreSQL."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from postwarden.settings import Settings, get_settings
from storage.db import get_engine, migrate
from storage.models import import_all_models

import_all_models()

# CI and every developer machine run PostgreSQL here; a missing server fails loudly, never skips.
PG_ADMIN_URL = os.environ.get("POSTWARDEN_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once; each test copies the file (much faster than migrating per test)."""
    path = tmp_path_factory.mktemp("tpl") / "template.db"
    migrate(f"sqlite:///{path}")
    get_engine.cache_clear()
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throw-away database on the real server, migrated from empty, dropped at the end."""
    name = f"postwarden_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    url = f"{base}/{name}"
    migrate(url)
    yield url
    get_engine(url).dispose()
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _truncate_postgres(engine: Engine) -> None:
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        # TRUNCATE fires no row triggers, so the append-only audit log can still be reset here.
        conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    """Each test gets an empty, migrated database of each kind."""
    if request.param == "sqlite":
        path = tmp_path / "postwarden.db"
        shutil.copy(sqlite_template, path)
        url = f"sqlite:///{path}"
        yield url
        get_engine(url).dispose()
    else:
        url = request.getfixturevalue("postgres_url")
        _truncate_postgres(get_engine(url))
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only, for tests whose subject is not the database."""
    path = tmp_path / "postwarden.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


def _settings(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setenv("POSTWARDEN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("POSTWARDEN_DATABASE_URL", url)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture
def settings(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Settings pointing at the parametrised database (SQLite and PostgreSQL)."""
    yield from _settings(db_url, tmp_path, monkeypatch)


@pytest.fixture
def sqlite_settings(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    yield from _settings(sqlite_url, tmp_path, monkeypatch)


@pytest.fixture
def session(db_url: str) -> Iterator[Session]:
    with Session(get_engine(db_url), expire_on_commit=False) as s:
        yield s
