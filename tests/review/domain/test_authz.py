"""The authorisation matrix: every role × every route × an object they may and may not see.

Each item in the test world differs from the others by the one rule that decides who sees it
(tests/review/conftest.py). Denials look like absence (404) for items, 403 for IT pages, and a
person who may see but not act gets 403 on the actions. Every route the app has must be listed
here, so a new route cannot ship without its row in the matrix.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.routing import APIRoute
from sqlmodel import Session, select

from review.domain import roles
from review.web.app import create_app
from storage.models import ItemState, Person, ReviewItem, Role
from storage.review_models import LoginCode, UserAccount
from tests.review.conftest import ROLES, Browser, World

ITEMS = ["a_plain", "a_pupil", "a_escalated", "b_plain", "a_by_head", "by_ceo"]

# Who may see each item, and who may act on it (all items start open or escalated).
VIEW: dict[str, set[str]] = {
    "it": {"a_plain", "a_pupil", "a_escalated", "b_plain", "a_by_head"},  # not the CEO's (5)
    "ceo": set(),  # wrote by_ceo: never reviews their own post
    "exec": set(),  # created the trust account, but the CEO (line manager) wrote its item
    "cluster": {"a_by_head"},  # section 5: the Headteacher's post
    "trustee": {"by_ceo"},  # section 5: the CEO's post
    "head_a": {"a_escalated"},  # their school's escalation; not their own post
    "head_b": set(),  # the other school's escalation is not theirs
    "dsl_a": {"a_pupil"},  # their school's pupil identification (8.4)
    "dsl_b": set(),
    "creator_a": {"a_plain", "a_pupil", "a_escalated"},  # their account; not the Head's post
    "staff_a": set(),  # same school, owns no account
    "creator_b": {"b_plain"},
}
ACT: dict[str, set[str]] = {
    "it": VIEW["it"],
    "cluster": {"a_by_head"},
    "trustee": {"by_ceo"},
    "head_a": {"a_escalated"},
    "dsl_a": {"a_pupil"},
    "creator_a": {"a_plain", "a_pupil"},  # a_escalated moved up to the Headteacher: view only
    "creator_b": {"b_plain"},
}

ITEM_VIEW_ROUTES = ["/items/{item_id}"]
# Exports write "exported" rows to the item's trail: POST with a CSRF token, never GET.
ITEM_EXPORT_ROUTES = [
    "/items/{item_id}/print",
    "/items/{item_id}/export.json",
    "/items/{item_id}/export.pdf",
]
ITEM_ACT_ROUTES = [
    "/items/{item_id}/dismiss",
    "/items/{item_id}/resolve",
    "/items/{item_id}/escalate",
]
ITEM_COMMENT_ROUTES = ["/items/{item_id}/comment"]
SIGNED_IN_GET = [
    "/",
    "/queue",
    "/dashboard",
    "/dashboard/findings.svg",
    "/dashboard/queue-age.svg",
    "/account/password",
]
SIGNED_IN_POST = ["/logout", "/account/password"]
# Confirming role changes (section 5): the CEO and the Trustees.
OVERSIGHT_GET = ["/role-changes"]
OVERSIGHT_POST = ["/role-changes/{change_id}/confirm", "/role-changes/{change_id}/refuse"]
OVERSEERS = {"ceo", "trustee"}
IT_GET = [
    "/it",
    "/it/schools",
    "/it/people",
    "/it/accounts",
    "/it/accounts/new",
    "/it/roster",
    "/it/audit",
]
IT_POST = [
    "/it/schools",
    "/it/people",
    "/it/people/{person_id}/role",
    "/it/people/{person_id}/active",
    "/it/people/{person_id}/login",
    "/it/accounts",
    "/it/accounts/{account_id}/approve",
    "/it/accounts/{account_id}/active",
    "/it/roster",
]
PUBLIC = {
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/login/oidc/{name}"),
    ("GET", "/login/oidc/{name}/callback"),
    ("GET", "/login/code"),
    ("POST", "/login/code"),
    ("GET", "/healthz"),
}


def test_every_route_is_in_the_matrix(sqlite_settings) -> None:  # type: ignore[no-untyped-def]
    app = create_app(sqlite_settings)
    routes = {
        (method, r.path) for r in app.routes if isinstance(r, APIRoute) for method in r.methods
    }
    listed = (
        {("GET", p) for p in ITEM_VIEW_ROUTES + SIGNED_IN_GET + IT_GET + OVERSIGHT_GET}
        | {
            ("POST", p)
            for p in ITEM_EXPORT_ROUTES
            + ITEM_ACT_ROUTES
            + ITEM_COMMENT_ROUTES
            + SIGNED_IN_POST
            + IT_POST
            + OVERSIGHT_POST
        }
        | PUBLIC
    )
    assert routes == listed


def _item_path(route: str, item_id: int) -> str:
    return route.replace("{item_id}", str(item_id))


def _state(settings, item_id: int) -> tuple[str, int | None]:  # type: ignore[no-untyped-def]
    with Session(settings.engine) as s:
        item = s.get(ReviewItem, item_id)
        assert item is not None
        return str(item.state), item.assignee_id


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(
    role: str,
    settings,
    world: World,
    browser: Callable[[str], Browser],  # type: ignore[no-untyped-def]
) -> None:
    b = browser(role)
    may_see, may_act = VIEW[role], ACT.get(role, set())
    assert may_act <= may_see

    # Items: every view route, the comment, and the three actions.
    for name in ITEMS:
        item_id = world.items[name]
        before = _state(settings, item_id)
        for route in ITEM_VIEW_ROUTES:
            r = b.get(_item_path(route, item_id))
            assert r.status_code == (200 if name in may_see else 404), (role, name, route)
            if name not in may_see:
                assert "budget cuts" not in r.text and "Harry" not in r.text
        for route in ITEM_EXPORT_ROUTES:
            r = b.post(_item_path(route, item_id))
            assert r.status_code == (200 if name in may_see else 404), (role, name, route)
            if name not in may_see:
                assert b"budget cuts" not in r.content and b"Harry" not in r.content
        for route in ITEM_ACT_ROUTES:
            # A blank note passes authorisation, then the act refuses it and changes nothing.
            r = b.post(_item_path(route, item_id), {"note": "  "})
            expected = 404 if name not in may_see else (303 if name in may_act else 403)
            assert r.status_code == expected, (role, name, route, r.status_code)
        r = b.post(_item_path(ITEM_COMMENT_ROUTES[0], item_id), {"note": f"seen by {role}"})
        assert r.status_code == (303 if name in may_see else 404), (role, name, "comment")
        assert _state(settings, item_id) == before, "no denied or invalid act changes an item"

    # The queue lists exactly the visible items; the dashboard counts only them.
    r = b.get("/queue?state=all")
    assert r.status_code == 200
    listed = {int(x) for x in re.findall(r'href="/items/(\d+)"', r.text)}
    assert listed == {world.items[n] for n in may_see}, role
    r = b.get("/dashboard")
    assert re.search(rf'<span class="n">{len(may_see)}</span> waiting', r.text), role

    for path in SIGNED_IN_GET:
        r = b.get(path)
        assert r.status_code in (200, 303), (role, path)
    for path in OVERSIGHT_GET:
        assert b.get(path).status_code == (200 if role in OVERSEERS else 403), (role, path)

    # IT pages: the Director of IT only.
    other = world.people["staff_a"]
    for path in IT_GET:
        r = b.get(path)
        if role == "it":
            assert r.status_code in (200, 303), path
        else:
            assert r.status_code == 403, (role, path)
    if role != "it":
        for path in IT_POST:
            path = path.replace("{person_id}", str(other)).replace(
                "{account_id}", str(world.accounts["a"])
            )
            r = b.post(path, {"name": "X School", "active": "false", "role": "ceo"})
            assert r.status_code == 403, (role, path, r.status_code)


def test_anonymous_sees_nothing(sqlite_settings, sqlite_world: World, app_for) -> None:  # type: ignore[no-untyped-def]
    b = Browser(app_for(sqlite_settings))
    b.get("/login")  # a pre-log-in session with a CSRF token, as a browser would have
    item = sqlite_world.items["a_plain"]
    for route in ITEM_VIEW_ROUTES:
        r = b.get(_item_path(route, item))
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    for path in SIGNED_IN_GET[1:] + IT_GET + OVERSIGHT_GET:
        r = b.get(path)
        assert r.status_code == 303 and "/login" in r.headers["location"], path
    for route in ITEM_EXPORT_ROUTES + ITEM_ACT_ROUTES + ITEM_COMMENT_ROUTES:
        r = b.post(_item_path(route, item), {"note": "x"})
        assert r.status_code == 401, route
    for path in IT_POST + OVERSIGHT_POST + SIGNED_IN_POST[1:]:
        path = re.sub(r"\{[a-z_]+\}", "1", path)
        r = b.post(path, {"name": "x"})
        assert r.status_code == 401, path
    assert _state(sqlite_settings, item) == ("open", sqlite_world.people["creator_a"])


@pytest.mark.parametrize(
    ("role", "item", "action", "data", "state_after"),
    [
        ("creator_a", "a_plain", "dismiss", {}, ItemState.DISMISSED),
        ("creator_a", "a_pupil", "resolve", {"outcome": "removed"}, ItemState.RESOLVED),
        ("creator_a", "a_plain", "escalate", {"to": "chain"}, ItemState.ESCALATED),
        ("dsl_a", "a_pupil", "escalate", {"to": "chain"}, ItemState.ESCALATED),
        ("head_a", "a_escalated", "resolve", {"outcome": "edited"}, ItemState.RESOLVED),
        ("cluster", "a_by_head", "escalate", {"to": "chain"}, ItemState.ESCALATED),
        ("trustee", "by_ceo", "dismiss", {}, ItemState.DISMISSED),
        ("it", "b_plain", "resolve", {}, ItemState.RESOLVED),
        ("creator_b", "b_plain", "dismiss", {}, ItemState.DISMISSED),
    ],
)
def test_permitted_acts_take_effect(
    role: str,
    item: str,
    action: str,
    data: dict[str, str],
    state_after: ItemState,
    sqlite_settings,  # type: ignore[no-untyped-def]
    sqlite_world: World,
    sqlite_browser: Callable[[str], Browser],
) -> None:
    b = sqlite_browser(role)
    item_id = sqlite_world.items[item]
    r = b.post(f"/items/{item_id}/{action}", {"note": f"{action} by {role}", **data})
    assert r.status_code == 303 and r.headers["location"] == f"/items/{item_id}"
    assert _state(sqlite_settings, item_id)[0] == state_after
    page = b.get(f"/items/{item_id}").text
    assert f"{action} by {role}" in page, "the note is in the item's history"


# --- role changes and password resets (section 5) -------------------------------------------------


def _password_hash(s: Session, person_id: int) -> str | None:
    return s.exec(select(UserAccount.password_hash).where(UserAccount.person_id == person_id)).one()


@pytest.mark.parametrize("role", ROLES)
def test_role_change_and_reset_matrix(
    role: str,
    settings,  # type: ignore[no-untyped-def]
    world: World,
    browser: Callable[[str], Browser],
) -> None:
    """Only the Director of IT asks for a role change or a reset; a change touching the CEO is
    confirmed by a Trustee alone; a reset never gives the one who asks anything to sign in with.
    Whoever asks, the Director of IT never sees the CEO's item."""
    ceo, by_ceo = world.people["ceo"], world.items["by_ceo"]
    with Session(settings.engine, expire_on_commit=False) as s:
        it = s.get(Person, world.people["it"])
        target = s.get(Person, ceo)
        change = roles.request_change(s, person=target, to_role=Role.STAFF, actor=it)  # type: ignore[arg-type]
        hash_before = _password_hash(s, ceo)
        s.commit()
    assert change is not None
    b = browser(role)
    r = b.post(f"/it/people/{ceo}/role", {"role": "staff"})
    assert r.status_code == (303 if role == "it" else 403), (role, "role")
    r = b.post(f"/it/people/{ceo}/login", {"method": "password"})
    assert r.status_code == (303 if role == "it" else 403), (role, "reset")
    if role != "trustee":
        r = b.post(f"/role-changes/{change.id}/refuse")
        assert r.status_code == 403, (role, "refuse")
    r = b.post(f"/role-changes/{change.id}/confirm")
    assert r.status_code == (303 if role == "trustee" else 403), (role, "confirm")
    with Session(settings.engine) as s:
        now = s.get(Person, ceo)
        assert now is not None and (now.role == Role.STAFF) is (role == "trustee")
        assert _password_hash(s, ceo) == hash_before, "a reset never replaces a password itself"
        assert not s.exec(select(LoginCode)).all(), "no mail, no code (IT would have to pass it on)"
    if role == "it":
        assert b.get(f"/items/{by_ceo}").status_code == 404
