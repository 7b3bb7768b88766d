"""CRUD on SQLite and real PostgreSQL: idempotent upserts, aware timestamps, append-only audit."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DatabaseError
from sqlmodel import Session, select

from connectors.base import PulledPost
from core.findings import Finding, Severity
from storage import crud
from storage.models import (
    Account,
    AccountKind,
    ItemState,
    Platform,
    Post,
    ReviewEvent,
    ReviewItem,
    Role,
)

T0 = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)


def _account(session: Session, *, approved: bool = True, active: bool = True) -> Account:
    school = crud.get_or_create_school(session, name="Oakfield Primary School")
    head = crud.create_person(
        session, name="Helen Marsh", role=Role.HEADTEACHER, school_id=school.id
    )
    creator = crud.create_person(session, name="Priya Shah", role=Role.STAFF, school_id=school.id)
    n = len(session.exec(select(Account)).all())
    account = crud.create_account(
        session,
        platform=Platform.X,
        external_id=f"15000000000000000{n:02d}",
        handle=f"Oakfield{n}",
        kind=AccountKind.OFFICIAL,
        conn_id="x_oakfield",
        school_id=school.id,
        creator_id=creator.id,
    )
    account.active = active
    if approved:
        crud.approve_account(session, account=account, headteacher=head, on=date(2026, 9, 1))
    session.commit()
    return account


def _pulled(external_id: str, text: str) -> PulledPost:
    return PulledPost(external_id=external_id, text=text, created_at=T0, author_handle="oakfield")


def test_upsert_is_idempotent_and_detects_edits(session: Session) -> None:
    account = _account(session)
    posts = [_pulled("1", "Year 5 loved their trip"), _pulled("2", "Sports day on Friday")]
    assert crud.upsert_posts(session, account=account, posts=posts) == (2, 0)
    session.commit()
    assert crud.upsert_posts(session, account=account, posts=posts) == (0, 0)
    edited = [_pulled("2", "Sports day moved to Monday")]
    assert crud.upsert_posts(session, account=account, posts=edited) == (0, 1)
    session.commit()
    stored = session.exec(select(Post).order_by(Post.external_id)).all()
    assert [p.text for p in stored] == ["Year 5 loved their trip", "Sports day moved to Monday"]
    assert stored[1].content_hash == crud.content_hash("Sports day moved to Monday")


def test_a_page_listing_a_post_twice_stores_it_once(session: Session) -> None:
    account = _account(session)
    assert crud.upsert_posts(
        session, account=account, posts=[_pulled("7", "a"), _pulled("7", "a")]
    ) == (1, 0)
    session.commit()
    assert len(session.exec(select(Post)).all()) == 1


def test_unique_per_platform_and_external_id_is_enforced_by_the_database(session: Session) -> None:
    account = _account(session)
    for _ in range(2):
        session.add(
            Post(
                platform=Platform.X,
                external_id="9",
                account_id=account.id,
                text="x",
                created_at=T0,
                content_hash="h",
            )
        )
    with pytest.raises(sa.exc.IntegrityError):
        session.commit()


@pytest.mark.parametrize(
    "stamp",
    [T0, datetime(2026, 11, 1, 10, 30, tzinfo=timezone(timedelta(hours=1)))],
    ids=["utc", "plus-one-hour"],
)
def test_timestamps_come_back_aware_in_utc(session: Session, stamp: datetime) -> None:
    account = _account(session)
    crud.upsert_posts(session, account=account, posts=[PulledPost("5", "t", stamp)])
    session.commit()
    session.expunge_all()
    post = session.exec(select(Post)).one()
    assert post.created_at.tzinfo is not None
    assert post.created_at == stamp
    assert post.created_at.utcoffset() == timedelta(0)


def test_naive_timestamps_are_refused(session: Session) -> None:
    account = _account(session)
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        crud.upsert_posts(
            session, account=account, posts=[PulledPost("5", "t", datetime(2026, 1, 1))]
        )


@pytest.mark.parametrize(
    ("approved", "active", "pullable"),
    [(True, True, True), (False, True, False), (True, False, False), (False, False, False)],
)
def test_only_active_approved_accounts_are_pullable(
    session: Session, approved: bool, active: bool, pullable: bool
) -> None:
    account = _account(session, approved=approved, active=active)
    assert (account.id in crud.pullable_account_ids(session)) is pullable


def test_approval_needs_a_headteacher(session: Session) -> None:
    account = _account(session, approved=False)
    staff = crud.create_person(session, name="Owen Hughes", role=Role.STAFF)
    with pytest.raises(ValueError, match="not a headteacher"):
        crud.approve_account(session, account=account, headteacher=staff, on=date(2026, 9, 1))


def _finding(severity: Severity, start: int = 0) -> Finding:
    return Finding("PERSON", start, start + 5, 0.85, "8.4", severity, "A person is named.", "t")


def test_one_review_item_per_post_and_severity_only_rises(session: Session) -> None:
    account = _account(session)
    crud.upsert_posts(session, account=account, posts=[_pulled("1", "Amelia in Year 2")])
    post = session.exec(select(Post)).one()
    kw = {"assignee_id": account.creator_id, "reason": "creator", "due_in": timedelta(hours=1)}
    item, opened = crud.open_or_update_item(session, post=post, severity=Severity.MEDIUM, **kw)
    again, opened_again = crud.open_or_update_item(session, post=post, severity=Severity.HIGH, **kw)
    lower, _ = crud.open_or_update_item(session, post=post, severity=Severity.LOW, **kw)
    session.commit()
    assert (opened, opened_again) == (True, False)
    assert item.id == again.id == lower.id
    assert len(session.exec(select(ReviewItem)).all()) == 1
    assert lower.severity == "high"
    actions = [e.action for e in session.exec(select(ReviewEvent).order_by(ReviewEvent.id)).all()]
    assert actions == ["opened", "severity_raised"]


def test_a_closed_item_reopens_when_its_post_needs_review_again(session: Session) -> None:
    account = _account(session)
    crud.upsert_posts(session, account=account, posts=[_pulled("1", "text")])
    post = session.exec(select(Post)).one()
    kw = {"assignee_id": None, "reason": "r", "due_in": timedelta(hours=1)}
    item, _ = crud.open_or_update_item(session, post=post, severity=Severity.MEDIUM, **kw)
    item.state = ItemState.DISMISSED
    crud.open_or_update_item(session, post=post, severity=Severity.MEDIUM, **kw)
    assert item.state == ItemState.OPEN


def test_replace_findings_marks_the_text_scanned(session: Session) -> None:
    account = _account(session)
    crud.upsert_posts(session, account=account, posts=[_pulled("1", "text one")])
    post = session.exec(select(Post)).one()
    assert [p.id for p in crud.posts_to_scan(session, limit=10)] == [post.id]
    crud.replace_findings(
        session, post=post, findings=[_finding(Severity.LOW), _finding(Severity.HIGH, 3)]
    )
    crud.replace_findings(session, post=post, findings=[_finding(Severity.MEDIUM)])
    session.commit()
    assert [f.severity for f in crud.findings_for(session, post_id=post.id)] == ["medium"]
    assert crud.posts_to_scan(session, limit=10) == []
    crud.upsert_posts(session, account=account, posts=[_pulled("1", "text edited")])
    assert [p.id for p in crud.posts_to_scan(session, limit=10)] == [post.id]


@pytest.mark.parametrize(
    "statement", ["UPDATE review_event SET note = 'x'", "DELETE FROM review_event"]
)
def test_the_audit_log_refuses_update_and_delete(session: Session, statement: str) -> None:
    account = _account(session)
    crud.upsert_posts(session, account=account, posts=[_pulled("1", "t")])
    post = session.exec(select(Post)).one()
    crud.open_or_update_item(
        session,
        post=post,
        severity=Severity.HIGH,
        assignee_id=None,
        reason="r",
        due_in=timedelta(hours=1),
    )
    session.commit()
    with pytest.raises(DatabaseError, match="append-only"):
        session.exec(sa.text(statement))  # type: ignore[call-overload]
        session.commit()
    session.rollback()
    assert len(session.exec(select(ReviewEvent)).all()) == 1


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("half an emoji \ud83d", "half an emoji \ufffd"),
        ("nul\x00byte", "nul\ufffdbyte"),
        ("plain", "plain"),
        ("Zoë 🎉 \u202e", "Zoë 🎉 \u202e"),
    ],
    ids=["lone-surrogate", "nul", "ascii", "unicode"],
)
def test_text_no_database_accepts_is_made_storable(session: Session, raw: str, stored: str) -> None:
    account = _account(session)
    crud.upsert_posts(session, account=account, posts=[_pulled("1", raw)])
    session.commit()
    session.expunge_all()
    assert session.exec(select(Post)).one().text == stored
