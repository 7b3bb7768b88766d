"""Tables of the detectors area: pupil rosters as keyed hashes, and reviewers' allowlists.

- `roster_digest`: HMAC-SHA256 digests (key: POSTWARDEN_ROSTER_KEY, never stored) of a school's
  pupils' normalised name forms, UPNs and handles. No names, no row per pupil, nothing
  reversible: the digests of one pupil are not even linked to each other.
- `roster_import`: when a school's roster was last replaced, how many rows were kept or
  rejected, and a fingerprint of the key used (to warn when the key has changed since).
- `allowlist_entry`: a phrase reviewers dismissed as a false positive for one account, as a
  keyed digest of its normalised text; the detectors drop matching findings from the next cycle.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from storage.types import timestamp_field


class RosterDigest(SQLModel, table=True):
    """One keyed digest of one normalised form (kind: name, name_initial, upn, handle)."""

    __tablename__ = "roster_digest"
    __table_args__ = (sa.UniqueConstraint("school_id", "kind", "digest"),)

    id: int | None = Field(default=None, primary_key=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    kind: str = Field(max_length=16)
    digest: str = Field(max_length=64, description="hex HMAC-SHA256")


class RosterImportBase(SQLModel):
    school_id: int = Field(foreign_key="school.id", unique=True)
    rows_read: int = 0
    pupils_kept: int = 0
    rows_rejected: int = 0
    digests: int = 0
    key_fingerprint: str = Field(max_length=16, description="HMAC of a constant: not the key")


class RosterImport(RosterImportBase, table=True):
    __tablename__ = "roster_import"

    id: int | None = Field(default=None, primary_key=True)
    imported_at: datetime = timestamp_field()


class RosterImportPublic(RosterImportBase):
    id: int
    imported_at: datetime


class AllowlistEntryBase(SQLModel):
    account_id: int = Field(foreign_key="account.id", index=True)
    finding_type: str = Field(max_length=64, description='finding type, or "*" for any')
    created_by_id: int | None = Field(default=None, foreign_key="person.id")
    note: str = Field(default="", max_length=500, description="why (never the phrase itself)")


class AllowlistEntry(AllowlistEntryBase, table=True):
    __tablename__ = "allowlist_entry"
    __table_args__ = (sa.UniqueConstraint("account_id", "finding_type", "digest"),)

    id: int | None = Field(default=None, primary_key=True)
    digest: str = Field(max_length=64, description="keyed digest of the normalised phrase")
    created_at: datetime = timestamp_field()


class AllowlistEntryPublic(AllowlistEntryBase):
    id: int
    created_at: datetime
