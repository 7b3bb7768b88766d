"""One review item with everything authorisation, the item page, mail and export need, loaded in a
handful of queries however many items are asked for (the queue and the dashboard list hundreds).

Also who a post concerns (section 5): senior people named, @-mentioned or referred to by role.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from review.domain import routing
from storage.models import (
    Account,
    FindingRow,
    ItemState,
    Person,
    PersonHandle,
    Post,
    ReviewEvent,
    ReviewItem,
    School,
)


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
