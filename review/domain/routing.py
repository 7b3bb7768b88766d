"""Who reviews a post: the account's creator (sections 4, 12), never the author (section 5).

Section 5 moves matters about the Headteacher to the Cluster Lead, about the Executive Team to the
CEO and about the CEO to the Trustees; the Director of IT takes what no creator can. A post's
*subjects* are its author and the senior people it concerns (named, @-mentioned or referred to by
role): nobody reviews a post they are a subject of, nor one whose subject is their line manager.
Escalation walks the same chain; overdue items go to the Director of IT; pupil identification
(8.4, 8.5) also alerts the school's Designated Safeguarding Lead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from core.sections import SAFEGUARDING
from storage.models import Account, Person, Role

# Section 5: whose matters go where. The Director of IT sits in the Executive Team.
ESCALATION_FOR_AUTHOR: dict[Role, tuple[Role, str]] = {
    Role.HEADTEACHER: (Role.CLUSTER_LEAD, "the Headteacher wrote it, so the Cluster Lead oversees"),
    Role.EXECUTIVE: (Role.CEO, "a member of the Executive Team wrote it, so the CEO oversees"),
    Role.IT_DIRECTOR: (Role.CEO, "the Director of IT wrote it, so the CEO oversees"),
    Role.CEO: (Role.TRUSTEE, "the CEO wrote it, so the Trustees oversee"),
}
CONCERNS_WHY: dict[Role, str] = {
    Role.HEADTEACHER: "the post concerns the Headteacher, so the Cluster Lead oversees",
    Role.EXECUTIVE: "the post concerns the Executive Team, so the CEO oversees",
    Role.IT_DIRECTOR: "the post concerns the Director of IT, so the CEO oversees",
    Role.CEO: "the post concerns the CEO, so the Trustees oversee",
}
# The more senior a subject, the higher up section 5 the item goes.
SENIORITY: dict[Role, int] = {
    Role.HEADTEACHER: 1,
    Role.EXECUTIVE: 2,
    Role.IT_DIRECTOR: 2,
    Role.CEO: 3,
}
# Escalation: the next rung above whoever holds the item (section 5's chain).
NEXT_RUNG: dict[Role, Role] = {
    Role.STAFF: Role.HEADTEACHER,
    Role.DSL: Role.HEADTEACHER,
    Role.HEADTEACHER: Role.CLUSTER_LEAD,
    Role.CLUSTER_LEAD: Role.CEO,
    Role.EXECUTIVE: Role.CEO,
    Role.IT_DIRECTOR: Role.CEO,
    Role.CEO: Role.TRUSTEE,
}
# Sections whose findings identify or discuss pupils: the school's DSL is alerted too.


@dataclass(frozen=True, slots=True)
class Route:
    """The chosen reviewer (None only when nobody eligible exists) and why, for the audit log."""

    assignee_id: int | None
    reason: str


PeopleWithRole = Callable[[Role], Sequence[Person]]


def choose_reviewer(
    *,
    account: Account,
    creator: Person | None,
    author: Person | None,
    people_with_role: PeopleWithRole,
    concerns: Sequence[Person] = (),
) -> Route:
    """Pick the reviewer for a post on `account` written by `author` (None when unknown) and
    concerning `concerns` (senior people the post is about, see `concerned_people`)."""
    author_id = author.id if author else None
    subjects = subjects_of(author, concerns)
    excluded = {p.id for p in subjects}

    def first_eligible(role: Role) -> Person | None:
        return next(
            (
                p
                for p in people_with_role(role)
                if p.active and p.id not in excluded and not _managed_by_any(p, subjects)
            ),
            None,
        )

    senior = most_senior(subjects)
    if senior is not None:
        role, why = ESCALATION_FOR_AUTHOR[senior.role]
        if senior.id != author_id:
            why = CONCERNS_WHY[senior.role]
        person = first_eligible(role)
        if person is not None:
            return Route(person.id, f"Section 5: {why}.")

    if (
        creator is not None
        and creator.active
        and creator.id not in excluded
        and not _managed_by_any(creator, subjects)
    ):
        return Route(creator.id, "Account creator monitors this account (sections 4 and 12).")

    if creator is None:
        why = "the account has no recorded creator"
    elif not creator.active:
        why = "the account's creator is no longer active"
    elif creator.id == author_id:
        why = "the account's creator wrote this post and may not review it (section 5)"
    else:
        why = "the post concerns the account's creator or their line manager (section 5)"
    director = first_eligible(Role.IT_DIRECTOR)
    if director is not None:
        return Route(director.id, f"Director of IT: {why}.")
    # Nobody fits the rule: the top of the section 5 chain, never the author.
    for role in (Role.CEO, Role.TRUSTEE):
        person = first_eligible(role)
        if person is not None:
            return Route(person.id, f"{role.value}: {why} and no Director of IT is available.")
    return Route(None, f"Unassigned: {why} and nobody eligible is on record.")


# --- subjects and line management --------------------------------------------------------------


def subjects_of(author: Person | None, concerns: Iterable[Person] = ()) -> list[Person]:
    """The author and the people the post concerns, once each."""
    out: dict[int | None, Person] = {}
    for p in [author, *concerns]:
        if p is not None:
            out.setdefault(p.id, p)
    return list(out.values())


def most_senior(subjects: Iterable[Person]) -> Person | None:
    """The subject highest up section 5 (None when no subject is senior)."""
    ranked = [p for p in subjects if p.role in SENIORITY]
    return max(ranked, key=lambda p: SENIORITY[p.role], default=None)


def manages(manager: Person, person: Person) -> bool:
    """Whether `manager` is `person`'s line manager as the trust is structured (section 5)."""
    if manager.id is not None and manager.id == person.id:
        return False
    if person.role in (Role.STAFF, Role.DSL):
        return manager.role == Role.HEADTEACHER and manager.school_id == person.school_id
    if person.role == Role.HEADTEACHER:
        return manager.role == Role.CLUSTER_LEAD
    if person.role in (Role.EXECUTIVE, Role.IT_DIRECTOR, Role.CLUSTER_LEAD):
        return manager.role == Role.CEO
    if person.role == Role.CEO:
        return manager.role == Role.TRUSTEE
    return False


def _managed_by_any(person: Person, subjects: Iterable[Person]) -> bool:
    return any(manages(s, person) for s in subjects)


def may_review(person: Person, subjects: Sequence[Person]) -> bool:
    """Section 5: nobody reviews a post they are a subject of, or one about their line manager."""
    return all(s.id != person.id for s in subjects) and not _managed_by_any(person, subjects)


# --- who a post concerns -----------------------------------------------------------------------

_TITLES = r"(?:mr|mrs|ms|miss|mx|dr)\.?"
ROLE_WORDS: dict[Role, re.Pattern[str]] = {
    Role.HEADTEACHER: re.compile(
        r"\b(?:head\s?teacher|head\s?mistress|head\s?master|head of school|principal)s?\b", re.I
    ),
    Role.CEO: re.compile(r"\b(?:CEO|chief executive(?: officer)?)\b", re.I),
    Role.IT_DIRECTOR: re.compile(r"\bdirector of IT\b", re.I),
}
_MENTION = re.compile(r"@(\w{1,50})")


def concerned_people(
    text: str,
    *,
    senior_people: Sequence[Person],
    school_id: int | None,
    handles: Mapping[str, Person] | None = None,
) -> list[Person]:
    """Senior people (section 5 roles) a post is about: by full name, title and surname,
    @-handle, or by role ("our headteacher" means the account's school's Headteacher)."""
    found: dict[int | None, Person] = {}
    for person in senior_people:
        if person.role not in SENIORITY:
            continue
        names = [re.escape(person.name)]
        surname = person.name.split()[-1] if person.name.split() else ""
        if surname:
            names.append(rf"{_TITLES}\s+{re.escape(surname)}")
        if re.search(rf"\b(?:{'|'.join(names)})\b", text, re.I):
            found.setdefault(person.id, person)
            continue
        words = ROLE_WORDS.get(person.role)
        in_scope = person.role != Role.HEADTEACHER or person.school_id == school_id
        if words is not None and in_scope and words.search(text):
            found.setdefault(person.id, person)
    for handle in _MENTION.findall(text):
        mentioned = (handles or {}).get(handle.lower())
        if mentioned is not None and mentioned.role in SENIORITY:
            found.setdefault(mentioned.id, mentioned)
    return list(found.values())


# --- after routing: escalation, overdue, safeguarding ------------------------------------------


def next_in_chain(
    *,
    holder: Person | None,
    school_id: int | None,
    subjects: Sequence[Person],
    people_with_role: PeopleWithRole,
) -> Route:
    """Whom an item escalates to from its current holder, up section 5's chain; rungs whose people
    are subjects (or managed by one) are skipped. None at the top: the Trustees."""
    role = NEXT_RUNG.get(holder.role, Role.HEADTEACHER) if holder else Role.HEADTEACHER
    if holder is not None and holder.role == Role.TRUSTEE:
        return Route(None, "The Trustees are the top of the section 5 chain.")
    while True:
        candidates = [
            p
            for p in people_with_role(role)
            if p.active
            and (holder is None or p.id != holder.id)
            and may_review(p, subjects)
            and (role != Role.HEADTEACHER or p.school_id == school_id)
        ]
        if candidates:
            return Route(candidates[0].id, f"Escalated to the {_ROLE_NAMES[role]} (section 5).")
        if role not in NEXT_RUNG:
            return Route(None, "Nobody above is available on record.")
        role = NEXT_RUNG[role]


def overdue_target(*, subjects: Sequence[Person], people_with_role: PeopleWithRole) -> Route:
    """Overdue items go to the Director of IT, or up the chain when the Director is a subject."""
    for role in (Role.IT_DIRECTOR, Role.CEO, Role.TRUSTEE):
        person = next(
            (p for p in people_with_role(role) if p.active and may_review(p, subjects)), None
        )
        if person is not None:
            return Route(person.id, f"Overdue: escalated to the {_ROLE_NAMES[role]}.")
    return Route(None, "Overdue, and nobody eligible is on record.")


def safeguarding_leads(
    *, school_id: int | None, subjects: Sequence[Person], people_with_role: PeopleWithRole
) -> list[Person]:
    """The school's Designated Safeguarding Leads who may see the item (8.4, 8.5)."""
    return [
        p
        for p in people_with_role(Role.DSL)
        if p.active and p.school_id == school_id and may_review(p, subjects)
    ]


def is_safeguarding(sections: Iterable[str]) -> bool:
    """Pupil identification or discussion (8.4, 8.5): the school's safeguarding lead is told."""
    return any(s in SAFEGUARDING for s in sections)


_ROLE_NAMES: dict[Role, str] = {
    Role.HEADTEACHER: "Headteacher",
    Role.CLUSTER_LEAD: "Cluster Lead",
    Role.CEO: "CEO",
    Role.TRUSTEE: "Trustees",
    Role.IT_DIRECTOR: "Director of IT",
    Role.EXECUTIVE: "Executive Team",
    Role.DSL: "Designated Safeguarding Lead",
    Role.STAFF: "staff",
}
