"""The item page and its exports against hostile sizes (issue 12): a 1 MB post is folded with the
findings' context first, its labelled parts (image descriptions, link previews) shown apart, and
what an export renders is capped; exports are POSTs with a CSRF token; ids out of range are 404s
with the same security headers as every page."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from core.findings import Severity
from postwarden.settings import Settings
from review.web.app import create_app
from review.web.security import CSP
from storage.connector_models import PostExtra
from storage.models import Account, Post, ReviewEvent
from tests.review.conftest import Browser, World, add_post

BODY = "Lovely trip to the farm today, thank you to all our helpers!"
LABEL = "Image 1 description"
FILLER = "cows and sheep in the field " * 37_000  # ~1 MB
TAIL = "Harry Finch in Year 5 feeding the lambs"


def _db(settings: Settings) -> Session:
    return Session(settings.engine, expire_on_commit=False)


def _big_item(settings: Settings, world: World, *, parts: bool) -> int:
    """A short body and a ~1 MB image description with a finding at its very end."""
    extra = f"\n\n[{LABEL}] {FILLER}{TAIL}"
    text = BODY + extra
    with _db(settings) as s:
        account = s.get(Account, world.accounts["a"])
        item = add_post(
            s,
            account=account,  # type: ignore[arg-type]
            text=text,
            findings=[
                ("thank you to all our helpers", "8.10", Severity.LOW, "TEST_BODY"),
                ("Harry Finch in Year 5", "8.4", Severity.HIGH, "PUPIL_NAME_WITH_YEAR"),
            ],
            external_id="big",
            assignee=world.people["creator_a"],
        )
        if parts:
            post = s.get(Post, item.post_id)
            assert post is not None
            start = len(BODY) + len(f"\n\n[{LABEL}] ")  # the part's own words
            s.add(
                PostExtra(
                    post_id=post.id,  # type: ignore[arg-type]
                    data=json.dumps(
                        {
                            "parts": [
                                {"kind": "body", "label": "Post", "start": 0, "end": len(BODY)},
                                {
                                    "kind": "alt_text",
                                    "label": LABEL,
                                    "start": start,
                                    "end": len(text),
                                },
                            ]
                        }
                    ),
                )
            )
        s.commit()
        return item.id  # type: ignore[return-value]


@pytest.mark.parametrize("parts", [True, False])
def test_a_1mb_post_is_folded_with_the_findings_context_first(
    sqlite_settings: Settings, sqlite_world: World, sqlite_browser, parts: bool
) -> None:  # type: ignore[no-untyped-def]
    """The finding: a 1 MB post took 95 s to render in Chromium."""
    item = _big_item(sqlite_settings, sqlite_world, parts=parts)
    html = sqlite_browser("creator_a").get(f"/items/{item}").text
    assert len(html) < 300_000, f"the page carries {len(html):,} characters"
    context = html.index('id="finding-context"')
    assert html.index("Harry Finch in Year 5", context) < html.index('id="post-text"'), (
        "the flagged phrase at the end of 1 MB is shown first"
    )
    assert "<details" in html[html.index('id="post-text"') :], "the long text is folded"
    assert "in the JSON export" in html
    if parts:
        assert f"in {LABEL}" in html, "the finding says which part of the post it is in"
        assert html.count(f"in {LABEL}") >= 1 and "in Post" in html


def test_a_short_post_with_parts_shows_each_part(
    sqlite_settings: Settings, sqlite_world: World, sqlite_browser
) -> None:  # type: ignore[no-untyped-def]
    text = "Sports day! \n\n[Image 1 description] Harry Finch wins the sack race"
    with _db(sqlite_settings) as s:
        account = s.get(Account, sqlite_world.accounts["a"])
        item = add_post(
            s,
            account=account,  # type: ignore[arg-type]
            text=text,
            findings=[("Harry Finch", "8.4", Severity.HIGH, "PUPIL_NAME")],
            external_id="parts",
            assignee=sqlite_world.people["creator_a"],
        )
        start = text.index("] ") + 2
        s.add(
            PostExtra(
                post_id=item.post_id,
                data=json.dumps(
                    {
                        "parts": [
                            {"kind": "body", "label": "Post", "start": 0, "end": 11},
                            {
                                "kind": "alt_text",
                                "label": "Image 1 description",
                                "start": start,
                                "end": len(text),
                            },
                            {"kind": "junk", "label": "Broken", "start": 900, "end": -4},
                        ]
                    }
                ),
            )
        )
        s.commit()
    html = sqlite_browser("creator_a").get(f"/items/{item.id}").text
    assert "in Image 1 description" in html
    assert '<mark class="hl hl-high"' in html
    assert "Broken" not in html, "a part outside the text is ignored"


def test_exports_of_a_1mb_post_are_capped(
    sqlite_settings: Settings, sqlite_world: World, sqlite_browser
) -> None:  # type: ignore[no-untyped-def]
    """The finding: each PDF export of a 1 MB post cost 9.5 s of server CPU."""
    item = _big_item(sqlite_settings, sqlite_world, parts=False)
    b = sqlite_browser("creator_a")
    pdf = b.post(f"/items/{item}/export.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    pages = len(re.findall(rb"/Type\s*/Page\b", pdf.content))
    assert pages <= 40, f"{pages} pages"
    printed = b.post(f"/items/{item}/print")
    assert printed.status_code == 200 and len(printed.text) < 300_000
    assert "not shown here" in printed.text
    data = b.post(f"/items/{item}/export.json").json()
    assert data["post"]["text"].endswith(TAIL), "the JSON record keeps the whole text"


# --- exports by POST ------------------------------------------------------------------------------

EXPORTS = ["print", "export.json", "export.pdf"]


def test_exports_are_posts_with_a_csrf_token(
    settings: Settings, world: World, browser: Callable[[str], Browser]
) -> None:
    """The finding: a link on another site could make a signed-in browser GET an export and
    write "exported" rows in the item's audit trail (SameSite=Lax sends the cookie on links)."""
    b = browser("creator_a")
    item = world.items["a_plain"]
    for what in EXPORTS:
        assert b.client.get(f"/items/{item}/{what}").status_code == 405
        r = b.client.post(f"/items/{item}/{what}", data={}, follow_redirects=False)
        assert r.status_code == 403, "no token, no export"
    with _db(settings) as s:
        exported = col(ReviewEvent.action).startswith("exported")
        assert not s.exec(select(ReviewEvent).where(exported)).all()
    for what in EXPORTS:
        assert b.post(f"/items/{item}/{what}").status_code == 200
    with _db(settings) as s:
        rows = s.exec(select(ReviewEvent.action).where(ReviewEvent.item_id == item)).all()
    assert [a for a in rows if a.startswith("exported")] == [
        "exported_print",
        "exported_json",
        "exported_pdf",
    ]
    page = b.get(f"/items/{item}").text
    assert f'action="/items/{item}/export.pdf"' in page and 'method="post"' in page


# --- ids out of range -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/items/9223372036854775808"),
        ("GET", "/items/2147483648"),
        ("GET", "/items/-1"),
        ("GET", "/items/0"),
        ("POST", "/items/9223372036854775808/comment"),
        ("POST", "/items/99999999999999999999999/export.pdf"),
        ("POST", "/it/people/9223372036854775808/active"),
        ("POST", "/it/accounts/-5/active"),
    ],
)
def test_ids_out_of_range_are_404_with_every_header(
    settings: Settings, world: World, app_for: Callable[..., TestClient], method: str, path: str
) -> None:
    """The finding: /items/9223372036854775808 answered 500 without security headers."""
    b = Browser(TestClient(create_app(settings), raise_server_exceptions=False))
    b.login("it")
    r = b.get(path) if method == "GET" else b.post(path, {"note": "x", "active": "false"})
    assert r.status_code == 404, (path, r.status_code)
    assert r.headers["content-security-policy"] == CSP
    assert r.headers["x-frame-options"] == "DENY"


def test_an_unexpected_error_page_carries_the_headers_too(
    sqlite_settings: Settings, sqlite_world: World
) -> None:
    app = create_app(sqlite_settings)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret detail of a bug")

    r = TestClient(app, raise_server_exceptions=False).get("/boom")
    assert r.status_code == 500
    assert r.headers["content-security-policy"] == CSP and r.headers["cache-control"] == "no-store"
    assert "secret detail" not in r.text
