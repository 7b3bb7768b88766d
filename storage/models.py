"""SQLModel tables in families (`XBase` shared fields, `X` table, `XPublic` what leaves the API).

Credentials never live here: an account names its Airflow Connection (`conn_id`) and nothing more.
Every schema change goes through an Alembic revision in `storage/migrations/versions/`. Tables of
a later area live in their own module `storage/<area>_models.py`; `import_all_models` finds them.
"""

from __future__ import annotations

import importlib
import pkgutil
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.findings import Severity
from core.platforms import AccountKind, Platform
from storage.types import StrEnumType, UTCDateTime, timestamp_field


class Role(StrEnum):
    """Roles the policy names; section 5 routes reviews along them."""

    IT_DIRECTOR = "it_director"
    HEADTEACHER = "headteacher"
    CLUSTER_LEAD = "cluster_lead"
    EXECUTIVE = "executive"
    CEO = "ceo"
    TRUSTEE = "trustee"
    DSL = "dsl"
    STAFF = "staff"


class AccountState(StrEnum):
    """Connection health as IT sees it."""

    NEW = "new"
    OK = "ok"
    DEFERRED = "deferred"
    FAILED = "failed"
    NEEDS_REAUTH = "needs_reauth"


class ItemState(StrEnum):
    OPEN = "open"
    ESCALATED = "escalated"
    DISMISSED = "dismissed"
    RESOLVED = "resolved"

    @property
    def is_closed(self) -> bool:
        return self in (ItemState.DISMISSED, ItemState.RESOLVED)


def _enum(enum: type[StrEnum]) -> StrEnumType:
    return StrEnumType(enum)


# --- schools -----------------------------------------------------------------------------------


class SchoolBase(SQLModel):
    name: str = Field(max_length=200, unique=True)
    urn: str | None = Field(default=None, max_length=16, description="DfE unique reference")


class School(SchoolBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = timestamp_field()


class SchoolPublic(SchoolBase):
    id: int


# --- people ------------------------------------------------------------------------------------


class PersonBase(SQLModel):
    name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=320, unique=True)
    role: Role = Field(sa_type=_enum(Role))
    school_id: int | None = Field(default=None, foreign_key="school.id", index=True)
    active: bool = True


class Person(PersonBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = timestamp_field()


class PersonPublic(PersonBase):
    id: int


class PersonHandle(SQLModel, table=True):
    """A person's identity on a platform, so routing knows who wrote a post."""

    __table_args__ = (sa.UniqueConstraint("platform", "handle"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    platform: Platform = Field(sa_type=_enum(Platform))
    handle: str = Field(max_length=200, description="lower-cased handle or platform user id")


# --- connected accounts ------------------------------------------------------------------------


class AccountBase(SQLModel):
    platform: Platform = Field(sa_type=_enum(Platform))
    external_id: str = Field(max_length=200, description="platform's id of the account")
    handle: str = Field(max_length=200)
    kind: AccountKind = Field(sa_type=_enum(AccountKind))
    school_id: int | None = Field(default=None, foreign_key="school.id", index=True)
    creator_id: int | None = Field(default=None, foreign_key="person.id")
    approved_by_id: int | None = Field(
        default=None, foreign_key="person.id", description="approving Headteacher (section 4)"
    )
    approved_on: date | None = None
    conn_id: str = Field(max_length=250, description="Airflow Connection holding the credentials")
    active: bool = True


class Account(AccountBase, table=True):
    __table_args__ = (sa.UniqueConstraint("platform", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    cursor: str | None = Field(default=None, description="connector cursor, JSON")
    state: AccountState = Field(default=AccountState.NEW, sa_type=_enum(AccountState))
    last_pull_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=2000)
    deferred_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    posts_pulled: int = 0
    reads_spent: int = 0
    created_at: datetime = timestamp_field()

    @property
    def is_approved(self) -> bool:
        """Section 4: a work site is monitored only once a Headteacher approved it on a date."""
        return self.approved_by_id is not None and self.approved_on is not None


class AccountPublic(AccountBase):
    id: int
    state: AccountState
    last_pull_at: datetime | None
    last_error: str | None
    posts_pulled: int
    reads_spent: int


# --- posts -------------------------------------------------------------------------------------


class PostBase(SQLModel):
    platform: Platform = Field(sa_type=_enum(Platform))
    external_id: str = Field(max_length=200)
    account_id: int = Field(foreign_key="account.id", index=True)
    author_id: str | None = Field(default=None, max_length=200)
    author_handle: str | None = Field(default=None, max_length=200)
    text: str | None = Field(default=None, sa_type=sa.Text)
    url: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(sa_type=UTCDateTime)


class Post(PostBase, table=True):
    __table_args__ = (sa.UniqueConstraint("platform", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    content_hash: str = Field(max_length=64, description="sha256 of the text; edits change it")
    detected_hash: str | None = Field(
        default=None, max_length=64, index=True, description="content_hash last scanned"
    )
    deleted: bool = False
    pulled_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()


class PostPublic(PostBase):
    id: int
    deleted: bool


class PostCreate(SQLModel):
    """One post as a pull hands it to storage (the pipeline builds it from a connector's post).

    `extra`: thread place (`kind`, `parent_id`, `root_id`), media, the ids an edit replaces
    (`previous_ids`) and anything else kept in `post_extra`.
    """

    external_id: str
    text: str
    created_at: datetime
    author_id: str | None = None
    author_handle: str | None = None
    url: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict)


# --- findings ----------------------------------------------------------------------------------


class FindingBase(SQLModel):
    type: str = Field(max_length=64)
    start: int
    end: int
    score: float
    section: str = Field(max_length=16)
    severity: Severity = Field(sa_type=_enum(Severity))
    explanation: str = Field(sa_type=sa.Text)
    detector: str = Field(default="", max_length=64)


class FindingRow(FindingBase, table=True):
    __tablename__ = "finding"

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id", index=True)
    created_at: datetime = timestamp_field()


class FindingPublic(FindingBase):
    id: int
    post_id: int


# --- review ------------------------------------------------------------------------------------


class ReviewItemBase(SQLModel):
    post_id: int = Field(foreign_key="post.id", unique=True)
    assignee_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    state: ItemState = Field(default=ItemState.OPEN, sa_type=_enum(ItemState), index=True)
    severity: Severity = Field(sa_type=_enum(Severity))
    due_at: datetime = Field(sa_type=UTCDateTime)
    route_reason: str = Field(default="", max_length=500)


class ReviewItem(ReviewItemBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    opened_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ReviewItemPublic(ReviewItemBase):
    id: int
    opened_at: datetime


class ReviewEvent(SQLModel, table=True):
    """Append-only audit log: database triggers refuse UPDATE and DELETE."""

    __tablename__ = "review_event"

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="reviewitem.id", index=True)
    actor_id: int | None = Field(default=None, foreign_key="person.id")
    action: str = Field(max_length=32)
    note: str = Field(default="", sa_type=sa.Text)
    assignee_id: int | None = Field(default=None, foreign_key="person.id")
    state: ItemState | None = Field(default=None, sa_type=_enum(ItemState))
    at: datetime = timestamp_field()


def import_all_models() -> None:
    """Import every `storage/*_models.py` so SQLModel.metadata knows all tables (Alembic, tests)."""
    import storage

    for info in pkgutil.iter_modules(storage.__path__):
        if info.name.endswith("_models"):
            importlib.import_module(f"storage.{info.name}")
