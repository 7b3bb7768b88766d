"""Tables of the review area: log-ins, the general audit log, section 9 referrals, mails sent.

Item views and item actions go to `review_event` (storage.models); `audit_log` records what has no
item (log-ins, IT set-up, exports of nothing in particular), and is append-only in the database
like `review_event`. `referral` is the section 9 record and is append-only too.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from storage.types import StrEnumType, UTCDateTime, timestamp_field

APPEND_ONLY_TABLES = ("audit_log", "referral")


# --- log-ins -----------------------------------------------------------------------------------


class UserAccountBase(SQLModel):
    person_id: int = Field(foreign_key="person.id", unique=True)
    username: str = Field(max_length=320, unique=True, description="log-in name, usually e-mail")
    oidc_issuer: str | None = Field(default=None, max_length=500)
    oidc_subject: str | None = Field(default=None, max_length=255)
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


class ReviewNotice(SQLModel, table=True):
    """A mail that was sent (counts only), so nothing is sent twice."""

    __tablename__ = "review_notice"

    id: int | None = Field(default=None, primary_key=True)
    kind: NoticeKind = Field(sa_type=StrEnumType(NoticeKind), index=True)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    item_id: int | None = Field(default=None, foreign_key="reviewitem.id", index=True)
    count: int = 0
    sent_at: datetime = timestamp_field()
