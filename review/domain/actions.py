"""What people and the scheduler do to review items, as plain functions (no web, no Airflow).

The web UI and the CLI call these (the scheduler's side is `review.domain.after_cycle`), so a
dismissal or an escalation is the same act with the same audit trail whoever starts it. Every act
appends to the item's append-only log (`crud.log_event`); section 9 referrals also get a row of
their own.

An item's context (post, account, people, findings) is loaded by `review.domain.context`; its names
are re-exported here for callers that act on items (pipeline.scan asks whom a post concerns).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from enum import StrEnum

from sqlmodel import Session

from core.findings import Severity
from detectors.hashing import MissingRosterKeyError
from review.domain import knowledge, routing
from review.domain.config import ReviewConfig
from review.domain.context import ItemContext as ItemContext
from review.domain.context import concerns_for as concerns_for
from review.domain.context import load_context as load_context
from review.domain.context import load_contexts as load_contexts
from storage import crud
from storage.models import FindingRow, ItemState, Person, ReviewEvent, ReviewItem, Role
from storage.review_models import Referral, ReferralTarget
from storage.types import utcnow

NOTE_MAX = 5000


class ActionError(ValueError):
    """An act that cannot be done as asked; the message is shown to the person as is."""


class Action(StrEnum):
    DISMISS = "dismiss"
    RESOLVE = "resolve"
    ESCALATE = "escalate"
    COMMENT = "comment"


class ResolveOutcome(StrEnum):
    REMOVED = "removed"
    EDITED = "edited"

    @property
    def label(self) -> str:
        return {
            ResolveOutcome.REMOVED: "the owner removed the content",
            ResolveOutcome.EDITED: "the owner edited the content",
        }[self]


class EscalateTo(StrEnum):
    CHAIN = "chain"
    SAFEGUARDING = "safeguarding"


def people_by_role(session: Session) -> Callable[[Role], Sequence[Person]]:
    def with_role(role: Role) -> Sequence[Person]:
        return crud.people_with_role(session, role=role)

    return with_role


def _note(note: str) -> str:
    note = (note or "").strip()
    if not note:
        raise ActionError("A note is required: say what you saw and why you chose this action.")
    if len(note) > NOTE_MAX:
        raise ActionError(f"The note is too long ({len(note)} characters, at most {NOTE_MAX}).")
    return note


def _open(item: ReviewItem) -> None:
    if ItemState(item.state).is_closed:
        raise ActionError(f"This item is already {item.state}; add a comment instead.")


def _close(item: ReviewItem, state: ItemState) -> None:
    now = utcnow()
    item.state = state
    item.closed_at = now
    item.updated_at = now


# --- acts --------------------------------------------------------------------------------------


def comment(session: Session, *, ctx: ItemContext, actor: Person, note: str) -> ReviewEvent:
    """A note on the record; changes nothing else."""
    return crud.log_event(
        session, item=ctx.item, action="comment", note=_note(note), actor_id=actor.id
    )


def dismiss(
    session: Session,
    *,
    ctx: ItemContext,
    actor: Person,
    note: str,
    allowlist_finding_ids: Sequence[int] = (),
    key: bytes | None = None,
) -> ReviewEvent:
    """A false positive. Optionally allowlist the flagged phrase(s) for this account only: the
    detectors keep a keyed digest of each phrase (never the phrase) and skip it from then on."""
    note = _note(note)
    _open(ctx.item)
    wanted = set(allowlist_finding_ids)
    chosen = [f for f in ctx.findings if f.id in wanted]
    if len(chosen) != len(wanted):
        raise ActionError("A phrase to allowlist is not one of this item's findings.")
    if chosen:
        allowlist(session, findings=chosen, actor=actor, note=note, key=key)
    _close(ctx.item, ItemState.DISMISSED)
    session.add(ctx.item)
    extra = f" [allowlisted {len(chosen)} phrase(s) for this account]" if chosen else ""
    return crud.log_event(
        session, item=ctx.item, action="dismissed", note=note + extra, actor_id=actor.id
    )


def allowlist(
    session: Session,
    *,
    findings: Sequence[FindingRow],
    actor: Person,
    note: str,
    key: bytes | None,
) -> None:
    """Each finding's phrase into its account's allowlist (as a keyed digest)."""
    try:
        knowledge.allowlist_findings(
            session, findings=findings, key=key, actor_id=actor.id, note=note
        )
    except MissingRosterKeyError:
        raise ActionError(
            "Allowlisting is not set up here (POSTWARDEN_ROSTER_KEY is missing): ask the "
            "Director of IT. You can dismiss without allowlisting."
        ) from None
    except ValueError as exc:
        raise ActionError(f"Cannot allowlist that phrase: {exc}.") from None


def resolve(
    session: Session,
    *,
    ctx: ItemContext,
    actor: Person,
    note: str,
    outcome: ResolveOutcome = ResolveOutcome.REMOVED,
) -> ReviewEvent:
    """The owner removed or edited the content: the breach is dealt with."""
    note = _note(note)
    _open(ctx.item)
    _close(ctx.item, ItemState.RESOLVED)
    session.add(ctx.item)
    return crud.log_event(
        session,
        item=ctx.item,
        action="resolved",
        note=f"{note} [{ResolveOutcome(outcome).label}]",
        actor_id=actor.id,
    )


def escalate(
    session: Session,
    *,
    ctx: ItemContext,
    actor: Person,
    note: str,
    to: EscalateTo = EscalateTo.CHAIN,
    referral: ReferralTarget | None = None,
    reference: str = "",
    config: ReviewConfig,
) -> ReviewEvent:
    """Hand the item up section 5's chain or to the school's safeguarding lead; optionally record
    a section 9 referral (disciplinary, police, the County Council's safeguarding lead)."""
    note = _note(note)
    _open(ctx.item)
    people = people_by_role(session)
    if to == EscalateTo.SAFEGUARDING:
        leads = routing.safeguarding_leads(
            school_id=ctx.school_id, subjects=ctx.subjects, people_with_role=people
        )
        leads = [p for p in leads if p.id != actor.id]
        if not leads:
            raise ActionError("No Designated Safeguarding Lead is on record for this school.")
        route = routing.Route(leads[0].id, "Escalated to the Designated Safeguarding Lead.")
    else:
        route = chain_route(session, ctx=ctx, actor=actor)
        if route.assignee_id is None and referral is None:
            raise ActionError(f"Cannot escalate further: {route.reason}")
    item = ctx.item
    if route.assignee_id is not None:
        item.assignee_id = route.assignee_id
        item.state = ItemState.ESCALATED
        item.due_at = utcnow() + timedelta(hours=config.due_hours(Severity(item.severity)))
    item.updated_at = utcnow()
    session.add(item)
    event = crud.log_event(
        session, item=item, action="escalated", note=f"{note} [{route.reason}]", actor_id=actor.id
    )
    if referral is not None:
        refer(session, ctx=ctx, actor=actor, to=referral, note=note, reference=reference)
    return event


def chain_route(session: Session, *, ctx: ItemContext, actor: Person) -> routing.Route:
    """The next rung above the item's holder; never back to the person escalating."""
    people = people_by_role(session)
    holder = ctx.assignee if ctx.assignee is not None else actor
    route = routing.next_in_chain(
        holder=holder, school_id=ctx.school_id, subjects=ctx.subjects, people_with_role=people
    )
    if route.assignee_id == actor.id:
        route = routing.next_in_chain(
            holder=actor, school_id=ctx.school_id, subjects=ctx.subjects, people_with_role=people
        )
    return route


def refer(
    session: Session,
    *,
    ctx: ItemContext,
    actor: Person,
    to: ReferralTarget,
    note: str,
    reference: str = "",
) -> Referral:
    """Section 9: record that the matter was referred, to whom, with any outside reference."""
    note = _note(note)
    reference = reference.strip()[:100]
    row = Referral(
        item_id=ctx.item.id,  # type: ignore[arg-type]
        made_by_id=actor.id,
        referred_to=ReferralTarget(to),
        reference=reference,
        note=note,
    )
    session.add(row)
    session.flush()
    ref = f" (reference {reference})" if reference else ""
    crud.log_event(
        session,
        item=ctx.item,
        action="referred",
        note=f"{ReferralTarget(to).label}{ref}: {note}",
        actor_id=actor.id,
    )
    return row


def record_view(session: Session, *, ctx: ItemContext, actor: Person, what: str = "viewed") -> None:
    """Who looked at an item (or exported it) is on record like who acted on it."""
    crud.log_event(session, item=ctx.item, action=what, actor_id=actor.id)
