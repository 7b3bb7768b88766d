"""Routing beyond the first reviewer: whom a post concerns, line management, the section 5 chain
for escalation, overdue hand-over and the safeguarding lead (8.4, 8.5)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from review.domain.routing import (
    choose_reviewer,
    concerned_people,
    is_safeguarding,
    manages,
    may_review,
    next_in_chain,
    overdue_target,
    safeguarding_leads,
)
from storage.models import Account, AccountKind, Person, Platform, Role

A, B = 1, 2
P = {
    "staff_a": Person(id=1, name="Priya Shah", role=Role.STAFF, school_id=A),
    "head_a": Person(id=2, name="Helen Marsh", role=Role.HEADTEACHER, school_id=A),
    "head_b": Person(id=3, name="James Ward", role=Role.HEADTEACHER, school_id=B),
    "dsl_a": Person(id=4, name="Tom Baker", role=Role.DSL, school_id=A),
    "dsl_b": Person(id=5, name="Lucy Green", role=Role.DSL, school_id=B),
    "cluster": Person(id=6, name="Ruth Adeyemi", role=Role.CLUSTER_LEAD),
    "it": Person(id=7, name="Dana Okafor", role=Role.IT_DIRECTOR),
    "exec": Person(id=8, name="Sam Carter", role=Role.EXECUTIVE),
    "ceo": Person(id=9, name="Grace Whitfield", role=Role.CEO),
    "trustee": Person(id=10, name="Martin Ellis", role=Role.TRUSTEE),
}
SENIORS = [
    p
    for p in P.values()
    if p.role in (Role.HEADTEACHER, Role.EXECUTIVE, Role.IT_DIRECTOR, Role.CEO)
]
ACCOUNT = Account(
    id=1,
    platform=Platform.X,
    external_id="1",
    handle="OakfieldPrimary",
    kind=AccountKind.OFFICIAL,
    conn_id="c",
    school_id=A,
)


def with_role(exclude: frozenset[str] = frozenset()):  # type: ignore[no-untyped-def]
    def lookup(role: Role) -> Sequence[Person]:
        return [p for k, p in P.items() if p.role == role and k not in exclude]

    return lookup


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Our headteacher is hopeless at running this place.", {"head_a"}),
        ("Mrs Marsh cancelled sports day again!", {"head_a"}),
        ("helen marsh should resign", {"head_a"}),
        ("Please welcome Mr Adebayo, our new Head of Science.", set()),
        ("The CEO's pay rise is a scandal.", {"ceo"}),
        ("Ask the Director of IT why the Wi-Fi is down", {"it"}),
        ("cc @TrustCEO about the trip", {"ceo"}),
        ("Amelia Rose Carter played Nancy brilliantly", set()),  # not Sam Carter, no title
        ("Mr Carter from the trust visited today", {"exec"}),
        ("The head teacher was on the radio", {"head_a"}),  # by role: this account's school's Head
        ("Lovely assembly today, well done all.", set()),
    ],
)
def test_who_a_post_concerns(text: str, expected: set[str]) -> None:
    found = concerned_people(
        text, senior_people=SENIORS, school_id=A, handles={"trustceo": P["ceo"]}
    )
    assert {k for k, p in P.items() if p in found} == expected


@pytest.mark.parametrize(
    ("manager", "person", "expected"),
    [
        ("head_a", "staff_a", True),
        ("head_a", "dsl_a", True),
        ("head_b", "staff_a", False),  # another school's Head
        ("cluster", "head_a", True),
        ("ceo", "exec", True),
        ("ceo", "it", True),
        ("ceo", "cluster", True),
        ("trustee", "ceo", True),
        ("staff_a", "head_a", False),
        ("head_a", "head_a", False),
    ],
)
def test_line_management(manager: str, person: str, expected: bool) -> None:
    assert manages(P[manager], P[person]) is expected


@pytest.mark.parametrize(
    ("concerns", "author", "expected", "reason_has"),
    [
        (["head_a"], None, "cluster", "concerns the Headteacher"),
        (["ceo"], None, "trustee", "concerns the CEO"),
        (["head_a", "ceo"], None, "trustee", "concerns the CEO"),  # the most senior subject wins
        (["exec"], "staff_a", "ceo", "concerns the Executive Team"),
        ([], "head_a", "cluster", "Headteacher wrote it"),
    ],
)
def test_posts_about_senior_people_go_up_section_5(
    concerns: list[str], author: str | None, expected: str, reason_has: str
) -> None:
    route = choose_reviewer(
        account=ACCOUNT,
        creator=P["staff_a"],
        author=P[author] if author else None,
        people_with_role=with_role(),
        concerns=[P[k] for k in concerns],
    )
    assert route.assignee_id == P[expected].id
    assert reason_has in route.reason


def test_creator_never_reviews_a_post_about_their_line_manager() -> None:
    """No Cluster Lead on record: the post about the Head still must not go to the Head's staff."""
    route = choose_reviewer(
        account=ACCOUNT,
        creator=P["staff_a"],
        author=None,
        people_with_role=with_role(frozenset({"cluster"})),
        concerns=[P["head_a"]],
    )
    assert route.assignee_id == P["it"].id
    assert "line manager" in route.reason


@pytest.mark.parametrize(
    ("holder", "subjects", "missing", "expected"),
    [
        ("staff_a", [], frozenset(), "head_a"),  # creator -> their school's Headteacher
        ("dsl_a", [], frozenset(), "head_a"),
        ("head_a", [], frozenset(), "cluster"),
        ("cluster", [], frozenset(), "ceo"),
        ("it", [], frozenset(), "ceo"),
        ("ceo", [], frozenset(), "trustee"),
        ("staff_a", ["head_a"], frozenset(), "cluster"),  # the Head is a subject: skipped
        ("staff_a", [], frozenset({"head_a"}), "cluster"),  # no Head on record: next rung
        ("cluster", ["ceo"], frozenset(), "trustee"),
        ("trustee", [], frozenset(), None),  # the top of the chain
    ],
)
def test_escalation_walks_the_section_5_chain(
    holder: str, subjects: list[str], missing: frozenset[str], expected: str | None
) -> None:
    route = next_in_chain(
        holder=P[holder],
        school_id=A,
        subjects=[P[k] for k in subjects],
        people_with_role=with_role(missing),
    )
    assert route.assignee_id == (P[expected].id if expected else None)


@pytest.mark.parametrize(
    ("subjects", "expected"),
    [([], "it"), (["it"], "ceo"), (["ceo"], "trustee"), (["staff_a"], "it")],
)
def test_overdue_items_go_to_the_director_of_it(subjects: list[str], expected: str) -> None:
    route = overdue_target(subjects=[P[k] for k in subjects], people_with_role=with_role())
    assert route.assignee_id == P[expected].id


def test_safeguarding_alerts_the_schools_own_lead_only() -> None:
    leads = safeguarding_leads(school_id=A, subjects=[], people_with_role=with_role())
    assert leads == [P["dsl_a"]]
    assert (
        safeguarding_leads(school_id=A, subjects=[P["dsl_a"]], people_with_role=with_role()) == []
    )
    assert (
        safeguarding_leads(school_id=A, subjects=[P["head_a"]], people_with_role=with_role()) == []
    ), "the DSL may not review a post about their own Headteacher"


@pytest.mark.parametrize(
    ("sections", "expected"),
    [
        ({"8.4"}, True),
        ({"8.5"}, True),
        ({"8.7", "8.10"}, False),
        ({"8.14"}, False),
    ],
)
def test_which_sections_are_safeguarding(sections: set[str], expected: bool) -> None:
    assert is_safeguarding(sections) is expected


def test_may_review_bars_subjects_and_their_reports() -> None:
    assert not may_review(P["head_a"], [P["head_a"]])
    assert not may_review(P["staff_a"], [P["head_a"]])
    assert may_review(P["cluster"], [P["head_a"]])
    assert may_review(P["staff_a"], [P["head_b"]])
