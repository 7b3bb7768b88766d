"""Learning from reviewers: a dismissed phrase allowlisted for one account stops being flagged
there from the next cycle on, and nowhere else; pupils on the roster are flagged in the cycle."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from connectors.base import PulledPost
from detectors.hashing import MissingRosterKeyError
from detectors.knowledge import DetectionContext
from detectors.roster import read_roster
from pipeline import scan
from pipeline.knowledge import database_loader
from postwarden.settings import Settings, get_settings
from review.domain import knowledge
from storage import crud, detector_crud
from storage.db import session_scope
from storage.detector_models import AllowlistEntry
from storage.models import Account, AccountKind, FindingRow, Platform, Post, ReviewItem

KEY = "0123456789abcdef-allowlist-key"
PARENT = "Questions? Call Karen Doyle on 07700 900123."


@pytest.fixture
def cfg(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("POSTWARDEN_ROSTER_KEY", KEY)
    monkeypatch.setenv("POSTWARDEN_DETECTION__WORKERS", "1")
    get_settings.cache_clear()
    return get_settings()


def _accounts(cfg: Settings) -> tuple[int, int]:
    with session_scope(cfg.engine) as s:
        school = crud.get_or_create_school(s, name="Oakfield Primary School")
        ids = []
        for n in ("1", "2"):
            account = crud.create_account(
                s,
                platform=Platform.X,
                external_id=n,
                handle=f"acc{n}",
                kind=AccountKind.OFFICIAL,
                conn_id=f"c{n}",
                school_id=school.id,
            )
            ids.append(account.id)
        return ids[0], ids[1]  # type: ignore[return-value]


def _post(cfg: Settings, account_id: int, external_id: str, text: str) -> None:
    with session_scope(cfg.engine) as s:
        account = s.get(Account, account_id)
        assert account is not None
        when = datetime(2026, 11, 1, tzinfo=UTC)
        crud.upsert_posts(s, account=account, posts=[PulledPost(external_id, text, when)])


def _items(cfg: Settings) -> dict[str, str]:
    """external id -> severity of its review item."""
    with Session(cfg.engine) as s:
        rows = s.exec(select(Post.external_id, ReviewItem.severity).join(ReviewItem)).all()
        return {external_id: str(severity) for external_id, severity in rows}


def test_allowlisted_phrase_is_dropped_for_that_account_from_the_next_cycle(
    cfg: Settings,
) -> None:
    first, second = _accounts(cfg)
    _post(cfg, first, "p1", PARENT)
    stack = scan.load_stack(cfg.pipeline())
    scan.scan_pending(cfg.pipeline(), stack=stack)
    assert _items(cfg) == {"p1": "medium"}

    with session_scope(cfg.engine) as s:
        (phone,) = s.exec(select(FindingRow).where(FindingRow.type == "PHONE_NUMBER")).all()
        entry = knowledge.allowlist_finding(
            s,
            finding_id=phone.id,
            key=cfg.roster_key_bytes,
            note="parent rep agreed",  # type: ignore[arg-type]
        )
        assert entry.finding_type == "PHONE_NUMBER" and entry.account_id == first
        # Idempotent: the same phrase again is the same entry.
        again = knowledge.allowlist_finding(s, finding_id=phone.id, key=cfg.roster_key_bytes)  # type: ignore[arg-type]
        assert again.id == entry.id

    _post(cfg, first, "p2", "Reminder: Karen Doyle on 07700  900123 has spare tickets.")
    _post(cfg, second, "p3", PARENT)
    scan.scan_pending(cfg.pipeline(), stack=stack)
    assert _items(cfg) == {"p1": "medium", "p3": "medium"}, "allowlisted on account 1 only"
    with Session(cfg.engine) as s:
        p2 = s.exec(select(Post).where(Post.external_id == "p2")).one()
        kept = {f.type for f in crud.findings_for(s, post_id=p2.id)}  # type: ignore[arg-type]
        assert "PHONE_NUMBER" not in kept and "PERSON" in kept


def test_roster_pupil_opens_a_high_item_in_the_cycle(cfg: Settings) -> None:
    first, _ = _accounts(cfg)
    with session_scope(cfg.engine) as s:
        school = crud.get_or_create_school(s, name="Oakfield Primary School")
        parsed = read_roster(b"Forename,Surname\nLily-Mae,Thompson\n", cfg.roster_key_bytes)  # type: ignore[arg-type]
        knowledge.import_roster(
            s,
            school_id=school.id,  # type: ignore[arg-type]
            parsed=parsed,
            key=cfg.roster_key_bytes,  # type: ignore[arg-type]
        )
    _post(cfg, first, "p1", "so proud of lily-mae thompson today")  # no cue, lower case
    _post(cfg, first, "p2", "so proud of lily-mae jones today")
    scan.scan_pending(cfg.pipeline(), stack=scan.load_stack(cfg.pipeline()))
    assert _items(cfg)["p1"] == "high"
    with Session(cfg.engine) as s:  # p2 may read as a pupil named, but it is no roster pupil
        p2 = s.exec(select(Post).where(Post.external_id == "p2")).one()
        assert "PUPIL_NAME" not in {f.type for f in crud.findings_for(s, post_id=p2.id)}  # type: ignore[arg-type]


def test_allowlisting_needs_the_key(session: Session) -> None:
    with pytest.raises(MissingRosterKeyError, match="POSTWARDEN_ROSTER_KEY"):
        knowledge.allowlist_phrase(
            session, account_id=1, finding_type="PERSON", phrase="Mrs Patel", key=None
        )


def test_allowlist_entries_store_no_phrase(cfg: Settings) -> None:
    first, _ = _accounts(cfg)
    with session_scope(cfg.engine) as s:
        knowledge.allowlist_phrase(
            s, account_id=first, finding_type="*", phrase="Karen Doyle", key=cfg.roster_key_bytes
        )
    with Session(cfg.engine) as s:
        (entry,) = s.exec(select(AllowlistEntry)).all()
        assert "karen" not in entry.model_dump_json().lower()
        context = DetectionContext(account_id=first)
        known = database_loader(cfg.engine, cfg.roster_key_bytes)([context])[context]
    assert known.allows("PUPIL_IDENTIFIED", "KAREN DOYLE")  # "*" covers every type
    with session_scope(cfg.engine) as s:
        assert detector_crud.allowlist_remove(s, entry_id=entry.id)  # type: ignore[arg-type]
        assert not detector_crud.allowlist_remove(s, entry_id=entry.id)  # type: ignore[arg-type]
