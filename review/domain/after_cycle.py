"""After each monitoring cycle: alert safeguarding leads, hand overdue items on, send mail.

The monitor DAG's last task (and `postwarden review-tasks`) runs `after_cycle`; it never acts on an
item's content, only on who holds it and who has been told.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.findings import Severity
from core.sections import SAFEGUARDING
from review.domain import notify, routing
from review.domain.actions import people_by_role
from review.domain.config import ReviewConfig, SmtpConfig
from review.domain.context import load_contexts
from storage import crud
from storage.db import session_scope
from storage.models import FindingRow, ItemState, ReviewEvent, ReviewItem
from storage.types import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SafeguardingAlert:
    item_id: int
    lead_ids: tuple[int, ...]


def alert_safeguarding(session: Session) -> list[SafeguardingAlert]:
    """Items that identify or discuss pupils (8.4, 8.5) and whose school's DSL was not yet alerted:
    record the alert on the item (the DSL sees such items from the moment they open)."""
    alerted = select(ReviewEvent.item_id).where(ReviewEvent.action == "dsl_alerted")
    items = session.exec(
        select(ReviewItem)
        .where(
            col(ReviewItem.id).not_in(alerted),
            col(ReviewItem.post_id).in_(
                select(FindingRow.post_id).where(col(FindingRow.section).in_(sorted(SAFEGUARDING)))
            ),
        )
        .order_by(col(ReviewItem.id))
    ).all()
    people = people_by_role(session)
    out = []
    for ctx in load_contexts(session, items):
        item = ctx.item
        leads = routing.safeguarding_leads(
            school_id=ctx.school_id, subjects=ctx.subjects, people_with_role=people
        )
        ids = tuple(p.id for p in leads if p.id is not None)
        crud.log_event(
            session,
            item=item,
            action="dsl_alerted",
            note=(
                f"Pupil identification (8.4/8.5): {len(ids)} Designated Safeguarding Lead(s) "
                "of the school alerted."
                if ids
                else "Pupil identification (8.4/8.5), but no Designated Safeguarding Lead of "
                "this school is on record: tell the Director of IT."
            ),
            actor_id=None,
        )
        out.append(SafeguardingAlert(item.id, ids))  # type: ignore[arg-type]
    return out


def escalate_overdue(session: Session, *, config: ReviewConfig) -> list[int]:
    """Items not acted on by their due date go to the Director of IT (or up the chain when the
    Director is a subject). Returns the ids handed over; an item already there is left alone."""
    now = utcnow()
    overdue = session.exec(
        select(ReviewItem)
        .where(
            col(ReviewItem.state).in_([ItemState.OPEN.value, ItemState.ESCALATED.value]),
            col(ReviewItem.due_at) < now,
        )
        .order_by(col(ReviewItem.id))
    ).all()
    people = people_by_role(session)
    moved = []
    for ctx in load_contexts(session, overdue):
        item = ctx.item
        route = routing.overdue_target(subjects=ctx.subjects, people_with_role=people)
        if route.assignee_id is None or route.assignee_id == item.assignee_id:
            continue
        item.assignee_id = route.assignee_id
        item.state = ItemState.ESCALATED
        item.due_at = now + timedelta(hours=config.due_hours(Severity(item.severity)))
        item.updated_at = now
        session.add(item)
        crud.log_event(
            session, item=item, action="overdue_escalated", note=route.reason, actor_id=None
        )
        assert item.id is not None
        moved.append(item.id)
    return moved


@dataclass(frozen=True, slots=True)
class AfterCycleResult:
    safeguarding_alerts: int = 0
    overdue_escalated: int = 0
    mails_sent: int = 0
    mail_error: str | None = None


def after_cycle(engine: Engine, *, config: ReviewConfig, smtp: SmtpConfig) -> AfterCycleResult:
    """After each cycle: alert DSLs, hand overdue items on, then send what mail is due.

    Mail failing (SMTP down) is logged and reported, never raised: the alerts and escalations are
    already on record and the next run sends what is still due.
    """
    with session_scope(engine) as session:
        alerts = alert_safeguarding(session)
        moved = escalate_overdue(session, config=config)
    sent, error = 0, None
    try:
        sent = notify.send_due(engine, config=config, smtp=smtp)
    except OSError as exc:
        error = f"{type(exc).__name__}: {exc}"
        log.warning("mail not sent: %s", error)
    return AfterCycleResult(len(alerts), len(moved), sent, error)
