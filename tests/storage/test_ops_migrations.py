"""Revision 0005 (ops): upgrades a database in use in place, and downgrades cleanly."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DatabaseError

from storage.db import downgrade, get_engine, migrate

T = datetime(2026, 10, 1, tzinfo=UTC).replace(tzinfo=None).isoformat(sep=" ")


def _tables(url: str) -> set[str]:
    with get_engine(url).connect() as conn:
        return set(get_engine(url).dialect.get_table_names(conn))


def _seed_0001(url: str) -> None:
    """Rows of a trust that ran revision 0001 for a while (written in 0001's own columns)."""
    with get_engine(url).begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO account (id, platform, external_id, handle, kind, conn_id, active,"
                " state, posts_pulled, reads_spent, created_at)"
                " VALUES (1, 'x', '42', 'Oak', 'official',"
                f" 'c', true, 'ok', 1, 1, '{T}')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO post (id, platform, external_id, account_id, text, created_at,"
                " content_hash, detected_hash, deleted, pulled_at, updated_at)"
                " VALUES (1, 'x', '7', 1,"
                f" 'Amelia in Year 4', '{T}', 'h', 'h', false, '{T}', '{T}')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO reviewitem (id, post_id, state, severity, due_at, route_reason,"
                f" opened_at, updated_at, closed_at) VALUES (1, 1, 'resolved', 'high', '{T}', 'r',"
                f" '{T}', '{T}', '{T}')"
            )
        )
        conn.execute(sa.text(
            "INSERT INTO review_event (id, item_id, action, note, state, at)"
            f" VALUES (1, 1, 'comment', 'Amelia again', 'resolved', '{T}')"
        ))  # fmt: skip


def _purge_note(url: str) -> None:
    with get_engine(url).begin() as conn:
        conn.execute(sa.text("UPDATE review_event SET note = '[purged]' WHERE id = 1"))


def test_upgrade_in_place_keeps_data_and_lets_the_purge_blank_notes(db_url: str) -> None:
    downgrade(db_url, "base")
    migrate(db_url, "0001")
    _seed_0001(db_url)
    with pytest.raises(DatabaseError, match="append-only"):
        _purge_note(db_url)
    migrate(db_url)  # every head, ops included
    assert {"purge_run", "purge_record"} <= _tables(db_url)
    with get_engine(db_url).connect() as conn:
        assert conn.execute(sa.text("SELECT text FROM post WHERE id = 1")).scalar() == (
            "Amelia in Year 4"
        )
    _purge_note(db_url)
    with get_engine(db_url).connect() as conn:
        row = conn.execute(sa.text("SELECT note, action FROM review_event")).one()
    assert tuple(row) == ("[purged]", "comment")


def test_downgrade_of_the_ops_branch_restores_the_strict_audit_log(db_url: str) -> None:
    _seed_0001(db_url)
    downgrade(db_url, "ops@-1")
    assert not {"purge_run", "purge_record"} & _tables(db_url)
    assert "review_event" in _tables(db_url), "other branches untouched"
    with pytest.raises(DatabaseError, match="append-only"):
        _purge_note(db_url)
    migrate(db_url)
    _purge_note(db_url)
