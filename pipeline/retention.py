"""Holding pupils' data only as long as needed (UK GDPR storage limitation and minimisation).

Two rules, both idempotent:

- A scanned post that opened no review item keeps only what dedupe, cursors and routing need
  (ids, author handle, url, content hash, timestamps): its text is dropped as soon as it is
  scanned (`drop_unflagged_text`, called by the pipeline) and by every purge run (for posts
  stored before this rule, or whose item was never opened).
- A review item closed more than `RetentionConfig.days_closed` days ago loses its post's text, its
  findings' explanations and spans, and the notes of its audit events (`purge_closed`). The audit
  trail's who (actor), what (action, state, assignee) and when (timestamp) stay, as do the
  finding types, sections and severities, so the trust can still show what it found and did.

Each run is recorded in `purge_run`, with one `purge_record` per item it purged. Nothing here
imports Airflow: the housekeeping DAG and `postwarden ops purge` both call `purge`.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from storage.db import session_scope
from storage.models import FindingRow, ItemState, Post, ReviewEvent, ReviewItem
from storage.ops_models import PurgeRecord, PurgeRun
from storage.review_models import Referral
from storage.types import utcnow

log = logging.getLogger(__name__)

PURGED = "[purged]"  # what a purged note or explanation reads (the audit trigger allows only it)
CLOSED_STATES = [s.value for s in ItemState if s.is_closed]
BATCH = 500  # items per transaction: a long purge never holds one huge lock


@dataclass(frozen=True, slots=True)
class PurgeResult:
    run_id: int
    cutoff: datetime
    items_purged: int
    posts_purged: int
    findings_purged: int
    notes_purged: int
    unflagged_texts_dropped: int

    def as_dict(self) -> dict[str, object]:
        out = asdict(self)
        out["cutoff"] = self.cutoff.isoformat()
        return out


def drop_unflagged_text(session: Session, *, post: Post) -> bool:
    """After a scan: drop the text unless a review item (open or closed) still needs it.

    A closed item's text waits for the retention period; an open one's is what the reviewer
    reads. Returns whether text was dropped.
    """
    if post.text is None:
        return False
    item = session.exec(select(ReviewItem.id).where(ReviewItem.post_id == post.id)).first()
    if item is not None:
        return False
    post.text = None
    session.add(post)
    return True


def _unflagged_posts(session: Session, limit: int) -> list[Post]:
    """Scanned posts (current text scanned) that still hold text and have no review item."""
    has_item = sa.exists().where(col(ReviewItem.post_id) == col(Post.id))
    return list(
        session.exec(
            select(Post)
            .where(
                col(Post.text).is_not(None),
                col(Post.detected_hash) == col(Post.content_hash),
                ~has_item,
            )
            .order_by(col(Post.id))
            .limit(limit)
        ).all()
    )


def _due_items(session: Session, cutoff: datetime, limit: int) -> list[ReviewItem]:
    """Closed before `cutoff` and not yet purged for this closing (a reopened item re-qualifies)."""
    purged = sa.exists().where(
        col(PurgeRecord.item_id) == col(ReviewItem.id),
        col(PurgeRecord.closed_at) == col(ReviewItem.closed_at),
    )
    return list(
        session.exec(
            select(ReviewItem)
            .where(
                col(ReviewItem.state).in_(CLOSED_STATES),
                col(ReviewItem.closed_at).is_not(None),
                col(ReviewItem.closed_at) <= cutoff,
                ~purged,
            )
            .order_by(col(ReviewItem.id))
            .limit(limit)
        ).all()
    )


def _purge_item(session: Session, *, run: PurgeRun, item: ReviewItem) -> tuple[int, int, int]:
    """Text, evidence and notes of one closed item; returns (posts, findings, notes) changed."""
    posts = findings = notes = 0
    post = session.get(Post, item.post_id)
    if post is not None and post.text is not None:
        post.text = None
        session.add(post)
        posts = 1
    for f in session.exec(select(FindingRow).where(FindingRow.post_id == item.post_id)).all():
        if f.explanation != PURGED or f.start or f.end:
            f.explanation, f.start, f.end = PURGED, 0, 0
            session.add(f)
            findings += 1
    events = session.exec(
        select(ReviewEvent).where(
            ReviewEvent.item_id == item.id, ReviewEvent.note != "", ReviewEvent.note != PURGED
        )
    ).all()
    for event in events:
        event.note = PURGED  # the database refuses any other change to an audit event
        session.add(event)
        notes += 1
    # A section 9 referral keeps who referred to whom, when and the reference, not the words.
    referrals = session.exec(
        select(Referral).where(
            Referral.item_id == item.id, Referral.note != "", Referral.note != PURGED
        )
    ).all()
    for referral in referrals:
        referral.note = PURGED
        session.add(referral)
        notes += 1
    assert item.closed_at is not None
    session.add(
        PurgeRecord(
            run_id=run.id,  # type: ignore[arg-type]
            item_id=item.id,  # type: ignore[arg-type]
            post_id=item.post_id,
            closed_at=item.closed_at,
        )
    )
    return posts, findings, notes


def purge(
    engine: Engine,
    *,
    days_closed: int,
    now: datetime | None = None,
    trigger: str = "cli",
) -> PurgeResult:
    """One retention pass; safe to run any number of times (a second run finds nothing)."""
    now = now or utcnow()
    cutoff = now - timedelta(days=days_closed)
    with session_scope(engine) as session:
        run = PurgeRun(retention_days=days_closed, cutoff=cutoff, trigger=trigger[:64])
        session.add(run)
        session.flush()
        run_id = run.id
    counts = {"items": 0, "posts": 0, "findings": 0, "notes": 0, "unflagged": 0}
    while True:
        with session_scope(engine) as session:
            current = session.get(PurgeRun, run_id)
            assert current is not None
            items = _due_items(session, cutoff, BATCH)
            for item in items:
                p, f, n = _purge_item(session, run=current, item=item)
                counts["items"] += 1
                counts["posts"] += p
                counts["findings"] += f
                counts["notes"] += n
        if len(items) < BATCH:
            break
    while True:
        with session_scope(engine) as session:
            posts = _unflagged_posts(session, BATCH)
            for post in posts:
                post.text = None
                session.add(post)
            counts["unflagged"] += len(posts)
        if len(posts) < BATCH:
            break
    with session_scope(engine) as session:
        finished = session.get(PurgeRun, run_id)
        assert finished is not None
        finished.items_purged = counts["items"]
        finished.posts_purged = counts["posts"]
        finished.findings_purged = counts["findings"]
        finished.notes_purged = counts["notes"]
        finished.unflagged_texts_dropped = counts["unflagged"]
        finished.finished_at = utcnow()
        session.add(finished)
    result = PurgeResult(
        run_id=run_id,  # type: ignore[arg-type]
        cutoff=cutoff,
        items_purged=counts["items"],
        posts_purged=counts["posts"],
        findings_purged=counts["findings"],
        notes_purged=counts["notes"],
        unflagged_texts_dropped=counts["unflagged"],
    )
    log.info("purge finished", extra=result.as_dict())
    return result


def recent_runs(session: Session, *, limit: int = 10) -> list[PurgeRun]:
    """The last purge runs, newest first (for `postwarden ops purges`)."""
    return list(session.exec(select(PurgeRun).order_by(col(PurgeRun.id).desc()).limit(limit)).all())
