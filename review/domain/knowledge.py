"""What reviewers and IT teach the detectors: pupils' rosters and handles, allowlisted phrases.

Each of these is stored only as keyed digests (`detectors.hashing`) under the roster key, which
the entry point hands in; storage never sees a name or the key. The CLI and the IT pages both
call these, so a roster imported either way is recorded the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session

from detectors.hashing import MissingRosterKeyError, digest, key_fingerprint, normalise
from detectors.knowledge import ANY_TYPE
from detectors.roster import RosterDigests
from storage import detector_crud
from storage.detector_models import AllowlistEntry, RosterImport
from storage.models import FindingRow, Post


@dataclass(frozen=True, slots=True)
class RosterOutcome:
    record: RosterImport
    rejected: int


def import_roster(
    session: Session, *, school_id: int, parsed: RosterDigests, key: bytes
) -> RosterOutcome:
    """Replace a school's roster with a parsed MIS export (a re-import never merges)."""
    if parsed.pupils_kept == 0:
        raise ValueError("no usable pupil rows; the existing roster is unchanged")
    rejected = sum(1 for p in parsed.problems if p.reason.endswith("row skipped"))
    record = detector_crud.replace_roster(
        session,
        school_id=school_id,
        digests=parsed.digests,
        key_fingerprint=key_fingerprint(key),
        rows_read=parsed.rows_read,
        pupils_kept=parsed.pupils_kept,
        rows_rejected=rejected,
    )
    return RosterOutcome(record, rejected)


def roster_is_stale(record: RosterImport | None, key: bytes | None) -> bool:
    """True if the roster was imported under another key (its digests no longer match)."""
    return bool(record and key and record.key_fingerprint != key_fingerprint(key))


def add_pupil_handle(session: Session, *, school_id: int, handle: str, key: bytes) -> None:
    """Record that a handle is a pupil's (a reviewer found a post tagging them)."""
    value = digest(key, "handle", handle.strip().lstrip("@").lower())
    detector_crud.add_roster_digest(session, school_id=school_id, kind="handle", value=value)


def allowlist_phrase(
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

    Only a keyed digest of the normalised phrase is stored.
    """
    if key is None:
        raise MissingRosterKeyError("Allowlisting a phrase")
    normalised = normalise(phrase)
    if not normalised:
        raise ValueError("the phrase has no letters or digits to allowlist")
    return detector_crud.allowlist_add(
        session,
        account_id=account_id,
        finding_type=finding_type,
        digest=digest(key, "allow", normalised),
        created_by_id=created_by_id,
        note=note,
    )


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
    return allowlist_phrase(
        session,
        account_id=post.account_id,
        finding_type=ANY_TYPE if any_type else finding.type,
        phrase=post.text[finding.start : finding.end],
        key=key,
        created_by_id=created_by_id,
        note=note,
    )


def allowlist_findings(
    session: Session,
    *,
    findings: Sequence[FindingRow],
    key: bytes | None,
    actor_id: int | None,
    note: str,
) -> None:
    for f in findings:
        assert f.id is not None, "a stored finding has an id"
        allowlist_finding(
            session,
            finding_id=f.id,
            key=key,
            created_by_id=actor_id,
            note=note,
        )
