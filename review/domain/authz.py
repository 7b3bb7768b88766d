"""Who may see and act on what: decided here, on the server, for every route and every object.

Seeing an item (any one rule suffices, after the section 5 bar):
- section 5 bar: never an item one is a subject of (wrote it, or it concerns them), nor one
  about one's line manager; this overrides every rule below, the Director of IT's included;
- the Director of IT sees every item;
- whoever holds the item now, or held it before (escalation keeps them informed);
- the creator of the account it came from (sections 4 and 12);
- a Headteacher: their school's items once escalated;
- a Designated Safeguarding Lead: their school's items that identify or discuss pupils (8.4/8.5).

Acting (dismiss, resolve, escalate) needs sight of the item, an item still open, and to be its
holder, the Director of IT, or the Headteacher/DSL by the rules above. Commenting needs sight.
IT pages (schools, people, accounts, roster) are for the Director of IT only.

Role changes the Director of IT asks for are decided by the CEO or a Trustee, a Trustee alone when
the change touches the CEO or a Trustee, never by the person changed nor the one who asked
(`may_confirm_role_change`; see review.domain.roles).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import Session, col, select

from core.sections import SAFEGUARDING
from review.domain import routing
from review.domain.context import ItemContext, load_contexts
from storage.models import (
    Account,
    FindingRow,
    ItemState,
    Person,
    Post,
    ReviewEvent,
    ReviewItem,
    Role,
)
from storage.review_models import RoleChange


def is_it(person: Person) -> bool:
    return person.role == Role.IT_DIRECTOR


def _headteacher_rule(person: Person, ctx: ItemContext) -> bool:
    return (
        person.role == Role.HEADTEACHER
        and ctx.escalated_ever
        and person.school_id is not None
        and person.school_id == ctx.school_id
    )


def _dsl_rule(person: Person, ctx: ItemContext) -> bool:
    return (
        person.role == Role.DSL
        and ctx.safeguarding
        and person.school_id is not None
        and person.school_id == ctx.school_id
    )


def can_view(person: Person, ctx: ItemContext) -> bool:
    if not person.active or not routing.may_review(person, ctx.subjects):
        return False
    return (
        is_it(person)
        or person.id == ctx.item.assignee_id
        or person.id in ctx.past_holders
        or (ctx.creator is not None and person.id == ctx.creator.id)
        or _headteacher_rule(person, ctx)
        or _dsl_rule(person, ctx)
    )


def can_act(person: Person, ctx: ItemContext) -> bool:
    if ItemState(ctx.item.state).is_closed or not can_view(person, ctx):
        return False
    return (
        is_it(person)
        or person.id == ctx.item.assignee_id
        or _headteacher_rule(person, ctx)
        or _dsl_rule(person, ctx)
    )


def can_comment(person: Person, ctx: ItemContext) -> bool:
    return can_view(person, ctx)


OVERSEERS = (Role.CEO, Role.TRUSTEE)


def may_confirm_role_change(person: Person, change: RoleChange) -> bool:
    """Whether `person` may confirm or refuse `change` (section 5's top: the CEO, the Trustees)."""
    if not person.active or person.role not in OVERSEERS:
        return False
    if person.id in (change.person_id, change.requested_by_id):
        return False
    touches_top = {change.from_role, change.to_role} & set(OVERSEERS)
    return not touches_top or person.role == Role.TRUSTEE


def candidate_query(person: Person) -> sa.Select:
    """A SQL superset of the items `person` may see; `can_view` then decides each one."""
    stmt = select(ReviewItem).join(Post, col(Post.id) == col(ReviewItem.post_id))
    stmt = stmt.join(Account, col(Account.id) == col(Post.account_id))
    if is_it(person):
        return stmt
    held = select(ReviewEvent.item_id).where(ReviewEvent.assignee_id == person.id)
    rules = [
        col(ReviewItem.assignee_id) == person.id,
        col(ReviewItem.id).in_(held),
        col(Account.creator_id) == person.id,
    ]
    if person.role == Role.HEADTEACHER and person.school_id is not None:
        escalated = select(ReviewEvent.item_id).where(
            col(ReviewEvent.action).in_(["escalated", "overdue_escalated"])
        )
        rules.append(
            (col(Account.school_id) == person.school_id)
            & (
                (col(ReviewItem.state) == ItemState.ESCALATED.value)
                | col(ReviewItem.id).in_(escalated)
            )
        )
    if person.role == Role.DSL and person.school_id is not None:
        pupils = select(FindingRow.post_id).where(col(FindingRow.section).in_(sorted(SAFEGUARDING)))
        rules.append((col(Account.school_id) == person.school_id) & col(Post.id).in_(pupils))
    return stmt.where(sa.or_(*rules))


def visible_contexts(
    session: Session,
    person: Person,
    stmt: sa.Select | None = None,
) -> list[ItemContext]:
    """Every item `person` may see (optionally narrowed by extra filters already on `stmt`)."""
    stmt = candidate_query(person) if stmt is None else stmt
    items: Sequence[ReviewItem] = session.exec(stmt.order_by(col(ReviewItem.due_at))).all()  # type: ignore[call-overload]
    return [ctx for ctx in load_contexts(session, items) if can_view(person, ctx)]
