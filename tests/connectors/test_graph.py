"""The facebook-sdk adapter and the Facebook/Instagram connectors, through real `facebook.GraphAPI`
over HTTP to the sandbox (no patched client methods)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import facebook
import pytest

from connectors.base import Credentials, PulledPost
from connectors.errors import (
    AuthExpired,
    ConnectorError,
    MalformedPayload,
    RateLimited,
    TransientError,
)
from connectors.facebook import FacebookPageConnector, GraphCursor
from connectors.graph import GraphClient, GraphNotFound, usage_from_headers
from connectors.instagram import InstagramConnector
from devkit.sandbox import SandboxServer

TOKEN = "graph-test-token"
PAGE, IG = "104000000000001", "17841400000000002"


@pytest.fixture
def sb() -> Iterator[SandboxServer]:
    with SandboxServer(tokens={TOKEN}, timeout_delay=1.0) as server:
        yield server


def fb(sb: SandboxServer, token: str = TOKEN, **kw: Any) -> FacebookPageConnector:
    kw.setdefault("timeout", 0.5)
    return FacebookPageConnector(
        Credentials("fb", token), object_id=PAGE, version="v24.0", base_url=sb.url, **kw
    )


def ig(sb: SandboxServer, **kw: Any) -> InstagramConnector:
    return InstagramConnector(
        Credentials("ig", TOKEN), object_id=IG, version="v24.0", base_url=sb.url, **kw
    )


def pull(
    conn: Any, cursor: GraphCursor, max_pages: int = 50
) -> tuple[list[PulledPost], GraphCursor]:
    posts: list[PulledPost] = []
    token = None
    for _ in range(max_pages):
        page = conn.parse_page(conn.fetch(conn.request(cursor, token)))
        cursor = conn.advance(cursor, page)
        posts += page.posts
        token = page.next_page
        if not token:
            break
    return posts, cursor


def test_the_adapter_uses_a_current_version_that_the_sdk_constructor_refuses() -> None:
    with pytest.raises(facebook.GraphAPIError, match="Version number should be"):
        facebook.GraphAPI(access_token="t", version="24.0")
    client = GraphClient("t", version="v24.0")
    assert client.api.version == "v24.0"
    with pytest.raises(ValueError, match="v24.0"):
        GraphClient("t", version="24")


def test_the_sdks_get_all_connections_trips_on_a_tokenless_next_link_and_ours_does_not(
    sb: SandboxServer,
) -> None:
    client = GraphClient(TOKEN, version="v24.0", base_url=sb.url)
    first = client.get(f"{PAGE}_2002/comments", "test", filter="stream", limit=1, fields="id")
    next_url = first["paging"]["next"]
    assert "access_token" not in next_url
    # The SDK's own walker, fed the same continuation, fails as documented.
    with pytest.raises(KeyError, match="access_token"):
        list(client.api.get_all_connections(f"{PAGE}_2002", "comments", filter="stream", limit=1))
    rest = list(client.all_connections(next_url, "test"))
    assert [c["id"] for c in rest] == ["2002_3002", "2002_3003"]


def test_a_page_sweep_stores_every_post_comment_and_reply_once(sb: SandboxServer) -> None:
    posts, cursor = pull(fb(sb, limit=2), GraphCursor())
    ids = [p.external_id for p in posts]
    assert sorted(ids) == sb.upstream_ids("facebook", PAGE) and len(ids) == len(set(ids))
    by_id = {p.external_id: p for p in posts}
    reply = by_id["2002_3003"]
    assert reply.extra["kind"] == "reply" and reply.extra["parent_id"] == "2002_3002"
    assert reply.author_handle == "Dee Harper"
    photo = by_id[f"{PAGE}_2002"].extra["media"][0]
    assert photo["url"].startswith("https://scontent") and photo["alt_text"]
    assert cursor.after is None and cursor.since == int(
        datetime(2026, 11, 16, 17, 45, tzinfo=UTC).timestamp()
    )


def test_inline_comments_past_the_limit_are_completed_in_the_same_fetch(sb: SandboxServer) -> None:
    for n in range(120):
        sb.app.graph.add_comment(
            {
                "post_id": f"{PAGE}_2005",
                "text": f"comment {n}",
                "id": f"2005_9{n:03d}",
                "created_time": f"2026-11-12T11:{n // 60:02d}:{n % 60:02d}Z",
            }
        )
    sb.clear_requests()
    posts, _ = pull(fb(sb), GraphCursor())
    assert len([p for p in posts if p.extra.get("root_id") == f"{PAGE}_2005"]) == 121
    assert sb.request_count(f"/v24.0/{PAGE}_2005/comments") == 1, "one follow-up for 21 more"


def test_a_sweep_cut_short_resumes_with_its_bound_and_paging_cursor(sb: SandboxServer) -> None:
    conn = fb(sb, limit=2)
    first, cursor = pull(conn, GraphCursor(), max_pages=1)
    assert cursor.after and cursor.since is None and cursor.sweep_since is None
    rest, cursor = pull(conn, cursor)
    assert sorted(p.external_id for p in first + rest) == sb.upstream_ids("facebook", PAGE)
    assert cursor.after is None


def test_revisiting_catches_new_comments_on_recent_posts_but_reads_little(
    sb: SandboxServer,
) -> None:
    conn = fb(sb, revisit=timedelta(days=1))
    _, cursor = pull(conn, GraphCursor())
    sb.app.graph.add_comment({"post_id": f"{PAGE}_2006", "text": "late comment", "id": "2006_3300"})
    posts, _ = pull(conn, cursor)
    assert sorted(p.external_id for p in posts) == ["104000000000001_2006", "2006_3300"]


def test_instagram_media_comments_replies_and_carousels(sb: SandboxServer) -> None:
    posts, _ = pull(ig(sb, limit=3), GraphCursor())
    assert sorted(p.external_id for p in posts) == sb.upstream_ids("instagram", IG)
    by_id = {p.external_id: p for p in posts}
    carousel = by_id["17900000000000102"]
    assert [m["url"].rsplit("/", 1)[-1] for m in carousel.extra["media"]] == [
        "riv_relay_1.jpg",
        "riv_relay_2.jpg",
    ]
    reply = by_id["18000000000000203"]
    assert (reply.extra["kind"], reply.extra["parent_id"], reply.extra["root_id"]) == (
        "reply",
        "18000000000000202",
        "17900000000000102",
    )
    assert by_id["18000000000000202"].author_handle == "mum_of_three_kb"


@pytest.mark.parametrize(
    ("mode", "error", "says"),
    [
        ("expired", AuthExpired, "Graph error 190/463"),
        ("429", RateLimited, "80001"),
        ("503", TransientError, "HTTP 503"),
        ("timeout", TransientError, "in time"),
        ("malformed", MalformedPayload, "invalid JSON"),
    ],
)
def test_each_graph_fault_maps_to_its_connector_error(
    sb: SandboxServer, mode: str, error: type[Exception], says: str
) -> None:
    sb.add_fault(f"/v24.0/{PAGE}/posts", mode, reset_in=600)
    conn = fb(sb)
    with pytest.raises(error, match=says) as caught:
        conn.fetch(conn.request(GraphCursor(), None))
    assert f"/v24.0/{PAGE}/posts" in str(caught.value)
    if isinstance(caught.value, RateLimited):
        wait = caught.value.reset_at - datetime.now(UTC)
        assert timedelta(minutes=9) < wait <= timedelta(minutes=10)
    if isinstance(caught.value, MalformedPayload):
        assert caught.value.raw.startswith(b'{"data"')


def test_an_unknown_token_is_auth_expired(sb: SandboxServer) -> None:
    conn = fb(sb, token="revoked")
    with pytest.raises(AuthExpired, match="190"):
        conn.fetch(conn.request(GraphCursor(), None))


def test_deleted_posts_and_comments_are_found_by_lookup(sb: SandboxServer) -> None:
    sb.app.graph.delete("2002_3002")  # takes its reply with it
    found = fb(sb).lookup([f"{PAGE}_2001", "2002_3002", "2002_3003"])
    assert found.missing == {"2002_3002", "2002_3003"} and found.requests == 3
    with pytest.raises(GraphNotFound):
        GraphClient(TOKEN, version="v24.0", base_url=sb.url).get("999", "GET /{id}")


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, (0, None)),
        ({"X-App-Usage": '{"call_count": 42, "total_time": 7, "total_cputime": 3}'}, (42, None)),
        (
            {
                "x-business-use-case-usage": '{"1": [{"type": "pages", "call_count": 99, '
                '"total_time": 1, "total_cputime": 1, "estimated_time_to_regain_access": 12}]}'
            },
            (99, timedelta(minutes=12)),
        ),
        ({"X-App-Usage": "not json"}, (0, None)),
    ],
)
def test_usage_headers(headers: dict[str, str], expected: tuple[int, timedelta | None]) -> None:
    assert usage_from_headers(headers) == expected


def test_media_bytes_come_through_the_same_session(sb: SandboxServer) -> None:
    posts, _ = pull(fb(sb), GraphCursor())
    url = next(p for p in posts if p.extra.get("media")).extra["media"][0]["url"]
    media = fb(sb).fetch_media(url)
    assert media.content_type == "image/jpeg" and media.data[:2] == b"\xff\xd8"
    with pytest.raises(Exception, match="cap"):
        fb(sb, media_max_bytes=100).fetch_media(url)


def test_tokens_echoed_by_graph_never_reach_recorded_pages_or_logs(
    sb: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    import requests

    from storage.connector_crud import redact_secrets

    raw = requests.get(
        f"{sb.url}/v24.0/{PAGE}/posts", params={"access_token": TOKEN, "limit": 2}, timeout=5
    ).content
    assert TOKEN.encode() in raw, "Graph's paging.next echoes the token"
    assert TOKEN.encode() not in redact_secrets(raw)
    assert b"access_token=[REDACTED]" in redact_secrets(raw)
    conn = fb(sb, limit=2)
    with caplog.at_level(logging.DEBUG, logger="urllib3.connectionpool"):
        conn.fetch(conn.request(GraphCursor(), None))
    assert "access_token=[REDACTED]" in caplog.text and TOKEN not in caplog.text


def test_error_1_asks_again_for_less_never_the_same_request(sb: SandboxServer) -> None:
    """Graph error 1 ("Please reduce the amount of data you're asking for"): each new request
    asks for half the posts and comments; the same request is never sent twice."""
    sb.add_fault(f"/v24.0/{PAGE}/posts", "500", times=2)  # the sandbox's 500 is Graph's code 1
    conn = fb(sb, limit=8)
    page = conn.parse_page(conn.fetch(conn.request(GraphCursor(), None)))
    asked = [r["query"] for r in sb.requests(f"/v24.0/{PAGE}/posts")]
    assert [q["limit"] for q in asked] == ["8", "4", "2"]
    assert [re.findall(r"\.limit\((\d+)\)", q["fields"]) for q in asked] == [
        ["100"],
        ["50"],
        ["25"],
    ]
    assert 0 < len([p for p in page.posts if p.extra.get("kind") not in ("comment", "reply")]) <= 2


def test_error_1_even_for_one_post_fails_the_account_with_the_reason(sb: SandboxServer) -> None:
    sb.add_fault(f"/v24.0/{PAGE}/posts", "500", times=None)
    conn = fb(sb, limit=4)
    with pytest.raises(ConnectorError, match="less data even for one post") as caught:
        conn.fetch(conn.request(GraphCursor(), None))
    assert not isinstance(caught.value, TransientError)  # not retried as if it might pass
    limits = [r["query"]["limit"] for r in sb.requests(f"/v24.0/{PAGE}/posts")]
    assert len(limits) == len(
        set(tuple(r["query"].items()) for r in sb.requests(f"/v24.0/{PAGE}/posts"))
    )
    assert limits[0] == "4" and limits[-1] == "1"


def test_time_based_paging_from_the_sandbox_is_followed_to_the_end(sb: SandboxServer) -> None:
    """A Page on time-based paging (links with until/__paging_token, no cursors): every post is
    read, page after page, until the empty page."""
    sb.app.graph._accounts[PAGE] = dataclasses.replace(sb.app.graph._accounts[PAGE], paging="time")
    conn = fb(sb, limit=2)
    cursor, token, posts = GraphCursor(), None, []
    for _ in range(20):
        page = conn.parse_page(conn.fetch(conn.request(cursor, token)))
        cursor = conn.advance(cursor, page)
        posts += [p.external_id for p in page.posts]
        token = page.next_page
        if not token:
            break
    assert sorted(set(posts)) == sb.upstream_ids("facebook", PAGE)
    assert any("__paging_token" in r["query"] for r in sb.requests(f"/v24.0/{PAGE}/posts"))
    assert not any("after" in r["query"] for r in sb.requests(f"/v24.0/{PAGE}/posts"))
