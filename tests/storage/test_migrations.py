"""Alembic: the schema the migrations build is the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from storage.db import downgrade, get_engine, migrate
from storage.models import import_all_models


def test_migrations_match_the_models(db_url: str) -> None:
    import_all_models()
    with get_engine(db_url).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


def test_downgrade_to_empty_and_back(db_url: str) -> None:
    downgrade(db_url, "base")
    with get_engine(db_url).connect() as conn:
        names = set(get_engine(db_url).dialect.get_table_names(conn))
    assert names <= {"alembic_version"}
    migrate(db_url)
    with get_engine(db_url).connect() as conn:
        assert {"post", "review_event", "account"} <= set(
            get_engine(db_url).dialect.get_table_names(conn)
        )
