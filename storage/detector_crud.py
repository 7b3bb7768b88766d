"""Keyword-only CRUD for rosters and allowlists; the caller owns the transaction.

Only keyed digests are stored here: the callers (`review.domain.knowledge`, the CLI) make them
with `detectors.hashing` under the roster key, which never reaches this module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.detector_models import AllowlistEntry, RosterDigest, RosterImport
from storage.models import Account, Person
from storage.types import utcnow

# --- rosters -------------------------------------------------------------------------------------


def replace_roster(
    session: Session,
    *,
    school_id: int,
    digests: Mapping[str, set[str] | frozenset[str]],
    key_fingerprint: str,
    rows_read: int,
    pupils_kept: int,
    rows_rejected: int,
) -> RosterImport:
    """Replace the school's whole roster (a re-import never merges with the old one)."""
    session.exec(sa.delete(RosterDigest).where(col(RosterDigest.school_id) == school_id))
    rows = [
        {"school_id": school_id, "kind": kind, "digest": value}
        for kind, values in digests.items()
        for value in sorted(values)
    ]
    if rows:
        session.exec(sa.insert(RosterDigest), params=rows)
    record = session.exec(select(RosterImport).where(RosterImport.school_id == school_id)).first()
    if record is None:
        record = RosterImport(school_id=school_id, key_fingerprint="")
    record.rows_read = rows_read
    record.pupils_kept = pupils_kept
    record.rows_rejected = rows_rejected
    record.digests = len(rows)
    record.key_fingerprint = key_fingerprint
    record.imported_at = utcnow()
    session.add(record)
    session.flush()
    return record


def roster_import_for(session: Session, *, school_id: int) -> RosterImport | None:
    return session.exec(select(RosterImport).where(RosterImport.school_id == school_id)).first()


def delete_roster(session: Session, *, school_id: int) -> int:
    """Forget a school's roster (a school leaving the trust, or the end of its retention)."""
    result = session.exec(sa.delete(RosterDigest).where(col(RosterDigest.school_id) == school_id))
    session.exec(sa.delete(RosterImport).where(col(RosterImport.school_id) == school_id))
    return int(result.rowcount or 0)


def add_roster_digest(session: Session, *, school_id: int, kind: str, value: str) -> None:
    """Add one digest to a school's roster (e.g. a pupil's handle a reviewer found); idempotent."""
    exists = session.exec(
        select(RosterDigest).where(
            RosterDigest.school_id == school_id,
            RosterDigest.kind == kind,
            RosterDigest.digest == value,
        )
    ).first()
    if exists is None:
        session.add(RosterDigest(school_id=school_id, kind=kind, digest=value))
        session.flush()


# --- allowlists --------------------------------------------------------------------------------


def allowlist_add(
    session: Session,
    *,
    account_id: int,
    finding_type: str,
    digest: str,
    created_by_id: int | None = None,
    note: str = "",
) -> AllowlistEntry:
    """Allowlist a phrase (by its keyed digest) for `finding_type` ("*": any) on one account;
    idempotent."""
    entry = session.exec(
        select(AllowlistEntry).where(
            AllowlistEntry.account_id == account_id,
            AllowlistEntry.finding_type == finding_type,
            AllowlistEntry.digest == digest,
        )
    ).first()
    if entry is None:
        entry = AllowlistEntry(
            account_id=account_id,
            finding_type=finding_type,
            digest=digest,
            created_by_id=created_by_id,
            note=note[:500],
        )
        session.add(entry)
        session.flush()
    return entry


def allowlist_for(session: Session, *, account_id: int) -> Sequence[AllowlistEntry]:
    return session.exec(
        select(AllowlistEntry)
        .where(AllowlistEntry.account_id == account_id)
        .order_by(AllowlistEntry.id)  # type: ignore[arg-type]
    ).all()


def allowlist_remove(session: Session, *, entry_id: int) -> bool:
    entry = session.get(AllowlistEntry, entry_id)
    if entry is None:
        return False
    session.delete(entry)
    session.flush()
    return True


# --- what the detectors know -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KnowledgeRows:
    """What is stored about an account's school and the account: digests and adults' names."""

    roster: Mapping[str, frozenset[str]] = field(default_factory=dict)  # kind -> digests
    staff_names: frozenset[str] = frozenset()  # as recorded, not normalised
    allowlist: frozenset[tuple[str, str]] = frozenset()  # (finding type or "*", digest)


def knowledge_rows(
    session: Session, *, account_id: int | None, school_id: int | None = None
) -> KnowledgeRows:
    """Roster digests of the account's school, adults' names, the account's allowlist."""
    if school_id is None and account_id is not None:
        account = session.get(Account, account_id)
        school_id = account.school_id if account else None
    roster: dict[str, frozenset[str]] = {}
    if school_id is not None:
        rows = session.exec(
            select(RosterDigest.kind, RosterDigest.digest).where(
                RosterDigest.school_id == school_id
            )
        ).all()
        grouped: dict[str, set[str]] = {}
        for kind, value in rows:
            grouped.setdefault(kind, set()).add(value)
        roster = {kind: frozenset(values) for kind, values in grouped.items()}
    # Every person Postwarden knows is an adult of the trust (staff, governors, trustees).
    staff = frozenset(
        session.exec(
            select(Person.name).where(
                sa.or_(col(Person.school_id) == school_id, col(Person.school_id).is_(None))
            )
        ).all()
    )
    allow: frozenset[tuple[str, str]] = frozenset()
    if account_id is not None:
        allow = frozenset(
            session.exec(
                select(AllowlistEntry.finding_type, AllowlistEntry.digest).where(
                    AllowlistEntry.account_id == account_id
                )
            ).all()
        )
    return KnowledgeRows(roster=roster, staff_names=staff, allowlist=allow)
