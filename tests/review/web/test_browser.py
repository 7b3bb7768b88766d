"""Chromium drives the real UI (uvicorn on 127.0.0.1, SQLite): log-in, queue, item, dismiss,
escalate, an IT account set-up, and a hostile post that must stay inert. Debian's chromium through
Playwright (`executable_path`, never `playwright install`); screenshots go to
artifacts/screenshots/ for CI to keep."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlmodel import Session, select

from core.findings import Severity
from postwarden.settings import Settings
from review.domain.users import issue_code
from review.web.app import create_app
from storage.db import session_scope
from storage.models import Account
from storage.review_models import UserAccount
from tests.review.conftest import PASSWORD, World, add_post, build_world, email
from tests.support import settings_with

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
SHOTS = Path(__file__).resolve().parents[3] / "artifacts" / "screenshots"
HOSTILE = (
    "Great match! <script>window.__pwned = 1; alert('xss')</script>"
    '<img src=x onerror="window.__pwned=2"> \u202eHarry Finch\u202c in Year 5 '
    "Z\u0335\u0321\u0322\u0327\u0328\u0334\u0336algo"
)


@dataclass
class Live:
    url: str
    world: World
    hostile_item: int


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live(sqlite_settings: Settings) -> Iterator[Live]:
    with session_scope(sqlite_settings.engine) as s:
        world = build_world(s)
        account = s.get(Account, world.accounts["a"])
        hostile = add_post(
            s,
            account=account,  # type: ignore[arg-type]
            text=HOSTILE,
            findings=[("Harry Finch", "8.4", Severity.HIGH, "PUPIL_NAME")],
            external_id="hostile",
            assignee=world.people["creator_a"],
            url="javascript:window.__pwned=3",
        ).id
    port = _free_port()
    settings = settings_with(sqlite_settings, review={"base_url": f"http://127.0.0.1:{port}"})
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield Live(f"http://127.0.0.1:{port}", world, hostile)  # type: ignore[arg-type]
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "install Debian's chromium (make install does)"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB")
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("dialog", lambda d: (errors.append(f"dialog: {d.message}"), d.dismiss()))
    pg.errors = errors  # type: ignore[attr-defined]
    yield pg
    context.close()


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Page, live: Live, key: str) -> None:
    page.goto(f"{live.url}/queue")
    expect(page).to_have_url(f"{live.url}/login?next=/queue")
    page.get_by_label("E-mail address").fill(email(key))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live.url}/queue")
    expect(page.get_by_role("heading", name="My queue")).to_be_visible()


def test_log_in_queue_item_and_dismiss(live: Live, page: Page) -> None:
    page.goto(f"{live.url}/login")
    shot(page, "01-login")
    sign_in(page, live, "creator_a")
    rows = page.locator("table.queue tbody tr")
    expect(rows).to_have_count(4)  # a_plain, a_pupil, a_escalated and the hostile post
    shot(page, "02-queue")

    # Filtering through HTMX: the table updates in place and the URL follows.
    page.get_by_label("Severity").select_option("high")
    expect(rows).to_have_count(2)
    expect(page).to_have_url(re.compile(r"/queue\?state=active&severity=high"))
    page.get_by_label("Severity").select_option("")
    expect(rows).to_have_count(4)

    page.locator(f'a.item-link[href="/items/{live.world.items["a_plain"]}"]').click()
    expect(page.get_by_role("heading", name="The post as posted")).to_be_visible()
    expect(page.locator("mark.hl")).to_have_text("they are useless1")
    page.get_by_text("Read section 8.10 of the Social Media Policy").click()
    expect(page.locator("blockquote.policy")).to_contain_text("offensive or defamatory remarks")
    shot(page, "03-item")

    page.get_by_text("Dismiss — a false positive").click()
    page.locator("#dismiss-note").fill("Criticism of the council is not about a person.")
    page.get_by_role("button", name="Dismiss", exact=True).click()
    expect(page.locator(".flash-ok")).to_have_text("Dismissed as a false positive.")
    expect(page.locator(".state")).to_have_text("Dismissed")
    expect(page.locator(".history")).to_contain_text("Criticism of the council")
    shot(page, "04-dismissed")
    assert page.errors == []  # type: ignore[attr-defined]


def test_escalate_to_the_headteacher_who_then_sees_it(live: Live, page: Page) -> None:
    sign_in(page, live, "creator_a")
    item = live.world.items["a_pupil"]
    page.goto(f"{live.url}/items/{item}")
    page.get_by_text("Escalate — to the next manager").click()
    expect(page.get_by_label("Helen Marsh (Headteacher) — next in section 5")).to_be_checked()
    page.get_by_label("Also record a referral under section 9").select_option("disciplinary")
    page.locator("#escalate-note").fill("A pupil is named with their year group.")
    shot(page, "05-escalate-form")
    page.get_by_role("button", name="Escalate", exact=True).click()
    expect(page.locator(".flash-ok")).to_contain_text("Escalated. Referral recorded")
    expect(page.locator(".state")).to_have_text("Escalated")
    expect(page.get_by_text("Reviewer: Helen Marsh")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{live.url}/login")

    sign_in(page, live, "head_a")
    expect(page.locator(f'a.item-link[href="/items/{item}"]')).to_be_visible()
    page.locator(f'a.item-link[href="/items/{item}"]').click()
    expect(page.locator(".history")).to_contain_text("Disciplinary process (section 9)")
    shot(page, "06-headteacher-item")
    assert page.errors == []  # type: ignore[attr-defined]


def test_it_connects_and_approves_an_account(live: Live, page: Page) -> None:
    sign_in(page, live, "it")
    page.get_by_role("link", name="IT set-up").click()
    page.get_by_role("link", name="Connect an account").click()
    page.get_by_label("Handle").fill("OakfieldChoir")
    page.get_by_label("Platform's id of the account").fill("1500000000000000777")
    page.get_by_label("Kind").select_option("work_site")
    page.get_by_label("School").select_option(label="Oakfield Primary")
    page.get_by_label("Creator (reviews its items)").select_option(
        label="Owen Hughes (staff.a@trust.example)"
    )
    page.get_by_label("Airflow Connection id").fill("x_oakfield_choir")
    shot(page, "07-it-connect")
    page.get_by_role("button", name="Connect").click()
    expect(page.locator(".flash-ok")).to_contain_text("not monitored until a Headteacher")
    row = page.locator("tr", has_text="x/OakfieldChoir")
    row.get_by_label("Approved by (Headteacher)").select_option(label="Helen Marsh")
    row.get_by_label("on").fill("2026-09-01")
    row.get_by_role("button", name="Record approval").click()
    expect(page.locator(".flash-ok")).to_contain_text("Approval by Helen Marsh recorded")
    expect(page.locator("tr", has_text="x/OakfieldChoir")).to_contain_text("2026-09-01")
    shot(page, "08-it-accounts")
    page.get_by_role("link", name="People and roles").click()
    shot(page, "09-it-people")
    page.get_by_role("link", name="Dashboard").click()
    images = page.locator(".chart img")
    expect(images).to_have_count(3)
    for i in range(3):
        assert images.nth(i).evaluate("img => img.complete && img.naturalWidth > 0")
    shot(page, "10-dashboard")
    assert page.errors == []  # type: ignore[attr-defined]


def test_hostile_post_renders_inert_in_the_browser(live: Live, page: Page) -> None:
    sign_in(page, live, "creator_a")
    page.goto(f"{live.url}/items/{live.hostile_item}")
    post = page.locator("#post-text")
    expect(post).to_contain_text("<script>window.__pwned = 1; alert('xss')</script>")
    expect(post).to_contain_text('<img src=x onerror="window.__pwned=2">')
    expect(post.locator("script, img")).to_have_count(0)
    expect(post.locator(".ctl").first).to_have_text("U+202E")
    assert page.evaluate("() => window.__pwned") is None
    assert page.get_by_role("link", name="Open the original ↗").count() == 0, (
        "javascript: not linked"
    )
    box = post.bounding_box()
    assert box is not None and box["height"] < 400, "combining marks do not flood the page"
    shot(page, "11-hostile-post")
    assert page.errors == [], page.errors  # type: ignore[attr-defined]


def test_first_sign_in_with_a_one_time_code_then_a_password_change(
    live: Live, page: Page, sqlite_settings: Settings
) -> None:
    """A new log-in: the person opens the link from their mail, chooses a password (a weak one is
    refused with the reason), lands in their queue, later changes it from the header."""
    with session_scope(sqlite_settings.engine) as s:
        login = s.exec(select(UserAccount).where(UserAccount.username == email("staff_a"))).one()
        login.password_hash = None
        code = issue_code(s, user=login, actor_id=live.world.people["it"])
    page.goto(f"{live.url}/login/code?c={code}")
    expect(page.get_by_role("heading", name="Choose your password")).to_be_visible()
    page.get_by_label("New password", exact=True).fill("password1234")
    page.get_by_label("The same again").fill("password1234")
    page.get_by_role("button", name="Set my password").click()
    expect(page.locator(".flash-error")).to_contain_text("too easy to guess")
    shot(page, "12-first-sign-in-refused")
    assert page.errors == [
        "Failed to load resource: the server responded with a status of 400 (Bad Request)"
    ]  # type: ignore[attr-defined]
    page.errors.clear()  # type: ignore[attr-defined]
    page.get_by_label("New password", exact=True).fill("heron-saffron-tunnel-5")
    page.get_by_label("The same again").fill("heron-saffron-tunnel-5")
    page.get_by_role("button", name="Set my password").click()
    expect(page).to_have_url(f"{live.url}/queue")
    expect(page.get_by_text("Owen Hughes")).to_be_visible()

    page.get_by_role("link", name="Change password").click()
    expect(page.get_by_role("heading", name="Change your password")).to_be_visible()
    page.get_by_label("Current password").fill("heron-saffron-tunnel-5")
    page.get_by_label("New password", exact=True).fill("walnut-cobalt-meadow-8")
    page.get_by_label("The same again").fill("walnut-cobalt-meadow-8")
    shot(page, "13-change-password")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".flash-ok")).to_contain_text("Your password is changed")
    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("E-mail address").fill(email("staff_a"))
    page.get_by_label("Password").fill("walnut-cobalt-meadow-8")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live.url}/queue")
    assert page.errors == [], page.errors  # type: ignore[attr-defined]


def test_a_long_post_shows_its_findings_first_and_folds_the_rest(
    live: Live, page: Page, sqlite_settings: Settings
) -> None:
    """A 300,000-character image description: the finding at its end is on screen at once, the
    part is folded, and opening the fold shows the text (capped) without freezing the page."""
    import json

    from storage.connector_models import PostExtra

    body = "Farm trip today!"
    label = "Image 1 description"
    text = f"{body}\n\n[{label}] " + "lambs and sheep " * 18_750 + "Harry Finch in Year 5"
    with session_scope(sqlite_settings.engine) as s:
        account = s.get(Account, live.world.accounts["a"])
        item = add_post(
            s,
            account=account,  # type: ignore[arg-type]
            text=text,
            findings=[("Harry Finch in Year 5", "8.4", Severity.HIGH, "PUPIL_NAME_WITH_YEAR")],
            external_id="long",
            assignee=live.world.people["creator_a"],
        )
        start = len(body) + len(f"\n\n[{label}] ")
        parts = [
            {"kind": "body", "label": "Post", "start": 0, "end": len(body)},
            {"kind": "alt_text", "label": label, "start": start, "end": len(text)},
        ]
        s.add(PostExtra(post_id=item.post_id, data=json.dumps({"parts": parts})))
        item_id = item.id
    sign_in(page, live, "creator_a")
    page.goto(f"{live.url}/items/{item_id}")
    context = page.locator("#finding-context")
    expect(context).to_contain_text(f"Finding 1 · in {label}")
    expect(context.locator("mark.hl-high")).to_have_text("Harry Finch in Year 51")
    expect(page.locator(".part-of")).to_have_text(f"in {label}")
    fold = page.locator("#post-text details.fold")
    expect(fold).not_to_have_attribute("open", "")
    shot(page, "14-long-post")
    fold.locator("summary").click()
    expect(fold.locator(".post-text")).to_contain_text("lambs and sheep")
    expect(page.locator("#post-text")).to_contain_text("in the JSON export")
    assert page.errors == [], page.errors  # type: ignore[attr-defined]


def _db(settings: Settings) -> Session:
    return Session(settings.engine)
