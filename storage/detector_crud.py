"""Keyword-only CRUD for rosters and allowlists; the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import sqlalchemy as sa
from sqlmodel import Session, select

from detectors.hashing import MissingRosterKeyError, digest, key_fingerprint, normalise
from detectors.knowledge import ANY_TYPE, AccountKnowledge, DetectionContext
from storage.detector_models import AllowlistEntry, RosterDigest, RosterImport
from storage.models import Account, FindingRow, Person, Post
from storage.types import utcnow

# --- rosters -------------------------------------------------------------------------------------


def replace_roster(
    session: Session,
    *,
    school_id: int,
    digests: Mapping[str, set[str] | frozenset[str]],
    key: bytes,
    rows_read: int,
    pupils_kept: int,
    rows_rejected: int,
) -> RosterImport:
    """Replace the school's whole roster (a re-import never merges with the old one)."""
    session.exec(sa.delete(RosterDigest).where(RosterDigest.school_id == school_id))  # type: ignore[call-overload]
    rows = [
        {"school_id": school_id, "kind": kind, "digest": value}
        for kind, values in digests.items()
        for value in sorted(values)
    ]
    if rows:
        session.exec(sa.insert(RosterDigest), params=rows)  # type: ignore[call-overload]
    record = session.exec(select(RosterImport).where(RosterImport.school_id == school_id)).first()
    if record is None:
        record = RosterImport(school_id=school_id, key_fingerprint="")
    record.rows_read = rows_read
    record.pupils_kept = pupils_kept
    record.rows_rejected = rows_rejected
    record.digests = len(rows)
    record.key_fingerprint = key_fingerprint(key)
    record.imported_at = utcnow()
    session.add(record)
    session.flush()
    return record


def roster_import_for(session: Session, *, school_id: int) -> RosterImport | None:
    return session.exec(select(RosterImport).where(RosterImport.school_id == school_id)).first()


def delete_roster(session: Session, *, school_id: int) -> int:
    """Forget a school's roster (a school leaving the trust, or the end of its retention)."""
    result = session.exec(sa.delete(RosterDigest).where(RosterDigest.school_id == school_id))  # type: ignore[call-overload]
    session.exec(sa.delete(RosterImport).where(RosterImport.school_id == school_id))  # type: ignore[call-overload]
    return int(result.rowcount or 0)


def add_pupil_handle(session: Session, *, school_id: int, handle: str, key: bytes) -> None:
    """Record that a handle is a pupil's (a reviewer found a post tagging them)."""
    value = digest(key, "handle", handle.strip().lstrip("@").lower())
    exists = session.exec(
        select(RosterDigest).where(
            RosterDigest.school_id == school_id,
            RosterDigest.kind == "handle",
            RosterDigest.digest == value,
        )
    ).first()
    if exists is None:
        session.add(RosterDigest(school_id=school_id, kind="handle", digest=value))
        session.flush()


# --- allowlists --------------------------------------------------------------------------------


def allowlist_add(
    session: Session,
    *,
    account_id: int,
    finding_type: str,
    phrase: str,
    key: bytes | None,
    created_by_id: int | None = None,
    note: str = "",
) -> AllowlistEntry:
    """Allowlist `phrase` for `finding_type` ("*": any type) on one account; idempotent.

    The review UI calls this (or `allowlist_finding`) when a reviewer dismisses a finding as a
    false positive with "allowlist". Only a keyed digest of the normalised phrase is stored.
    """
    if key is None:
        raise MissingRosterKeyError("Allowlisting a phrase")
    normalised = normalise(phrase)
    if not normalised:
        raise ValueError("the phrase has no letters or digits to allowlist")
    value = digest(key, "allow", normalised)
    entry = session.exec(
        select(AllowlistEntry).where(
            AllowlistEntry.account_id == account_id,
            AllowlistEntry.finding_type == finding_type,
            AllowlistEntry.digest == value,
        )
    ).first()
    if entry is None:
        entry = AllowlistEntry(
            account_id=account_id,
            finding_type=finding_type,
            digest=value,
            created_by_id=created_by_id,
            note=note[:500],
        )
        session.add(entry)
        session.flush()
    return entry


def allowlist_finding(
    session: Session,
    *,
    finding_id: int,
    key: bytes | None,
    created_by_id: int | None = None,
    any_type: bool = False,
    note: str = "",
) -> AllowlistEntry:
    """Allowlist the phrase a stored finding points at, for the account of its post."""
    finding = session.get(FindingRow, finding_id)
    if finding is None:
        raise ValueError(f"no finding {finding_id}")
    post = session.get(Post, finding.post_id)
    if post is None or post.text is None:
        raise ValueError(f"finding {finding_id} has no post text to allowlist")
    phrase = post.text[finding.start : finding.end]
    return allowlist_add(
        session,
        account_id=post.account_id,
        finding_type=ANY_TYPE if any_type else finding.type,
        phrase=phrase,
        key=key,
        created_by_id=created_by_id,
        note=note,
    )


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


def load_knowledge(
    session: Session, *, context: DetectionContext, key: bytes | None
) -> AccountKnowledge:
    """Roster digests of the account's school, adults' names, the account's allowlist."""
    school_id = context.school_id
    if school_id is None and context.account_id is not None:
        account = session.get(Account, context.account_id)
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
        normalise(name)
        for name in session.exec(
            select(Person.name).where(
                sa.or_(Person.school_id == school_id, Person.school_id.is_(None))  # type: ignore[union-attr]
            )
        ).all()
        if normalise(name)
    )
    allow: frozenset[tuple[str, str]] = frozenset()
    if context.account_id is not None:
        allow = frozenset(
            session.exec(
                select(AllowlistEntry.finding_type, AllowlistEntry.digest).where(
                    AllowlistEntry.account_id == context.account_id
                )
            ).all()
        )
    return AccountKnowledge(key=key, roster=roster, staff_names=staff, allowlist=allow)
