"""What people and the scheduler do to review items, as plain functions (no web, no Airflow).

The web UI and the CLI call these (the scheduler's side is `review.domain.after_cycle`), so a
dismissal or an escalation is the same act with the same audit trail whoever starts it. Every act
appends to the item's append-only log (`crud.log_event`); section 9 referrals also get a row of
their own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from sqlmodel import Session, col, select

from core.findings import Severity
from detectors.hashing import MissingRosterKeyError
from review.domain import knowledge, routing
from review.domain.config import ReviewConfig
from storage import crud
from storage.models import (
    Account,
    FindingRow,
    ItemState,
    Person,
    PersonHandle,
    Post,
    ReviewEvent,
    ReviewItem,
    Role,
    School,
)
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


# --- context: everything authorisation and the item page need ----------------------------------


@dataclass(frozen=True)
class ItemContext:
    """One item with its post, account, people and findings, loaded once per request."""

    item: ReviewItem
    post: Post
    account: Account
    school: School | None
    creator: Person | None
    assignee: Person | None
    author: Person | None
    subjects: tuple[Person, ...]
    findings: tuple[FindingRow, ...]
    escalated_ever: bool
    past_holders: frozenset[int] = field(default_factory=frozenset)

    @property
    def sections(self) -> set[str]:
        return {f.section for f in self.findings}

    @property
    def safeguarding(self) -> bool:
        return routing.is_safeguarding(self.sections)

    @property
    def school_id(self) -> int | None:
        return self.account.school_id


def senior_people(session: Session) -> Sequence[Person]:
    """People in section 5 roles, the only ones a post can 'concern' for routing."""
    return session.exec(
        select(Person).where(col(Person.role).in_([r.value for r in routing.SENIORITY]))
    ).all()


def concerns_for(
    session: Session,
    *,
    post: Post,
    account: Account,
    seniors: Sequence[Person] | None = None,
) -> list[Person]:
    """Senior people this post is about (named, @-mentioned, or by role at the account's school)."""
    seniors = senior_people(session) if seniors is None else seniors
    handles = {
        h.handle: p
        for h, p in session.exec(
            select(PersonHandle, Person)
            .join(Person, col(Person.id) == col(PersonHandle.person_id))
            .where(
                PersonHandle.platform == post.platform,
                col(Person.role).in_([r.value for r in routing.SENIORITY]),
            )
        ).all()
    }
    return routing.concerned_people(
        post.text or "", senior_people=seniors, school_id=account.school_id, handles=handles
    )


def load_context(session: Session, item: ReviewItem) -> ItemContext:
    return load_contexts(session, [item])[0]


def _chunks(ids: Sequence[int], size: int = 500) -> Iterable[list[int]]:
    for i in range(0, len(ids), size):
        yield list(ids[i : i + size])


def load_contexts(session: Session, items: Sequence[ReviewItem]) -> list[ItemContext]:
    """Contexts of many items in a handful of queries (the queue and dashboard list hundreds)."""
    if not items:
        return []
    people = {p.id: p for p in session.exec(select(Person)).all()}
    schools = {s.id: s for s in session.exec(select(School)).all()}
    seniors = [p for p in people.values() if p.role in routing.SENIORITY]
    handles: dict[tuple[str, str], Person] = {
        (str(h.platform), h.handle): people[h.person_id]
        for h in session.exec(select(PersonHandle)).all()
        if h.person_id in people
    }
    posts: dict[int | None, Post] = {}
    for chunk in _chunks([i.post_id for i in items]):
        posts.update({p.id: p for p in session.exec(select(Post).where(col(Post.id).in_(chunk)))})
    accounts: dict[int | None, Account] = {}
    for chunk in _chunks(sorted({p.account_id for p in posts.values()})):
        accounts.update(
            {a.id: a for a in session.exec(select(Account).where(col(Account.id).in_(chunk)))}
        )
    findings: dict[int, list[FindingRow]] = defaultdict(list)
    for chunk in _chunks(list(posts)):  # type: ignore[arg-type]
        for f in session.exec(
            select(FindingRow)
            .where(col(FindingRow.post_id).in_(chunk))
            .order_by(col(FindingRow.start), col(FindingRow.id))
        ):
            findings[f.post_id].append(f)
    events: dict[int, list[tuple[str, int | None]]] = defaultdict(list)
    for chunk in _chunks([i.id for i in items]):  # type: ignore[misc]
        for item_id, action, assignee_id in session.exec(
            select(ReviewEvent.item_id, ReviewEvent.action, ReviewEvent.assignee_id).where(
                col(ReviewEvent.item_id).in_(chunk)
            )
        ):
            events[item_id].append((action, assignee_id))
    out = []
    for item in items:
        post = posts[item.post_id]
        account = accounts[post.account_id]
        platform = str(post.platform)
        author = None
        for key in (post.author_handle, post.author_id):
            if key and author is None:
                author = handles.get((platform, key.lower()))
        mentions = {h: p for (plat, h), p in handles.items() if plat == platform}
        concerns = routing.concerned_people(
            post.text or "", senior_people=seniors, school_id=account.school_id, handles=mentions
        )
        item_events = events.get(item.id, [])  # type: ignore[arg-type]
        out.append(
            ItemContext(
                item=item,
                post=post,
                account=account,
                school=schools.get(account.school_id),
                creator=people.get(account.creator_id),
                assignee=people.get(item.assignee_id),
                author=author,
                subjects=tuple(routing.subjects_of(author, concerns)),
                findings=tuple(findings.get(post.id, [])),  # type: ignore[arg-type]
                escalated_ever=item.state == ItemState.ESCALATED
                or any(a in ("escalated", "overdue_escalated") for a, _ in item_events),
                past_holders=frozenset(a for _, a in item_events if a is not None),
            )
        )
    return out


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
