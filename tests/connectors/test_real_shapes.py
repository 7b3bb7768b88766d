"""The API connectors' parse functions held to the real-shape fixtures (X, Graph, Bluesky, feeds).

Every case of tests/fixtures/real_shapes/<platform>/manifest.json is read as the platform sends
it; what must be stored (count, ids, times, authors, every word including those outside the body,
links, media, threading) is the manifest's, written from the platforms' shapes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.base import Credentials, PulledPost
from connectors.blog import BlogConnector
from connectors.bluesky import BlueskyConnector, BskyCursor
from connectors.facebook import FacebookPageConnector, GraphCursor
from connectors.instagram import InstagramConnector
from connectors.x import XConnector, XCursor
from tests.connectors.real_shapes import ROOT, case, cases, check, load

CREDS = Credentials("conn", "FAKE-token")


def _sweep(
    connector: Any, cursor: Any, files: list[str], folder: str, wrap: Any
) -> tuple[list[PulledPost], list[dict[str, Any]], Any]:
    """Parse a case's pages in order as one sweep; the request each page leads to."""
    posts: list[PulledPost] = []
    requests: list[dict[str, Any]] = []
    for file in files:
        page = connector.parse_page(wrap(load(folder, file)))
        cursor = connector.advance(cursor, page)
        posts += page.posts
        requests.append(dict(connector.request(cursor, page.next_page)) if page.next_page else {})
    return posts, requests, cursor


def _check_requests(
    expect: dict[str, Any], requests: list[dict[str, Any]], files: list[str]
) -> None:
    for rule in expect.get("requests", []):
        asked = requests[files.index(rule["after_file"])]
        flat = {**asked, **asked.get("args", {}), **asked.get("params", {})}
        if rule.get("no_further_request"):
            assert asked == {}, asked
        for key, value in rule.get("query_must_include", {}).items():
            assert str(flat.get(key)) == value, (key, flat)
        for key in rule.get("query_must_not_include", []):
            assert key not in flat


# --- X ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("c", cases("x"), ids=lambda c: c["case"])
def test_x_cases(c: dict[str, Any]) -> None:
    conn = XConnector(CREDS, user_id="1498765432109876543", max_results=5)
    if c["case"] == "x_edited_post":
        before, _, _ = _sweep(conn, XCursor(), c["files"][:1], "x", lambda p: p)
        after, _, _ = _sweep(conn, XCursor(), c["files"][1:], "x", lambda p: p)
        (old,) = before
        check(c["expect"], after)
        assert old.external_id == c["expect"]["previous_versions"][0]["external_id"]
        return
    posts, requests, _ = _sweep(conn, XCursor(), c["files"], "x", lambda p: p)
    check(c["expect"], posts)
    _check_requests(c["expect"], requests, c["files"])


def test_x_a_note_tweet_is_stored_whole_not_cut_at_280() -> None:
    (post,) = XConnector(CREDS, user_id="1").parse_page(load("x", "note_tweet.json")).posts
    assert len(post.text) > 280 and "…" not in post.text


def test_x_retweet_full_text_is_a_labelled_part() -> None:
    (post,) = XConnector(CREDS, user_id="1").parse_page(load("x", "retweet_truncated.json")).posts
    kinds = {p["kind"]: p for p in post.extra["parts"]}
    part = kinds["reposted_post"]
    assert part["label"] == "Reposted post by @OakfieldPTA"
    assert "Isla Novak and her mum from 6B" in post.text[part["start"] : part["end"]]


def test_x_a_shortener_x_did_not_unwind_is_taken_from_the_redirect_walk() -> None:
    payload = load("x", "tco_links.json")
    payload["_unwound"] = {"https://bit.example/4Nw5ltr": "https://newsletter.example/autumn"}
    posts = XConnector(CREDS, user_id="1").parse_page(payload).posts
    newsletter = next(p for p in posts if "newsletter" in p.text)
    assert "https://newsletter.example/autumn" in newsletter.extra["links"]
    (part,) = [p for p in newsletter.extra["parts"] if p["kind"] == "link_url"]
    assert newsletter.text[part["start"] : part["end"]] == "https://newsletter.example/autumn"


# --- Graph (Facebook Pages, Instagram) ----------------------------------------------------------

GRAPH_CASES = [c for c in cases("graph") if "error" not in c["expect"]]


@pytest.mark.parametrize("c", GRAPH_CASES, ids=lambda c: c["case"])
def test_graph_cases(c: dict[str, Any]) -> None:
    if c["case"].startswith("ig_"):
        conn: Any = InstagramConnector(CREDS, object_id="17841400000000001", version="v24.0")
    else:
        conn = FacebookPageConnector(CREDS, object_id="108374920019283", version="v24.0")
    if c["case"] == "fb_comments_page":
        comments = load("graph", c["files"][0])
        post = {
            "id": "108374920019283_122154309871234601",
            "created_time": "2026-09-18T14:30:00+0000",
        }
        page = conn.parse_page({"data": [{**post, "comments": comments}]})
        check(c["expect"], [p for p in page.posts if p.extra.get("kind") in ("comment", "reply")])
        return
    posts, requests, _ = _sweep(conn, GraphCursor(), c["files"], "graph", lambda p: p)
    check(c["expect"], posts)
    _check_requests(c["expect"], requests, c["files"])


def test_graph_time_based_paging_resumes_from_the_stored_cursor() -> None:
    """A sweep cut after page 1 resumes next cycle with the time-based token, not from the top."""
    conn = FacebookPageConnector(CREDS, object_id="108374920019283", version="v24.0")
    page = conn.parse_page(load("graph", "page_feed_time_paging_p1.json"))
    cursor = GraphCursor.from_json(conn.advance(GraphCursor(since=1789000000), page).to_json())
    args = conn.request(cursor, None)["args"]
    assert args["until"] == "1790237100" and args["since"] < 1789000000
    assert args["__paging_token"].startswith("enc_AdB") and "after" not in args


# --- Bluesky ------------------------------------------------------------------------------------


@pytest.mark.parametrize("c", cases("bluesky"), ids=lambda c: c["case"])
def test_bluesky_cases(c: dict[str, Any]) -> None:
    conn = BlueskyConnector(None, actor="did:plc:oakfieldprimaryschool234", expand_links=False)
    floor = c["expect"].get("previous_floor", "2026-09-01T00:00:00Z")
    cursor = BskyCursor(since=floor)
    posts, requests, cursor = _sweep(
        conn, cursor, c["files"], "bluesky", lambda body: {"body": body, "floor": floor}
    )
    check(c["expect"], posts, exact_time=c["case"] != "bsky_repost_first")
    _check_requests(c["expect"], requests, c["files"])
    if "next_floor_at_least" in c["expect"]:
        floor_at_least = datetime.fromisoformat(c["expect"]["next_floor_at_least"])
        assert datetime.fromisoformat(cursor.since) >= floor_at_least


def test_bluesky_a_repost_at_the_top_does_not_hide_the_accounts_newer_posts() -> None:
    """The bug: the floor came from the reposted (old) post's indexedAt, so the account's own
    posts between the floor and the repost were skipped for good."""
    conn = BlueskyConnector(None, actor="did:plc:oakfieldprimaryschool234", expand_links=False)
    body = load("bluesky", "author_feed_repost_first.json")
    floor = "2026-09-12T00:00:00Z"  # older than the own post of 14 September
    page = conn.parse_page({"body": body, "floor": floor})
    assert any("Romans topic" in p.text for p in page.posts)
    cursor = conn.advance(BskyCursor(since=floor), page)
    assert cursor.since == "2026-09-15T08:00:05.311Z"  # the repost's own time, not 1 August
    repost = page.posts[0]
    assert repost.created_at == datetime(2026, 9, 15, 8, 0, 5, 311000, tzinfo=UTC)


# --- feeds --------------------------------------------------------------------------------------


def _feed_id(conn: BlogConnector, expected: str) -> str:
    """Non-global guids are namespaced per feed (`sha256:` of feed URL + guid): see SOURCES.md."""
    if ":" in expected:
        return expected
    import hashlib

    return "sha256:" + hashlib.sha256(f"{conn.feed_url}\n{expected}".encode()).hexdigest()


@pytest.mark.parametrize(
    "c", [c for c in cases("feeds") if "pulls" not in c["expect"]], ids=lambda c: c["case"]
)
def test_feed_cases(c: dict[str, Any]) -> None:
    conn = BlogConnector(None, feed_url=c["feed_url"], expand_links=False)
    (file,) = c["files"]
    page = conn.parse_page(
        {"status": 200, "body": (ROOT / "feeds" / file).read_bytes(), "headers": {}}
    )
    expect = dict(c["expect"])
    expect["posts"] = [
        {**p, "external_id": _feed_id(conn, p["external_id"])} for p in expect.get("posts", [])
    ]
    check(expect, page.posts)
    if expect.get("lenient_parse_required"):
        assert "read leniently" in page.meta["repaired"]


def test_a_feed_repaired_leniently_stores_every_item_or_none() -> None:
    """A truncated feed (not merely `&nbsp;`) is still refused whole: nothing is half-stored."""
    from connectors.errors import MalformedPayload

    conn = BlogConnector(None, feed_url="https://oakfieldprimary.example/kitchen/feed/")
    body = (ROOT / "feeds" / "rss_nbsp_bare_amp.xml").read_bytes()
    with pytest.raises(MalformedPayload, match="not well-formed"):
        conn.parse_page({"status": 200, "body": body[: len(body) // 2], "headers": {}})


def test_a_feed_item_without_a_date_keeps_its_first_seen_time() -> None:
    c = case("feeds", "rss_item_without_pubdate")
    conn = BlogConnector(None, feed_url=c["feed_url"], expand_links=False)
    body = (ROOT / "feeds" / c["files"][0]).read_bytes()
    page = conn.parse_page({"status": 200, "body": body, "headers": {}})
    undated = next(p for p in page.posts if "longships" in p.text)
    assert undated.extra["created_at_source"] == "pulled"
    assert abs((undated.created_at - datetime.now(UTC)).total_seconds()) < 60


def test_every_fixture_file_is_used_by_a_case() -> None:
    used = {
        (folder, f)
        for folder in ("x", "graph", "bluesky", "feeds")
        for c in cases(folder)
        for f in c["files"]
    }
    present = {
        (p.parent.name, p.name)
        for folder in ("x", "graph", "bluesky", "feeds")
        for p in Path(ROOT / folder).iterdir()
        if p.name != "manifest.json"
    }
    assert present <= used, present - used
