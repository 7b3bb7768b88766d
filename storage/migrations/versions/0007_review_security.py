"""review security: one-time sign-in codes, log-in counters, server-side sessions, role changes
waiting for a second person, and single sign-on log-ins marked as such (issue 12)

Revision ID: 0007
Revises: 0004
Create Date: 2026-11-27 00:04:21.081968
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.types

revision: str = "0007"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_counter",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("first_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("next_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "role_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("from_role", sa.String(length=32), nullable=False),
        sa.Column("to_role", sa.String(length=32), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("requested_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["decided_by_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["requested_by_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("role_change", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_role_change_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_role_change_state"), ["state"], unique=False)

    op.create_table(
        "login_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code_hash"),
    )
    with op.batch_alter_table("login_code", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_code_user_id"), ["user_id"], unique=False)

    op.create_table(
        "web_session",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("web_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_session_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_web_session_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sso", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # A log-in linked to an identity provider, or made without a password, is a single sign-on
    # log-in; a password left on one would bypass the provider's MFA, so it goes.
    op.execute(
        "UPDATE user_account SET sso = TRUE WHERE oidc_subject IS NOT NULL OR password_hash IS NULL"
    )
    op.execute("UPDATE user_account SET password_hash = NULL WHERE sso")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.alter_column("sso", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("sso")

    with op.batch_alter_table("web_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_session_user_id"))
        batch_op.drop_index(batch_op.f("ix_web_session_expires_at"))
    op.drop_table("web_session")
    with op.batch_alter_table("login_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_code_user_id"))
    op.drop_table("login_code")
    with op.batch_alter_table("role_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_role_change_state"))
        batch_op.drop_index(batch_op.f("ix_role_change_person_id"))
    op.drop_table("role_change")
    op.drop_table("login_counter")
