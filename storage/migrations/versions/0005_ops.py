"""ops: purge runs and records; review_event lets a purge blank a note (and nothing else)

Revision ID: 0005
Revises: 0001
Create Date: 2026-11-25 03:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision: str = "0005"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("ops",)
depends_on: str | Sequence[str] | None = None

# Frozen copies (a migration must not change when application modules do).
PURGED = "[purged]"
APPEND_ONLY = "review_event is append-only"
# Every column of review_event but `note`: a purge may change none of them.
KEPT = ("id", "item_id", "actor_id", "action", "assignee_id", "state", "at")


def upgrade() -> None:
    op.create_table(
        "purge_run",
        sa.Column("retention_days", sa.Integer(), nullable=False),
        sa.Column("cutoff", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("items_purged", sa.Integer(), nullable=False),
        sa.Column("posts_purged", sa.Integer(), nullable=False),
        sa.Column("findings_purged", sa.Integer(), nullable=False),
        sa.Column("notes_purged", sa.Integer(), nullable=False),
        sa.Column("unflagged_texts_dropped", sa.Integer(), nullable=False),
        sa.Column("trigger", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "purge_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("closed_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("purged_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["reviewitem.id"]),
        sa.ForeignKeyConstraint(["post_id"], ["post.id"]),
        sa.ForeignKeyConstraint(["run_id"], ["purge_run.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("purge_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_purge_record_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_purge_record_run_id"), ["run_id"], unique=False)
    _audit_allows_purged_note()


def _audit_allows_purged_note() -> None:
    """The audit log keeps refusing DELETE and every UPDATE, except the one a purge makes:
    `note` becomes the marker while who, what, when and the state stay exactly as they were."""
    if op.get_bind().dialect.name == "postgresql":
        same = " AND ".join(f"NEW.{c} IS NOT DISTINCT FROM OLD.{c}" for c in KEPT)
        op.execute(
            "CREATE OR REPLACE FUNCTION review_event_append_only() RETURNS trigger AS $$ BEGIN "
            f"IF TG_OP = 'UPDATE' AND NEW.note = '{PURGED}' AND {same} THEN RETURN NEW; END IF; "
            f"RAISE EXCEPTION '{APPEND_ONLY}'; END; $$ LANGUAGE plpgsql"
        )
    else:
        same = " AND ".join(f'NEW."{c}" IS OLD."{c}"' for c in KEPT)
        op.execute("DROP TRIGGER IF EXISTS review_event_no_update")
        op.execute(
            "CREATE TRIGGER review_event_no_update BEFORE UPDATE ON review_event "
            f"WHEN NOT (NEW.note = '{PURGED}' AND {same}) "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
        )


def _audit_strictly_append_only() -> None:
    """Back to revision 0001's triggers: no UPDATE at all."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION review_event_append_only() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END; $$ LANGUAGE plpgsql"
        )
    else:
        op.execute("DROP TRIGGER IF EXISTS review_event_no_update")
        op.execute(
            "CREATE TRIGGER review_event_no_update BEFORE UPDATE ON review_event "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
        )


def downgrade() -> None:
    _audit_strictly_append_only()
    with op.batch_alter_table("purge_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_purge_record_run_id"))
        batch_op.drop_index(batch_op.f("ix_purge_record_item_id"))
    op.drop_table("purge_record")
    op.drop_table("purge_run")
