"""Routing table: sections 4, 5 and 12 decide who reviews; nobody reviews their own post."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from review.domain.routing import choose_reviewer
from storage.models import Account, AccountKind, Person, Platform, Role

PEOPLE = {
    "creator": Person(id=1, name="Priya Shah", role=Role.STAFF),
    "inactive_creator": Person(id=2, name="Ben Fox", role=Role.STAFF, active=False),
    "head": Person(id=3, name="Helen Marsh", role=Role.HEADTEACHER),
    "director": Person(id=4, name="Dana Okafor", role=Role.IT_DIRECTOR),
    "cluster": Person(id=5, name="Ruth Adeyemi", role=Role.CLUSTER_LEAD),
    "exec": Person(id=6, name="Sam Carter", role=Role.EXECUTIVE),
    "ceo": Person(id=7, name="Grace Whitfield", role=Role.CEO),
    "trustee": Person(id=8, name="Martin Ellis", role=Role.TRUSTEE),
    "other_staff": Person(id=9, name="Chloe Dunn", role=Role.STAFF),
}
ACCOUNT = Account(
    id=1, platform=Platform.X, external_id="1", handle="h", kind=AccountKind.OFFICIAL, conn_id="c"
)


def _with_role(exclude: set[str] = frozenset()):  # type: ignore[assignment]
    def lookup(role: Role) -> Sequence[Person]:
        return [p for k, p in PEOPLE.items() if p.role == role and k not in exclude]

    return lookup


@pytest.mark.parametrize(
    ("creator", "author", "expected", "reason_has"),
    [
        ("creator", None, "creator", "creator monitors"),
        ("creator", "other_staff", "creator", "creator monitors"),
        (None, None, "director", "no recorded creator"),
        ("inactive_creator", None, "director", "no longer active"),
        ("creator", "creator", "director", "wrote this post"),
        ("head", "head", "cluster", "Headteacher wrote it"),
        ("creator", "head", "cluster", "Headteacher wrote it"),
        ("creator", "exec", "ceo", "Executive Team"),
        ("director", "director", "ceo", "Director of IT wrote it"),
        ("creator", "ceo", "trustee", "the CEO wrote it"),
    ],
)
def test_reviewer_table(
    creator: str | None, author: str | None, expected: str, reason_has: str
) -> None:
    route = choose_reviewer(
        account=ACCOUNT,
        creator=PEOPLE[creator] if creator else None,
        author=PEOPLE[author] if author else None,
        people_with_role=_with_role(),
    )
    assert route.assignee_id == PEOPLE[expected].id
    assert reason_has in route.reason


@pytest.mark.parametrize(
    ("author", "missing", "expected"),
    [
        ("creator", {"director"}, "ceo"),
        ("creator", {"director", "ceo"}, "trustee"),
        ("head", {"cluster"}, "director"),
    ],
)
def test_falls_back_up_the_chain_but_never_to_the_author(
    author: str, missing: set[str], expected: str
) -> None:
    route = choose_reviewer(
        account=ACCOUNT,
        creator=PEOPLE["creator"] if author != "head" else PEOPLE["head"],
        author=PEOPLE[author],
        people_with_role=_with_role(missing),
    )
    assert route.assignee_id == PEOPLE[expected].id
    assert route.assignee_id != PEOPLE[author].id


def test_unassigned_when_nobody_eligible_exists() -> None:
    route = choose_reviewer(
        account=ACCOUNT, creator=None, author=None, people_with_role=lambda _role: []
    )
    assert route.assignee_id is None and "Unassigned" in route.reason
