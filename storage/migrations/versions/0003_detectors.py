"""detectors: roster digests, roster imports, allowlist entries

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-25 04:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision: str = "0003"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("detectors",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "roster_digest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("school_id", "kind", "digest"),
    )
    with op.batch_alter_table("roster_digest", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_roster_digest_school_id"), ["school_id"], unique=False)

    op.create_table(
        "roster_import",
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("pupils_kept", sa.Integer(), nullable=False),
        sa.Column("rows_rejected", sa.Integer(), nullable=False),
        sa.Column("digests", sa.Integer(), nullable=False),
        sa.Column("key_fingerprint", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("imported_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("school_id"),
    )

    op.create_table(
        "allowlist_entry",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("finding_type", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"]),
        sa.ForeignKeyConstraint(["created_by_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id", "finding_type", "digest"),
    )
    with op.batch_alter_table("allowlist_entry", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_allowlist_entry_account_id"), ["account_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("allowlist_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_allowlist_entry_account_id"))
    op.drop_table("allowlist_entry")
    op.drop_table("roster_import")
    with op.batch_alter_table("roster_digest", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roster_digest_school_id"))
    op.drop_table("roster_digest")
