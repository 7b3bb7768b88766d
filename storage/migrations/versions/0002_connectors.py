"""connectors: post extras, failed pages, group inbox files, connector account state

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 03:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("connectors",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "post_extra",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column(
            "parent_external_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True
        ),
        sa.Column("root_external_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["post_id"], ["post.id"]),
        sa.PrimaryKeyConstraint("post_id"),
    )
    with op.batch_alter_table("post_extra", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_post_extra_parent_external_id"), ["parent_external_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_post_extra_root_external_id"), ["root_external_id"], unique=False
        )

    op.create_table(
        "pull_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("endpoint", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("raw_size", sa.Integer(), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pull_failure", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pull_failure_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_pull_failure_at"), ["at"], unique=False)

    op.create_table(
        "inbox_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id", "sha256"),
    )
    with op.batch_alter_table("inbox_file", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inbox_file_account_id"), ["account_id"], unique=False)

    op.create_table(
        "connector_account",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("inbox_path", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("deletions_checked_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"]),
        sa.PrimaryKeyConstraint("account_id"),
    )


def downgrade() -> None:
    op.drop_table("connector_account")
    with op.batch_alter_table("inbox_file", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbox_file_account_id"))
    op.drop_table("inbox_file")
    with op.batch_alter_table("pull_failure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pull_failure_at"))
        batch_op.drop_index(batch_op.f("ix_pull_failure_account_id"))
    op.drop_table("pull_failure")
    with op.batch_alter_table("post_extra", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_post_extra_root_external_id"))
        batch_op.drop_index(batch_op.f("ix_post_extra_parent_external_id"))
    op.drop_table("post_extra")
