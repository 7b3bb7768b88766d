"""Who reviews a post: the account's creator (sections 4, 12), never the author (section 5).

Section 5 moves matters about the Headteacher to the Cluster Lead, about the Executive Team to the
CEO and about the CEO to the Trustees; the Director of IT takes what no creator can.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from storage.models import Account, Person, Role

# Section 5: whose matters go where. The Director of IT sits in the Executive Team.
ESCALATION_FOR_AUTHOR: dict[Role, tuple[Role, str]] = {
    Role.HEADTEACHER: (Role.CLUSTER_LEAD, "the Headteacher wrote it, so the Cluster Lead oversees"),
    Role.EXECUTIVE: (Role.CEO, "a member of the Executive Team wrote it, so the CEO oversees"),
    Role.IT_DIRECTOR: (Role.CEO, "the Director of IT wrote it, so the CEO oversees"),
    Role.CEO: (Role.TRUSTEE, "the CEO wrote it, so the Trustees oversee"),
}


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
) -> Route:
    """Pick the reviewer for a post on `account` written by `author` (None when unknown)."""
    author_id = author.id if author else None

    def first_eligible(role: Role) -> Person | None:
        return next((p for p in people_with_role(role) if p.active and p.id != author_id), None)

    if author is not None and author.role in ESCALATION_FOR_AUTHOR:
        role, why = ESCALATION_FOR_AUTHOR[author.role]
        person = first_eligible(role)
        if person is not None:
            return Route(person.id, f"Section 5: {why}.")

    if creator is not None and creator.active and creator.id != author_id:
        return Route(creator.id, "Account creator monitors this account (sections 4 and 12).")

    if creator is None:
        why = "the account has no recorded creator"
    elif not creator.active:
        why = "the account's creator is no longer active"
    else:
        why = "the account's creator wrote this post and may not review it (section 5)"
    director = first_eligible(Role.IT_DIRECTOR)
    if director is not None:
        return Route(director.id, f"Director of IT: {why}.")
    # Nobody fits the rule: the top of the section 5 chain, never the author.
    for role in (Role.CEO, Role.TRUSTEE):
        person = first_eligible(role)
        if person is not None:
            return Route(person.id, f"{role.value}: {why} and no Director of IT is available.")
    return Route(None, f"Unassigned: {why} and nobody eligible is on record.")
