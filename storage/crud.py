"""Keyword-only, typed CRUD: a few lines each, the caller owns the transaction."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from core.findings import Finding, Severity
from storage.models import (
    Account,
    AccountKind,
    AccountState,
    FindingRow,
    ItemState,
    Person,
    PersonHandle,
    Platform,
    Post,
    PostCreate,
    ReviewEvent,
    ReviewItem,
    Role,
    School,
)
from storage.types import utcnow


def content_hash(text: str) -> str:
    """sha256 of the post text: the cheap test for 'edited since last scan'."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def storable_text(text: str) -> str:
    """Text every database accepts: a lone surrogate (a JSON-escaped half emoji) or NUL becomes
    U+FFFD, which PostgreSQL would otherwise refuse, failing the whole page."""
    return _UNSTORABLE.sub("\ufffd", text)


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


# --- schools and people ------------------------------------------------------------------------


def get_or_create_school(session: Session, *, name: str, urn: str | None = None) -> School:
    school = session.exec(select(School).where(School.name == name)).first()
    if school is None:
        school = School(name=name, urn=urn)
        session.add(school)
        session.flush()
    return school


def create_person(
    session: Session,
    *,
    name: str,
    role: Role,
    email: str | None = None,
    school_id: int | None = None,
    active: bool = True,
) -> Person:
    person = Person(name=name, role=role, email=email, school_id=school_id, active=active)
    session.add(person)
    session.flush()
    return person


def add_handle(session: Session, *, person_id: int, platform: Platform, handle: str) -> None:
    session.add(PersonHandle(person_id=person_id, platform=platform, handle=handle.lower()))
    session.flush()


def person_by_handle(session: Session, *, platform: str, handle: str | None) -> Person | None:
    """Who wrote a post, when the author's handle or platform id is known to us."""
    if not handle:
        return None
    return session.exec(
        select(Person)
        .join(PersonHandle, col(PersonHandle.person_id) == col(Person.id))
        .where(PersonHandle.platform == platform, PersonHandle.handle == handle.lower())
    ).first()


def people_with_role(
    session: Session, *, role: Role, school_id: int | None = None
) -> Sequence[Person]:
    """Active people holding a role, at a school when given (trust-wide roles have none)."""
    stmt = select(Person).where(Person.role == role, col(Person.active).is_(True))
    if school_id is not None:
        stmt = stmt.where(Person.school_id == school_id)
    return session.exec(stmt.order_by(col(Person.id))).all()


# --- accounts ----------------------------------------------------------------------------------


def create_account(
    session: Session,
    *,
    platform: Platform,
    external_id: str,
    handle: str,
    kind: AccountKind,
    conn_id: str,
    school_id: int | None = None,
    creator_id: int | None = None,
) -> Account:
    account = Account(
        platform=platform,
        external_id=external_id,
        handle=handle,
        kind=kind,
        conn_id=conn_id,
        school_id=school_id,
        creator_id=creator_id,
    )
    session.add(account)
    session.flush()
    return account


def approve_account(
    session: Session, *, account: Account, headteacher: Person, on: date
) -> Account:
    """Record the section 4 approval; only a headteacher may give it."""
    if headteacher.role != Role.HEADTEACHER:
        raise ValueError(f"{headteacher.name} is not a headteacher; section 4 needs one")
    account.approved_by_id = headteacher.id
    account.approved_on = on
    session.add(account)
    return account


def pullable_accounts(session: Session) -> list[tuple[int, str]]:
    """(id, platform) of active accounts with a recorded approval: the only ones a cycle may
    pull (section 4)."""
    rows = session.exec(
        select(Account.id, Account.platform)
        .where(
            col(Account.active).is_(True),
            col(Account.approved_by_id).is_not(None),
            col(Account.approved_on).is_not(None),
        )
        .order_by(col(Account.id))
    ).all()
    return [(i, str(p)) for i, p in rows if i is not None]


def pullable_account_ids(session: Session) -> list[int]:
    """Ids of the accounts a cycle may pull (section 4)."""
    return [i for i, _ in pullable_accounts(session)]


def record_pull(
    session: Session,
    *,
    account: Account,
    state: AccountState,
    error: str | None = None,
    posts: int = 0,
    reads: int = 0,
    cursor: str | None = None,
    deferred_until: datetime | None = None,
) -> None:
    """Health bookkeeping; a new cursor is written only with the posts it covers."""
    account.state = state
    account.last_pull_at = utcnow()
    account.last_error = error[:2000] if error else None
    account.posts_pulled += posts
    account.reads_spent += reads
    account.deferred_until = deferred_until
    if cursor is not None:
        account.cursor = cursor
    session.add(account)


# --- posts -------------------------------------------------------------------------------------


def upsert_posts(
    session: Session, *, account: Account, posts: Iterable[PostCreate]
) -> tuple[int, int]:
    """Insert new posts, update edited ones; returns (new, changed). Re-runs change nothing."""
    batch = {p.external_id: p for p in posts}  # a page listing a post twice stores it once
    existing = {
        p.external_id: p
        for p in session.exec(
            select(Post).where(
                Post.platform == account.platform, col(Post.external_id).in_(list(batch))
            )
        ).all()
    }
    new = changed = 0
    for external_id, pulled in batch.items():
        text = storable_text(pulled.text)
        digest = content_hash(text)
        post = existing.get(external_id)
        if post is None:
            session.add(
                Post(
                    platform=account.platform,
                    external_id=external_id,
                    account_id=account.id,  # type: ignore[arg-type]
                    author_id=pulled.author_id,
                    author_handle=pulled.author_handle,
                    text=text,
                    url=pulled.url,
                    created_at=pulled.created_at,
                    content_hash=digest,
                )
            )
            new += 1
        elif post.content_hash != digest:
            post.text, post.content_hash, post.updated_at = text, digest, utcnow()
            post.deleted = False
            session.add(post)
            changed += 1
    session.flush()
    return new, changed


def posts_to_scan(session: Session, *, limit: int, after_id: int = 0) -> Sequence[Post]:
    """Posts whose current text has not been scanned yet, oldest id first (keyset paging)."""
    return session.exec(
        select(Post)
        .where(
            col(Post.id) > after_id,
            col(Post.deleted).is_(False),
            col(Post.text).is_not(None),
            (col(Post.detected_hash).is_(None)) | (Post.detected_hash != Post.content_hash),
        )
        .order_by(col(Post.id))
        .limit(limit)
    ).all()


def unscanned_post_ids(session: Session, *, limit: int) -> Sequence[int]:
    """Ids of the posts `posts_to_scan` would return, oldest first (for planning the scan)."""
    return session.exec(
        select(Post.id)
        .where(
            col(Post.deleted).is_(False),
            col(Post.text).is_not(None),
            (col(Post.detected_hash).is_(None)) | (Post.detected_hash != Post.content_hash),
        )
        .order_by(col(Post.id))
        .limit(limit)
    ).all()  # type: ignore[return-value]


def replace_findings(session: Session, *, post: Post, findings: Sequence[Finding]) -> None:
    """A rescan supersedes the post's old findings; mark the text as scanned."""
    for old in session.exec(select(FindingRow).where(FindingRow.post_id == post.id)).all():
        session.delete(old)
    for f in findings:
        session.add(
            FindingRow(
                post_id=post.id,  # type: ignore[arg-type]
                type=f.type,
                start=f.start,
                end=f.end,
                score=f.score,
                section=f.section,
                severity=Severity(f.severity),
                explanation=f.explanation,
                detector=f.detector,
            )
        )
    post.detected_hash = post.content_hash
    session.add(post)
    session.flush()


def findings_for(session: Session, *, post_id: int) -> Sequence[FindingRow]:
    return session.exec(
        select(FindingRow).where(FindingRow.post_id == post_id).order_by(col(FindingRow.start))
    ).all()


# --- review ------------------------------------------------------------------------------------


def item_for_post(session: Session, *, post_id: int) -> ReviewItem | None:
    return session.exec(select(ReviewItem).where(ReviewItem.post_id == post_id)).first()


def open_or_update_item(
    session: Session,
    *,
    post: Post,
    severity: Severity,
    assignee_id: int | None,
    reason: str,
    due_in: timedelta,
) -> tuple[ReviewItem, bool]:
    """Exactly one item per post: open it, or refresh a still-open one. Returns (item, opened)."""
    item = item_for_post(session, post_id=post.id)  # type: ignore[arg-type]
    now = utcnow()
    if item is None:
        item = ReviewItem(
            post_id=post.id,  # type: ignore[arg-type]
            assignee_id=assignee_id,
            severity=severity,
            due_at=now + due_in,
            route_reason=reason,
        )
        session.add(item)
        session.flush()
        log_event(session, item=item, action="opened", note=reason, actor_id=None)
        return item, True
    if ItemState(item.state).is_closed:
        # The post changed after it was closed: it needs a fresh look.
        item.state = ItemState.OPEN
        item.closed_at = None
        log_event(session, item=item, action="reopened", note=reason, actor_id=None)
    elif Severity(item.severity).rank < severity.rank:
        log_event(session, item=item, action="severity_raised", note=str(severity), actor_id=None)
    item.severity = Severity.highest([item.severity, severity])
    item.updated_at = now
    session.add(item)
    return item, False


def log_event(
    session: Session,
    *,
    item: ReviewItem,
    action: str,
    note: str = "",
    actor_id: int | None,
) -> ReviewEvent:
    """Append to the audit log (the database refuses to change or delete a row of it)."""
    event = ReviewEvent(
        item_id=item.id,  # type: ignore[arg-type]
        actor_id=actor_id,
        action=action,
        note=note,
        assignee_id=item.assignee_id,
        state=ItemState(item.state),
    )
    session.add(event)
    session.flush()
    return event


def list_items(
    session: Session, *, states: Sequence[ItemState] = (ItemState.OPEN, ItemState.ESCALATED)
) -> Sequence[ReviewItem]:
    return session.exec(
        select(ReviewItem)
        .where(col(ReviewItem.state).in_([str(s) for s in states]))
        .order_by(col(ReviewItem.due_at))
    ).all()
