"""Tables of the connectors area: what a post carries besides its text, failed pages, inbox files.

- `post_extra`: one row per post with what the platform said beyond the text (comment thread,
  media with alt text, X edit history) as JSON; comments and replies are posts with a parent.
- `pull_failure`: a page a connector could not parse, with its raw body (capped) for diagnosis.
  The body may hold personal data: `storage.connector_crud.purge_pull_failures` deletes old rows.
- `inbox_file`: each group export file ingested or quarantined, once per content hash.
- `connector_account`: per-account connector settings and bookkeeping (inbox folder override,
  when deletions were last checked), kept off the shared `account` table.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from storage.types import StrEnumType, UTCDateTime, timestamp_field


class PostKind(StrEnum):
    POST = "post"
    COMMENT = "comment"  # a reply to a post (Graph comment, Instagram comment)
    REPLY = "reply"  # a reply to a comment
    MESSAGE = "message"  # one message of a group chat export


class FileStatus(StrEnum):
    INGESTED = "ingested"
    QUARANTINED = "quarantined"


class PostExtra(SQLModel, table=True):
    """Thread position and platform details of one post (JSON in `data`, no credentials)."""

    __tablename__ = "post_extra"

    post_id: int = Field(foreign_key="post.id", primary_key=True)
    kind: PostKind = Field(default=PostKind.POST, sa_type=StrEnumType(PostKind))
    parent_external_id: str | None = Field(default=None, max_length=200, index=True)
    root_external_id: str | None = Field(default=None, max_length=200, index=True)
    data: str = Field(default="{}", sa_type=sa.Text, description="JSON: media, edit history...")
    updated_at: datetime = timestamp_field()


class PullFailure(SQLModel, table=True):
    """A page that could not be stored, with the platform's raw answer (capped, purgeable)."""

    __tablename__ = "pull_failure"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    endpoint: str = Field(max_length=500)
    error: str = Field(max_length=2000)
    raw: bytes = Field(default=b"", sa_type=sa.LargeBinary)
    raw_size: int = Field(default=0, description="size of the body before capping")
    at: datetime = timestamp_field(index=True)


class InboxFile(SQLModel, table=True):
    """One export file seen in a group's inbox: ingested once, or quarantined with the reason."""

    __tablename__ = "inbox_file"
    __table_args__ = (sa.UniqueConstraint("account_id", "sha256"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    sha256: str = Field(max_length=64)
    name: str = Field(max_length=500)
    status: FileStatus = Field(sa_type=StrEnumType(FileStatus))
    error: str | None = Field(default=None, max_length=2000)
    posts: int = 0
    at: datetime = timestamp_field()


class ConnectorAccount(SQLModel, table=True):
    """Connector-only settings and bookkeeping of an account."""

    __tablename__ = "connector_account"

    account_id: int = Field(foreign_key="account.id", primary_key=True)
    inbox_path: str | None = Field(
        default=None, max_length=1000, description="group export inbox; default under home"
    )
    deletions_checked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
