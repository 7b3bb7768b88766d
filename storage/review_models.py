"""Tables of the review area: log-ins, the general audit log, section 9 referrals, mails sent,
and what keeps sign-in safe: one-time sign-in codes, log-in throttle counters, server-side
sessions, and role changes waiting for a second person.

Item views and item actions go to `review_event` (storage.models); `audit_log` records what has no
item (log-ins, IT set-up, exports of nothing in particular), and is append-only in the database
like `review_event`. `referral` is the section 9 record and is append-only too.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from storage.models import Role
from storage.types import StrEnumType, UTCDateTime, timestamp_field

APPEND_ONLY_TABLES = ("audit_log", "referral")


# --- log-ins -----------------------------------------------------------------------------------


class UserAccountBase(SQLModel):
    person_id: int = Field(foreign_key="person.id", unique=True)
    username: str = Field(max_length=320, unique=True, description="log-in name, usually e-mail")
    oidc_issuer: str | None = Field(default=None, max_length=500)
    oidc_subject: str | None = Field(default=None, max_length=255)
    sso: bool = Field(
        default=False,
        description="signs in through the identity provider only: never has a password",
    )
    active: bool = True


class UserAccount(UserAccountBase, table=True):
    """How a person signs in: an argon2 hash, an OIDC identity (issuer + subject), or both."""

    __tablename__ = "user_account"
    __table_args__ = (sa.UniqueConstraint("oidc_issuer", "oidc_subject"),)

    id: int | None = Field(default=None, primary_key=True)
    password_hash: str | None = Field(default=None, max_length=200)
    session_epoch: int = Field(default=0, description="bump to end every session of this user")
    created_at: datetime = timestamp_field()
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class UserAccountPublic(UserAccountBase):
    id: int
    last_login_at: datetime | None


class LoginCode(SQLModel, table=True):
    """A one-time code that lets a person choose their own password (a new log-in, or a reset).
    Only its SHA-256 is kept; it works once, until `expires_at`."""

    __tablename__ = "login_code"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    code_hash: str = Field(max_length=64, unique=True)
    purpose: str = Field(max_length=16, description="first_sign_in | reset")
    created_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = timestamp_field()
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class LoginCounter(SQLModel, table=True):
    """Failed sign-ins per key (an account, or a client address; both hashed), shared by every
    server process: the log-in throttle reads and writes these rows."""

    __tablename__ = "login_counter"

    key: str = Field(primary_key=True, max_length=80)
    failures: int = 0
    first_at: datetime = timestamp_field(description="start of the current window")
    next_at: datetime | None = Field(
        default=None, sa_type=UTCDateTime, description="no attempt before this (slowed down)"
    )


class WebSession(SQLModel, table=True):
    """A browser's session; the cookie holds only a random id, this row (keyed by the id's
    SHA-256) holds what the session means."""

    __tablename__ = "web_session"

    id: str = Field(primary_key=True, max_length=64, description="sha256 of the cookie's id")
    user_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    data: str = Field(default="{}", sa_type=sa.Text)
    created_at: datetime = timestamp_field()
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)


class RoleChangeState(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REFUSED = "refused"
    SUPERSEDED = "superseded"


class RoleChange(SQLModel, table=True):
    """A role change the Director of IT asked for, waiting for the CEO or a Trustee (section 5).
    Decisions are also in the audit log."""

    __tablename__ = "role_change"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    from_role: Role = Field(sa_type=StrEnumType(Role))
    to_role: Role = Field(sa_type=StrEnumType(Role))
    requested_by_id: int | None = Field(default=None, foreign_key="person.id")
    requested_at: datetime = timestamp_field()
    state: RoleChangeState = Field(
        default=RoleChangeState.PENDING, sa_type=StrEnumType(RoleChangeState), index=True
    )
    decided_by_id: int | None = Field(default=None, foreign_key="person.id")
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# --- audit log ---------------------------------------------------------------------------------


class AuditLog(SQLModel, table=True):
    """Who did what, when, outside a review item. The database refuses UPDATE and DELETE."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = timestamp_field(index=True)
    actor_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    action: str = Field(max_length=48)
    object_type: str = Field(default="", max_length=32)
    object_id: int | None = None
    detail: str = Field(default="", sa_type=sa.Text)


# --- section 9 referrals -----------------------------------------------------------------------


class ReferralTarget(StrEnum):
    """Section 9: disciplinary action; the police; the County Council's safeguarding lead."""

    DISCIPLINARY = "disciplinary"
    POLICE = "police"
    COUNTY_SAFEGUARDING_LEAD = "county_safeguarding_lead"

    @property
    def label(self) -> str:
        return {
            ReferralTarget.DISCIPLINARY: "Disciplinary process (section 9)",
            ReferralTarget.POLICE: "Police (section 9)",
            ReferralTarget.COUNTY_SAFEGUARDING_LEAD: "County Council safeguarding lead (section 9)",
        }[self]


class Referral(SQLModel, table=True):
    """A referral made under section 9, kept with the item it came from (append-only)."""

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="reviewitem.id", index=True)
    made_by_id: int | None = Field(default=None, foreign_key="person.id")
    referred_to: ReferralTarget = Field(sa_type=StrEnumType(ReferralTarget))
    reference: str = Field(default="", max_length=100, description="e.g. a police log number")
    note: str = Field(default="", sa_type=sa.Text)
    at: datetime = timestamp_field()


# --- notifications -----------------------------------------------------------------------------


class NoticeKind(StrEnum):
    IMMEDIATE = "immediate"
    DIGEST = "digest"
    REAUTH = "reauth"
    SAFEGUARDING = "safeguarding"
    ACCOUNT = "account"  # about one's own log-in or role (sign-in link, role change)


class ReviewNotice(SQLModel, table=True):
    """A mail that was sent (counts only), so nothing is sent twice."""

    __tablename__ = "review_notice"

    id: int | None = Field(default=None, primary_key=True)
    kind: NoticeKind = Field(sa_type=StrEnumType(NoticeKind), index=True)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    item_id: int | None = Field(default=None, foreign_key="reviewitem.id", index=True)
    count: int = 0
    sent_at: datetime = timestamp_field()
