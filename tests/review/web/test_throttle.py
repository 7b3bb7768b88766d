"""Log-in throttling (issue 12): per account and per address separately, slowing down rather than
refusing outright, counted in the database so every server process sees the same counts, with the
client's address taken from a trusted proxy only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from postwarden.settings import Settings
from storage.review_models import LoginCounter
from storage.types import utcnow
from tests.review.conftest import PASSWORD, Browser, World, email
from tests.support import settings_with

FAST = {"login_attempts_free": 3, "address_failures_free": 5, "address_delay_max_seconds": 0.05}


def _fast(settings: Settings, **web: object) -> Settings:
    return settings_with(settings, web={**FAST, **web})


def _try(b: Browser, key: str, password: str, headers: dict[str, str] | None = None) -> int:
    r = b.post("/login", {"username": email(key), "password": password}, headers=headers or {})
    return r.status_code


def _fresh(app: TestClient) -> Browser:
    b = Browser(app)
    b.get("/login")
    return b


def test_a_legitimate_user_signs_in_while_an_attacker_hammers_another_account(
    settings: Settings, world: World, app_for: Callable[..., TestClient]
) -> None:
    """The finding: five failures from one address refused everyone at that address."""
    cfg = _fast(settings)
    app = app_for(cfg)
    attacker, colleague = _fresh(app), _fresh(app)  # the same client address
    statuses = [_try(attacker, "ceo", f"guess number {n}!") for n in range(12)]
    assert statuses[:3] == [401, 401, 401]
    assert set(statuses[3:]) == {429}, "the hammered account is slowed down"
    assert _try(colleague, "creator_a", "one typo here!!") == 401
    assert _try(colleague, "creator_a", PASSWORD) == 303, "another account is never blocked"
    assert "Priya Shah" in colleague.get("/queue").text


def test_a_slowed_account_opens_again_and_says_when(
    settings: Settings, world: World, app_for: Callable[..., TestClient]
) -> None:
    cfg = _fast(settings)
    b = _fresh(app_for(cfg))
    for n in range(3):
        assert _try(b, "head_a", f"wrong guess {n}!!") == 401
    r = b.post("/login", {"username": email("head_a"), "password": PASSWORD})
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert "Try again in" in r.text
    with Session(cfg.engine) as s:  # time passes
        for row in s.exec(select(LoginCounter)).all():
            row.next_at = utcnow() - timedelta(seconds=1)
            s.add(row)
        s.commit()
    assert _try(b, "head_a", PASSWORD) == 303


def test_every_server_process_sees_the_same_counts(
    settings: Settings, world: World, app_for: Callable[..., TestClient]
) -> None:
    """Two apps on one database stand for two server processes."""
    cfg = _fast(settings)
    first, second = _fresh(app_for(cfg)), _fresh(app_for(cfg))
    for n in range(3):
        assert _try(first, "trustee", f"wrong guess {n}!!") == 401
    assert _try(second, "trustee", "wrong guess again") == 429
    with Session(cfg.engine) as s:
        assert s.exec(select(LoginCounter)).all(), "the counts are rows in the database"


def test_the_address_is_slowed_down_never_refused(
    sqlite_settings: Settings, sqlite_world: World, app_for: Callable[..., TestClient]
) -> None:
    """Spraying many accounts from one address slows that address; nobody there is refused."""
    cfg = _fast(sqlite_settings)
    app = app_for(cfg)
    b = _fresh(app)
    for key in ["ceo", "exec", "cluster", "trustee", "head_b", "dsl_b", "creator_b", "staff_a"]:
        assert _try(b, key, "a sprayed password") == 401
    throttle = app.app.state.throttle  # type: ignore[attr-defined]
    assert throttle.address_delay("testclient") > 0
    assert _try(_fresh(app), "dsl_a", PASSWORD) == 303


def test_the_client_address_comes_from_trusted_proxies_only(
    sqlite_settings: Settings, sqlite_world: World, app_for: Callable[..., TestClient]
) -> None:
    spoofed = {"x-forwarded-for": "203.0.113.7"}
    untrusted = app_for(_fast(sqlite_settings))
    b = _fresh(untrusted)
    for n in range(6):
        _try(b, f"{'ceo' if n % 2 else 'exec'}", "a sprayed password", spoofed)
    throttle = untrusted.app.state.throttle  # type: ignore[attr-defined]
    assert throttle.address_delay("testclient") > 0, "the header of an untrusted client is ignored"
    assert throttle.address_delay("203.0.113.7") == 0

    behind_proxy = app_for(_fast(sqlite_settings, forwarded_allow_ips="testclient"))
    b = _fresh(behind_proxy)
    for n in range(6):
        _try(b, f"{'trustee' if n % 2 else 'cluster'}", "a sprayed password", spoofed)
    throttle = behind_proxy.app.state.throttle  # type: ignore[attr-defined]
    assert throttle.address_delay("203.0.113.7") > 0, "the proxy's header names the client"
    r = b.post(
        "/login",
        {"username": email("dsl_a"), "password": PASSWORD},
        headers={"x-forwarded-for": "198.51.100.4"},
    )
    assert r.status_code == 303


def test_the_owner_of_a_hammered_account_signs_in_from_a_browser_they_used_before(
    settings: Settings, world: World, app_for: Callable[..., TestClient]
) -> None:
    """Slowing the CEO's account down must not lock the CEO out: a browser that signed in to that
    log-in before keeps its own count."""
    cfg = _fast(settings)
    app = app_for(cfg)
    desk = _fresh(app)
    assert _try(desk, "ceo", PASSWORD) == 303
    assert "postwarden_device" in desk.client.cookies
    desk.get("/queue")
    desk.post("/logout")
    desk.get("/login")
    attacker = Browser(app_for(cfg))
    attacker.get("/login")
    statuses = [_try(attacker, "ceo", f"guess number {n}!") for n in range(8)]
    assert statuses[-1] == 429, "the account is slowed for everyone else"
    forged = _fresh(app_for(cfg))
    forged.client.cookies.set("postwarden_device", "2.abc.0123456789abcdef", path="/login")
    assert _try(forged, "ceo", PASSWORD) == 429, "a made-up device cookie counts for nothing"
    assert _try(desk, "ceo", PASSWORD) == 303, "the CEO's own browser signs in at once"
