"""review: log-ins, audit log, section 9 referrals, mails sent (append-only audit and referrals)

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-25 03:10:36.298885
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision: str = "0004"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("review",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=48), nullable=False),
        sa.Column("object_type", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)

    op.create_table(
        "user_account",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("username", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("oidc_issuer", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("oidc_subject", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("password_hash", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("session_epoch", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("oidc_issuer", "oidc_subject"),
        sa.UniqueConstraint("person_id"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "referral",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("made_by_id", sa.Integer(), nullable=True),
        sa.Column("referred_to", sa.String(length=32), nullable=False),
        sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["reviewitem.id"],
        ),
        sa.ForeignKeyConstraint(
            ["made_by_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referral_item_id"), ["item_id"], unique=False)

    op.create_table(
        "review_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("sent_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["reviewitem.id"],
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("review_notice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_notice_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_review_notice_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_review_notice_person_id"), ["person_id"], unique=False)

    for table in APPEND_ONLY_TABLES:
        _append_only_triggers(table)


# Frozen copy (a migration must not change when the models module does).
APPEND_ONLY_TABLES = ("audit_log", "referral")


# Columns that must never change; a referral's `note` may only become the purge marker.
PURGED = "[purged]"
PURGEABLE_NOTE_KEEPS = {
    "referral": ("id", "item_id", "made_by_id", "referred_to", "reference", "at")
}


def _append_only_triggers(table: str) -> None:
    """Like review_event: the database itself refuses UPDATE and DELETE, whatever the client.
    The one exception: the retention purge may set a referral's free-text note to the marker."""
    message = f"{table} is append-only"
    keeps = PURGEABLE_NOTE_KEEPS.get(table)
    if op.get_bind().dialect.name == "postgresql":
        allow = ""
        if keeps:
            same = " AND ".join(f"NEW.{c} IS NOT DISTINCT FROM OLD.{c}" for c in keeps)
            allow = (
                f"IF TG_OP = 'UPDATE' AND NEW.note = '{PURGED}' AND {same} "
                "THEN RETURN NEW; END IF; "
            )
        op.execute(
            f"CREATE FUNCTION {table}_append_only() RETURNS trigger AS $$ "
            f"BEGIN {allow}RAISE EXCEPTION '{message}'; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            when = ""
            if keeps and verb == "UPDATE":
                same = " AND ".join(f'NEW."{c}" IS OLD."{c}"' for c in keeps)
                when = f"WHEN NOT (NEW.note = '{PURGED}' AND {same}) "
            op.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"{when}BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )


def _drop_append_only_triggers(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {table}_append_only()")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")


def downgrade() -> None:
    for table in APPEND_ONLY_TABLES:
        _drop_append_only_triggers(table)
    with op.batch_alter_table("review_notice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_notice_person_id"))
        batch_op.drop_index(batch_op.f("ix_review_notice_kind"))
        batch_op.drop_index(batch_op.f("ix_review_notice_item_id"))

    op.drop_table("review_notice")
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_item_id"))

    op.drop_table("referral")
    op.drop_table("user_account")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))
        batch_op.drop_index(batch_op.f("ix_audit_log_actor_id"))

    op.drop_table("audit_log")
