"""Sessions, CSRF, headers, log-in throttling, redirects, and hostile post text rendering inert."""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from core.findings import Severity
from postwarden.settings import Settings
from review.domain.passwords import hash_password, verify_password
from review.web.app import create_app
from review.web.security import CSP
from storage.models import Account, Person, ReviewEvent
from storage.review_models import AuditLog, UserAccount
from tests.review.conftest import PASSWORD, Browser, World, add_post, email
from tests.support import settings_with


def _db(settings: Settings) -> Session:
    return Session(settings.engine, expire_on_commit=False)


# --- headers and cookies -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/login", "/queue", "/static/app.css", "/no-such-page", "/healthz"]
)
def test_security_headers_on_every_response(
    sqlite_settings: Settings,
    sqlite_world: World,
    sqlite_browser,
    path: str,  # type: ignore[no-untyped-def]
) -> None:
    r = sqlite_browser("it").get(path)
    h = r.headers
    assert h["content-security-policy"] == CSP
    assert "script-src 'self'" in CSP and "unsafe-inline" not in CSP and "unsafe-eval" not in CSP
    assert h["x-content-type-options"] == "nosniff"
    assert h["x-frame-options"] == "DENY"
    assert h["referrer-policy"] == "no-referrer"
    if not path.startswith("/static"):
        assert h["cache-control"] == "no-store"


def test_pages_carry_no_inline_script_or_style(sqlite_world: World, sqlite_browser) -> None:  # type: ignore[no-untyped-def]
    b = sqlite_browser("it")
    for path in [
        "/queue",
        f"/items/{sqlite_world.items['a_pupil']}",
        "/dashboard",
        "/it/people",
        "/it/accounts",
        "/it/accounts/new",
        "/it/audit",
        "/it/schools",
    ]:
        html = b.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=\"/static/)", html), path
        assert " style=" not in html and "<style" not in html, path
        assert not re.search(r"\son[a-z]+=", html), f"inline event handler in {path}"


def _cookie(r, name: str) -> str:  # type: ignore[no-untyped-def]
    return next(c for c in r.headers.get_list("set-cookie") if c.startswith(f"{name}="))


def test_session_cookie_is_httponly_samesite(
    sqlite_settings: Settings, sqlite_world: World, app_for
) -> None:  # type: ignore[no-untyped-def]
    b = Browser(app_for(sqlite_settings))
    b.get("/login")
    r = b.post("/login", {"username": email("it"), "password": PASSWORD})
    cookie = _cookie(r, "postwarden_session").lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
    assert "secure" not in cookie
    device = _cookie(r, "postwarden_device").lower()
    assert "httponly" in device and "samesite=strict" in device and "path=/login" in device
    secure = settings_with(sqlite_settings, web={"cookie_secure": True})
    b2 = Browser(TestClient(create_app(secure), base_url="https://testserver"))
    b2.get("/login")
    r = b2.post("/login", {"username": email("it"), "password": PASSWORD})
    assert "; secure" in _cookie(r, "postwarden_session").lower()
    assert "; secure" in _cookie(r, "postwarden_device").lower()
    assert "max-age=31536000" in r.headers["strict-transport-security"]


def test_a_forged_cookie_is_not_a_session(
    sqlite_settings: Settings, sqlite_world: World, app_for
) -> None:  # type: ignore[no-untyped-def]
    """Change the session id in the cookie, or make one up: not signed in at all."""
    b = Browser(app_for(sqlite_settings)).login("creator_a")
    assert b.get("/it/people").status_code == 403
    sid = b.client.cookies["postwarden_session"]
    for forged in (sid[:-1] + ("A" if sid[-1] != "A" else "B"), "uid=1", sid + "x"):
        b.client.cookies.clear()
        b.client.cookies.set("postwarden_session", forged)
        assert b.get("/queue").status_code == 303, forged


def test_the_session_cookie_is_an_opaque_id(settings: Settings, world: World, app_for) -> None:  # type: ignore[no-untyped-def]
    """The finding: the signed cookie could be read (user id, log-in time, CSRF token). Now it
    holds a random id; what it stands for is a row in the database (keyed by the id's hash)."""
    from storage.review_models import WebSession

    b = Browser(app_for(settings)).login("creator_a")
    sid = b.client.cookies["postwarden_session"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{40,64}", sid), sid
    for chunk in sid.split("."):
        decoded = base64.urlsafe_b64decode(chunk + "=" * (-len(chunk) % 4))
        assert b"uid" not in decoded and b"csrf" not in decoded
        with pytest.raises(ValueError):
            json.loads(decoded)
    with _db(settings) as s:
        rows = s.exec(select(WebSession)).all()
    mine = [r for r in rows if r.user_id is not None]
    assert len(mine) == 1 and mine[0].id != sid and sid not in mine[0].data
    assert mine[0].expires_at > mine[0].created_at
    b.post("/logout")
    with _db(settings) as s:
        assert not [r for r in s.exec(select(WebSession)).all() if r.user_id is not None]


def test_signing_in_gives_a_new_session_id(
    sqlite_settings: Settings, sqlite_world: World, app_for
) -> None:  # type: ignore[no-untyped-def]
    """Session fixation: an id planted before log-in is not the one that signs in."""
    b = Browser(app_for(sqlite_settings))
    b.get("/login")
    before = b.client.cookies["postwarden_session"]
    b.post("/login", {"username": email("it"), "password": PASSWORD})
    assert b.client.cookies["postwarden_session"] != before


# --- CSRF --------------------------------------------------------------------------------------


def _post_routes(settings: Settings) -> list[str]:
    app = create_app(settings)
    return sorted(r.path for r in app.routes if isinstance(r, APIRoute) and "POST" in r.methods)


@pytest.mark.parametrize("token", ["missing", "wrong", "cross-origin"])
def test_every_state_change_needs_the_csrf_token(
    sqlite_settings: Settings,
    sqlite_world: World,
    sqlite_browser,
    token: str,  # type: ignore[no-untyped-def]
) -> None:
    b = sqlite_browser("it")
    routes = _post_routes(sqlite_settings)
    assert len(routes) >= 14
    for path in routes:
        url = re.sub(r"\{[a-z_]+\}", "1", path)
        data = {"note": "x", "name": "Y School", "username": "a@b.c", "password": "p" * 12}
        headers = {}
        if token == "wrong":
            data["csrf_token"] = "not-the-token"
        elif token == "cross-origin":
            data["csrf_token"] = b.token
            headers["origin"] = "https://evil.example"
        r = b.client.post(url, data=data, headers=headers, follow_redirects=False)
        assert r.status_code == 403, (path, r.status_code)
    with _db(sqlite_settings) as s:
        assert s.get(Account, 1).active  # type: ignore[union-attr]
        assert not s.exec(select(ReviewEvent).where(ReviewEvent.action == "comment")).all()


def test_the_csrf_header_works_for_htmx(sqlite_world: World, sqlite_browser) -> None:  # type: ignore[no-untyped-def]
    b = sqlite_browser("creator_a")
    item = sqlite_world.items["a_plain"]
    r = b.client.post(
        f"/items/{item}/comment",
        data={"note": "via htmx"},
        headers={"x-csrf-token": b.token},
        follow_redirects=False,
    )
    assert r.status_code == 303


# --- log-in ------------------------------------------------------------------------------------


def test_passwords_are_argon2_and_verified_in_constant_work() -> None:
    stored = hash_password("a long enough password")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "a long enough password")
    assert not verify_password(stored, "a long enough passwore")
    assert not verify_password(None, "a long enough password")
    with pytest.raises(ValueError, match="at least 12"):
        hash_password("short")


def test_wrong_password_then_throttle(
    sqlite_settings: Settings, sqlite_world: World, app_for
) -> None:  # type: ignore[no-untyped-def]
    b = Browser(app_for(sqlite_settings))
    b.get("/login")
    for _ in range(5):
        r = b.post("/login", {"username": email("it"), "password": "wrong password!!"})
        assert r.status_code == 401 and "do not match" in r.text
    r = b.post("/login", {"username": email("it"), "password": PASSWORD})
    assert r.status_code == 429, "locked out for a while even with the right password"
    with _db(sqlite_settings) as s:
        actions = s.exec(select(AuditLog.action)).all()
    assert actions.count("login_failed") == 5


def test_inactive_people_cannot_sign_in_and_are_signed_out(
    sqlite_settings: Settings,
    sqlite_world: World,
    sqlite_browser,
    app_for,  # type: ignore[no-untyped-def]
) -> None:
    b = sqlite_browser("creator_a")
    with _db(sqlite_settings) as s:
        person = s.get(Person, sqlite_world.people["creator_a"])
        person.active = False  # type: ignore[union-attr]
        s.add(person)
        s.commit()
    assert b.get("/queue").status_code == 303, "an open session ends with the person"
    fresh = Browser(app_for(sqlite_settings))
    fresh.get("/login")
    r = fresh.post("/login", {"username": email("creator_a"), "password": PASSWORD})
    assert r.status_code == 401


def test_logout_ends_every_session_of_the_user(sqlite_world: World, sqlite_browser) -> None:  # type: ignore[no-untyped-def]
    laptop, phone = sqlite_browser("creator_a"), sqlite_browser("creator_a")
    stolen = dict(laptop.client.cookies)
    r = laptop.post("/logout")
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert phone.get("/queue").status_code == 303
    laptop.client.cookies.update(stolen)
    assert laptop.get("/queue").status_code == 303, "a copied cookie dies with the log-out"


def test_sessions_expire(
    sqlite_settings: Settings, sqlite_world: World, app_for, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    b = Browser(app_for(sqlite_settings)).login("it")
    assert b.get("/queue").status_code == 200
    later = time.time() + sqlite_settings.web.session_hours * 3600 + 60
    monkeypatch.setattr(time, "time", lambda: later)
    assert b.get("/queue").status_code == 303


@pytest.mark.parametrize(
    ("next_", "expected"),
    [
        ("/items/3", "/items/3"),
        ("//evil.example/x", "/queue"),
        ("https://evil.example", "/queue"),
        ("/\\evil.example", "/queue"),
        ("javascript:alert(1)", "/queue"),
    ],
)
def test_next_never_leaves_the_site(
    sqlite_settings: Settings,
    sqlite_world: World,
    app_for,
    next_: str,
    expected: str,  # type: ignore[no-untyped-def]
) -> None:
    b = Browser(app_for(sqlite_settings))
    b.get("/login")
    r = b.post("/login", {"username": email("it"), "password": PASSWORD, "next": next_})
    assert r.status_code == 303 and r.headers["location"] == expected


def test_passwords_are_stored_as_argon2_only(
    sqlite_settings: Settings, sqlite_world: World
) -> None:
    with _db(sqlite_settings) as s:
        hashes = s.exec(select(UserAccount.password_hash)).all()
    assert hashes and all(h and h.startswith("$argon2id$") for h in hashes)
    assert all(PASSWORD not in (h or "") for h in hashes)


# --- hostile post text -------------------------------------------------------------------------

HOSTILE = (
    '<script>alert("x")</script> <img src=x onerror=alert(1)> '
    '"><svg onload=alert(2)> {{ 7*7 }} '
    "\u202eevil\u202c \u200b zero-width "
    "Z\u0335\u0321\u0322\u0327\u0328\u0334\u0336\u0337\u0338algo "
    "Ha\u0000rry \ufffd end"
)


@pytest.fixture
def hostile_item(settings: Settings, world: World) -> int:
    with _db(settings) as s:
        account = s.get(Account, world.accounts["a"])
        item = add_post(
            s,
            account=account,  # type: ignore[arg-type]
            text=HOSTILE.replace("\u0000", "\ufffd"),
            findings=[
                (
                    "<script>alert",
                    "8.15",
                    Severity.HIGH,
                    "OFFENSIVE",
                ),
                (
                    "\u202eevil",
                    "8.10",
                    Severity.MEDIUM,
                    "DEROGATORY",
                ),
            ],
            external_id="hostile",
            assignee=world.people["creator_a"],
            url="javascript:alert(3)",
        )
        s.commit()
        return item.id  # type: ignore[return-value]


def test_hostile_post_renders_inert(hostile_item: int, browser: Callable[[str], Browser]) -> None:
    b = browser("creator_a")
    for path in (f"/items/{hostile_item}", f"/items/{hostile_item}/print", "/queue"):
        html = (b.post(path) if path.endswith("/print") else b.get(path)).text
        assert (
            "<script>alert" not in html and "<img src=x" not in html and "<svg onload" not in html
        )
        assert "&lt;script&gt;alert" in html
        assert "onerror=alert(1)&gt;" in html
        assert "{{ 7*7 }}" in html, "no template injection: the braces arrive as text"
        assert "\u202e" not in html and "\u200b" not in html, (
            "bidi and zero-width shown, not obeyed"
        )
        assert "U+202E" in html
        assert 'href="javascript:' not in html
    page = b.get(f"/items/{hostile_item}").text
    assert "+6 marks" in page, "a flood of combining marks is cut down to size"
    assert '<mark class="hl hl-high" data-findings="1">' in page


def test_broken_offsets_do_not_break_the_page(
    sqlite_settings: Settings,
    sqlite_world: World,
    sqlite_browser,  # type: ignore[no-untyped-def]
) -> None:
    """A finding whose span runs past the end of an edited text, one with start > end."""
    from storage.models import FindingRow

    with _db(sqlite_settings) as s:
        item_id = sqlite_world.items["a_plain"]
        findings = s.exec(select(FindingRow)).all()
        findings[0].start, findings[0].end = 5, 10_000
        findings[1].start, findings[1].end = 30, 2
        s.add_all(findings[:2])
        s.commit()
    b = sqlite_browser("creator_a")
    r = b.get(f"/items/{item_id}")
    assert r.status_code == 200 and "hl hl-medium" in r.text
    assert b.post(f"/items/{item_id}/export.json").status_code == 200
    assert b.post(f"/items/{item_id}/export.pdf").content.startswith(b"%PDF-")


# --- the audit trail ---------------------------------------------------------------------------


def test_views_and_exports_are_on_record(settings: Settings, world: World, browser) -> None:  # type: ignore[no-untyped-def]
    b = browser("creator_a")
    item = world.items["a_plain"]
    b.get(f"/items/{item}")
    b.post(f"/items/{item}/export.json")
    b.post(f"/items/{item}/export.pdf")
    with _db(settings) as s:
        rows = s.exec(
            select(ReviewEvent.action, ReviewEvent.actor_id).where(ReviewEvent.item_id == item)
        ).all()
    mine = [a for a, actor in rows if actor == world.people["creator_a"]]
    assert mine == ["viewed", "exported_json", "exported_pdf"]


def test_no_route_edits_or_deletes(sqlite_settings: Settings) -> None:
    app = create_app(sqlite_settings)
    methods = {m for r in app.routes if isinstance(r, APIRoute) for m in r.methods}
    assert methods <= {"GET", "POST"}
    paths = " ".join(r.path for r in app.routes if isinstance(r, APIRoute))
    assert "audit/" not in paths and "events" not in paths and "delete" not in paths
