"""Retention: after a purge no purged text is anywhere in the database (SQLite and PostgreSQL),
the audit trail's who/what/when is intact, and scanning keeps no text nobody will review."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DatabaseError
from sqlmodel import Session, select

from connectors.base import PulledPost
from core.findings import Finding, Severity
from pipeline import retention as housekeeping
from pipeline import scan
from postwarden.settings import Settings
from storage import crud
from storage.db import session_scope
from storage.models import (
    Account,
    AccountKind,
    FindingRow,
    ItemState,
    Platform,
    Post,
    ReviewEvent,
    ReviewItem,
    Role,
)
from storage.ops_models import PurgeRecord, PurgeRun
from storage.review_models import Referral

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


class KeywordStack:
    """A detector double: 'Year' next to a name is a high finding, 'minor' a low one."""

    def detect_many(self, texts: Sequence[str]) -> list[list[Finding]]:
        out = []
        for t in texts:
            found = []
            if (i := t.find("Year")) >= 0:
                found.append(Finding("PUPIL", i, i + 6, 0.9, "8.4", Severity.HIGH, "Pupil.", "kw"))
            if (i := t.find("minor")) >= 0:
                found.append(Finding("STYLE", i, i + 5, 0.5, "7.1", Severity.LOW, "Tone.", "kw"))
            out.append(found)
        return out


def _world(settings: Settings, texts: dict[str, str]) -> dict[str, int]:
    """An account with one post per text; returns external id -> post id."""
    with session_scope(settings.engine) as s:
        school = crud.get_or_create_school(s, name="Oakfield")
        head = crud.create_person(s, name="Helen", role=Role.HEADTEACHER, school_id=school.id)
        crud.create_person(s, name="Dana", role=Role.IT_DIRECTOR)
        creator = crud.create_person(s, name="Priya", role=Role.STAFF, school_id=school.id)
        account = crud.create_account(
            s,
            platform=Platform.X,
            external_id="42",
            handle="Oakfield",
            kind=AccountKind.OFFICIAL,
            conn_id="x_oak",
            school_id=school.id,
            creator_id=creator.id,
        )
        crud.approve_account(s, account=account, headteacher=head, on=NOW.date())
        pulled = [
            PulledPost(external_id=k, text=v, created_at=NOW - timedelta(days=200))
            for k, v in texts.items()
        ]
        crud.upsert_posts(s, account=account, posts=pulled)
        rows = s.exec(select(Post.external_id, Post.id)).all()
    return {e: i for e, i in rows if i is not None}


def _close(settings: Settings, post_id: int, *, days_ago: int, note: str) -> int:
    with session_scope(settings.engine) as s:
        item = crud.item_for_post(s, post_id=post_id)
        assert item is not None
        item.state = ItemState.RESOLVED
        item.closed_at = NOW - timedelta(days=days_ago)
        s.add(item)
        crud.log_event(s, item=item, action="comment", note=note, actor_id=item.assignee_id)
        crud.log_event(s, item=item, action="resolved", note="", actor_id=item.assignee_id)
        return item.id  # type: ignore[return-value]


def _every_value(engine: sa.Engine) -> list[tuple[str, str, str]]:
    """(table, column, value as text) for every non-null cell of every table in the database."""
    cells = []
    inspector = sa.inspect(engine)
    with engine.connect() as conn:
        for table in inspector.get_table_names():
            for row in conn.execute(sa.text(f'SELECT * FROM "{table}"')).mappings():
                cells += [(table, c, str(v)) for c, v in row.items() if v is not None]
    return cells


def _holding(engine: sa.Engine, needle: str) -> list[tuple[str, str]]:
    return [(t, c) for t, c, v in _every_value(engine) if needle in v]


OLD_CLOSED = "Well done Amelia Watson in Year 4 ZQOLDCLOSED"
FRESH_CLOSED = "Congratulations Noah Patel Year 2 ZQFRESHCLOSED"
STILL_OPEN = "Freya Khan Year 6 won the spelling bee ZQSTILLOPEN"
CLEAN = "School closes at 1pm on Friday ZQCLEAN"
LOW_ONLY = "A minor typo in the newsletter ZQLOWONLY"


def test_scanning_keeps_text_only_of_posts_a_reviewer_will_read(settings: Settings) -> None:
    ids = _world(settings, {"1": OLD_CLOSED, "2": CLEAN, "3": LOW_ONLY})
    result = scan.scan_pending(settings.pipeline(), stack=KeywordStack())
    assert result.scanned == 3 and result.items_opened == 1
    with Session(settings.engine) as s:
        posts = {p.id: p for p in s.exec(select(Post)).all()}
        assert posts[ids["1"]].text == OLD_CLOSED, "an open item keeps its text"
        for key in ("2", "3"):
            post = posts[ids[key]]
            assert post.text is None, "no item: only ids, hash and timestamps stay"
            assert post.content_hash == crud.content_hash({"2": CLEAN, "3": LOW_ONLY}[key])
            assert post.detected_hash == post.content_hash and post.external_id == key
    engine = settings.engine
    assert _holding(engine, "ZQCLEAN") == [] and _holding(engine, "ZQLOWONLY") == []
    # Dedupe still works without the text: the same post pulled again changes nothing...
    with session_scope(engine) as s:
        a = s.exec(select(Account)).one()
        again = [PulledPost(external_id="2", text=CLEAN, created_at=NOW)]
        assert crud.upsert_posts(s, account=a, posts=again) == (0, 0)
        # ...and an edit is still detected, and scanned afresh.
        edited = [PulledPost(external_id="2", text=CLEAN + " Year 5 trip", created_at=NOW)]
        assert crud.upsert_posts(s, account=a, posts=edited) == (0, 1)
    assert scan.scan_pending(settings.pipeline(), stack=KeywordStack()).items_opened == 1


def test_purge_removes_every_trace_of_text_of_items_closed_past_retention(
    settings: Settings,
) -> None:
    texts = {"1": OLD_CLOSED, "2": FRESH_CLOSED, "3": STILL_OPEN, "4": CLEAN}
    ids = _world(settings, texts)
    scan.scan_pending(settings.pipeline(), stack=KeywordStack())
    engine = settings.engine
    with session_scope(engine) as s:
        # A post stored before scanning dropped text (an older install): the purge catches it.
        post = s.get(Post, ids["4"])
        assert post is not None
        post.text = CLEAN
        s.add(post)
    old_item = _close(settings, ids["1"], days_ago=91, note=f"Checked: {OLD_CLOSED}")
    _close(settings, ids["2"], days_ago=10, note=f"Checked: {FRESH_CLOSED}")
    with session_scope(engine) as s:  # a section 9 referral quoting the post
        s.add(Referral(item_id=old_item, referred_to="police", reference="LOG-1", note=OLD_CLOSED))
    with Session(engine) as s:
        trail_before = [
            (e.id, e.item_id, e.actor_id, e.action, e.assignee_id, e.state, e.at)
            for e in s.exec(select(ReviewEvent).order_by(ReviewEvent.id)).all()  # type: ignore[arg-type]
        ]

    result = housekeeping.purge(settings.engine, days_closed=90, now=NOW, trigger="test")

    assert _holding(engine, "ZQOLDCLOSED") == [], "no purged text in any column of any table"
    assert _holding(engine, "Amelia Watson") == []
    assert _holding(engine, "ZQCLEAN") == []
    assert {t for t, _ in _holding(engine, "ZQFRESHCLOSED")} == {"post", "review_event"}, (
        "closed 10 days ago: within retention, kept"
    )
    assert [t for t, _ in _holding(engine, "ZQSTILLOPEN")] == ["post"], "open: kept"
    assert (result.items_purged, result.posts_purged, result.notes_purged) == (1, 1, 3)
    assert result.findings_purged == 1 and result.unflagged_texts_dropped == 1
    with Session(engine) as s:
        trail_after = [
            (e.id, e.item_id, e.actor_id, e.action, e.assignee_id, e.state, e.at)
            for e in s.exec(select(ReviewEvent).order_by(ReviewEvent.id)).all()  # type: ignore[arg-type]
        ]
        assert trail_after == trail_before, "who, what and when of the audit trail are kept"
        finding = s.exec(select(FindingRow).where(FindingRow.post_id == ids["1"])).one()
        assert (finding.type, finding.section, finding.severity) == ("PUPIL", "8.4", "high")
        assert (finding.explanation, finding.start, finding.end) == (housekeeping.PURGED, 0, 0)
        purged = s.get(Post, ids["1"])
        assert purged is not None and purged.content_hash == crud.content_hash(OLD_CLOSED)
        run = s.get(PurgeRun, result.run_id)
        assert run is not None and run.finished_at is not None and run.trigger == "test"
        assert (run.items_purged, run.retention_days) == (1, 90)
        referral = s.exec(select(Referral)).one()
        assert (referral.referred_to, referral.reference, referral.note) == (
            "police",
            "LOG-1",
            housekeeping.PURGED,
        ), "who was referred to, and the reference, are kept"
        records = s.exec(select(PurgeRecord)).all()
        assert [(r.run_id, r.item_id, r.post_id) for r in records] == [
            (result.run_id, old_item, ids["1"])
        ]

    again = housekeeping.purge(settings.engine, days_closed=90, now=NOW, trigger="test")
    assert (again.items_purged, again.posts_purged, again.notes_purged) == (0, 0, 0)
    assert again.unflagged_texts_dropped == 0 and again.run_id != result.run_id


def test_a_reopened_and_reclosed_item_is_purged_again(settings: Settings) -> None:
    ids = _world(settings, {"1": OLD_CLOSED})
    scan.scan_pending(settings.pipeline(), stack=KeywordStack())
    _close(settings, ids["1"], days_ago=200, note="first look")
    assert housekeeping.purge(settings.engine, days_closed=90, now=NOW).items_purged == 1
    engine = settings.engine
    with session_scope(engine) as s:
        account = s.exec(select(Account)).one()
        edited = "Edited: Oliver Smith Year 3 ZQREOPENED"
        crud.upsert_posts(
            s, account=account, posts=[PulledPost(external_id="1", text=edited, created_at=NOW)]
        )
    scan.scan_pending(settings.pipeline(), stack=KeywordStack())
    with Session(engine) as s:
        item = s.exec(select(ReviewItem)).one()
        assert item.state == ItemState.OPEN, "the edit reopened it"
    assert housekeeping.purge(settings.engine, days_closed=90, now=NOW).items_purged == 0, (
        "open again: kept"
    )
    _close(settings, ids["1"], days_ago=95, note="second look ZQREOPENED")
    assert housekeeping.purge(settings.engine, days_closed=90, now=NOW).items_purged == 1
    assert _holding(engine, "ZQREOPENED") == []


@pytest.mark.parametrize(
    "change",
    [
        "note = 'rewritten'",
        "action = 'dismissed'",
        "actor_id = NULL, note = '[purged]'",
        "state = 'open', note = '[purged]'",
    ],
)
def test_the_audit_log_still_refuses_every_other_update_and_any_delete(
    settings: Settings, change: str
) -> None:
    ids = _world(settings, {"1": OLD_CLOSED})
    scan.scan_pending(settings.pipeline(), stack=KeywordStack())
    _close(settings, ids["1"], days_ago=1, note="a note")
    engine = settings.engine
    with pytest.raises(DatabaseError, match="append-only"):
        with engine.begin() as conn:
            conn.execute(sa.text(f"UPDATE review_event SET {change}"))
    with pytest.raises(DatabaseError, match="append-only"):
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM review_event"))
    with engine.begin() as conn:  # the one change a purge makes is allowed
        conn.execute(sa.text("UPDATE review_event SET note = '[purged]' WHERE note != ''"))
    assert housekeeping.PURGED == "[purged]"


@pytest.mark.parametrize(
    "change",
    ["note = 'rewritten'", "reference = 'X', note = '[purged]'", "item_id = item_id + 1"],
)
def test_referrals_accept_only_the_purge_marker(settings: Settings, change: str) -> None:
    ids = _world(settings, {"1": OLD_CLOSED})
    scan.scan_pending(settings.pipeline(), stack=KeywordStack())
    item_id = _close(settings, ids["1"], days_ago=1, note="a note")
    engine = settings.engine
    with session_scope(engine) as s:
        s.add(Referral(item_id=item_id, referred_to="police", reference="LOG-2", note="words"))
    for statement in (f"UPDATE referral SET {change}", "DELETE FROM referral"):
        with pytest.raises(DatabaseError, match="append-only"):
            with engine.begin() as conn:
                conn.execute(sa.text(statement))
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE referral SET note = '[purged]'"))
