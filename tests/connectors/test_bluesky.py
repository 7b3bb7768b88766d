"""Bluesky through the real atproto `Client` over HTTP to the sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.base import Credentials, PulledPost
from connectors.bluesky import BlueskyConnector, BskyCursor
from connectors.errors import AuthExpired, MalformedPayload, RateLimited, TransientError
from devkit.sandbox import SandboxServer

DID = "did:plc:riversideacademy0001"
HANDLE = "riverside-academy.bsky.social"
APP_PASSWORD = "demo-sandbox-token"


@pytest.fixture
def sb() -> Iterator[SandboxServer]:
    with SandboxServer(timeout_delay=1.0) as server:
        yield server


def bsky(
    sb: SandboxServer, login: str | None = None, password: str = APP_PASSWORD, **kw: Any
) -> BlueskyConnector:
    kw.setdefault("timeout", 0.5)
    creds = Credentials("bsky", password, host=sb.url, login=login) if login else None
    return BlueskyConnector(creds, actor=DID, base_url=sb.url, **kw)


def pull(
    conn: BlueskyConnector, cursor: BskyCursor, max_pages: int = 50
) -> tuple[list[PulledPost], BskyCursor]:
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


def test_the_public_feed_gives_own_posts_replies_and_reposts(sb: SandboxServer) -> None:
    posts, cursor = pull(bsky(sb, limit=2), BskyCursor())
    assert sorted(p.external_id for p in posts) == sb.upstream_ids("bluesky", DID)
    by_rkey = {p.external_id.rsplit("/", 1)[-1]: p for p in posts}
    reply = by_rkey["3lrv2b0000005"]
    assert reply.extra["reply_parent"].endswith("3lrv2b0000004")
    assert reply.url == f"https://bsky.app/profile/{HANDLE}/post/3lrv2b0000005"
    assert by_rkey["3lrv2b0000002"].extra["media"][0]["alt_text"] == "Exam timetable grid"
    assert cursor == BskyCursor(since="2026-11-15T13:00:00.000Z")  # the repost at the top
    assert all("Authorization" not in str(e) for e in sb.requests("/xrpc/"))


def test_an_idle_cycle_reads_one_small_page_and_stops_at_the_floor(sb: SandboxServer) -> None:
    conn = bsky(sb)
    _, cursor = pull(conn, BskyCursor())
    sb.clear_requests()
    posts, again = pull(conn, cursor)
    assert posts == [] and again == cursor
    (request,) = sb.requests("/xrpc/app.bsky.feed.getAuthorFeed")
    assert request["query"]["limit"] == "5"

    new = sb.app.bluesky.add_post({"author": DID, "text": "Snow day: school closed"})
    posts, _ = pull(conn, cursor)
    assert [p.external_id for p in posts] == [new["uri"]]


def test_a_sweep_cut_short_resumes_from_the_feed_cursor(sb: SandboxServer) -> None:
    conn = bsky(sb, limit=2)
    first, cursor = pull(conn, BskyCursor(), max_pages=1)
    assert cursor.cursor and cursor.since is None
    rest, cursor = pull(conn, cursor)
    ids = [p.external_id for p in first + rest]
    assert sorted(ids) == sb.upstream_ids("bluesky", DID) and len(ids) == len(set(ids))


def test_a_start_time_limits_the_first_pull(sb: SandboxServer) -> None:
    posts, _ = pull(bsky(sb, start_time=datetime(2026, 11, 8, tzinfo=UTC)), BskyCursor())
    assert len(posts) == 6  # three own posts, two with links, one repost since 8 November


def test_logging_in_with_an_app_password(sb: SandboxServer) -> None:
    posts, _ = pull(bsky(sb, login=HANDLE), BskyCursor())
    assert len(posts) == 9  # seven own posts and two reposts
    assert sb.request_count("/xrpc/com.atproto.server.createSession") == 1
    with pytest.raises(AuthExpired, match="AuthenticationRequired"):
        pull(bsky(sb, login=HANDLE, password="revoked-app-password"), BskyCursor())


@pytest.mark.parametrize(
    ("mode", "error"),
    [
        ("429", RateLimited),
        ("500", TransientError),
        ("timeout", TransientError),
        ("malformed", MalformedPayload),
        ("expired", AuthExpired),
    ],
)
def test_faults(sb: SandboxServer, mode: str, error: type[Exception]) -> None:
    sb.add_fault("/xrpc/app.bsky.feed.getAuthorFeed", mode, reset_in=300)
    with pytest.raises(error) as caught:
        pull(bsky(sb), BskyCursor())
    assert "getAuthorFeed" in str(caught.value)
    if isinstance(caught.value, RateLimited):
        assert 290 < (caught.value.reset_at - datetime.now(UTC)).total_seconds() <= 301
    if isinstance(caught.value, MalformedPayload):
        assert caught.value.raw.startswith(b'{"feed"')


def test_deleted_posts_are_missing_from_get_posts(sb: SandboxServer) -> None:
    uris = sb.upstream_ids("bluesky", DID)
    sb.app.bluesky.delete_post(uris[1])
    found = bsky(sb).lookup(uris)
    assert found.missing == {uris[1]} and found.requests == 1


def test_images_are_fetched_from_the_cdn_through_the_sandbox(sb: SandboxServer) -> None:
    posts, _ = pull(bsky(sb), BskyCursor())
    url = next(p for p in posts if p.extra["media"]).extra["media"][0]["url"]
    assert url.startswith("https://cdn.bsky.app/")
    assert bsky(sb).fetch_media(url).data.startswith(b"\xff\xd8")


@pytest.mark.parametrize("actor", ["", "not a handle", "did:"])
def test_bad_actor_ids_are_refused(actor: str) -> None:
    with pytest.raises(ValueError, match="DID or handle"):
        BlueskyConnector(None, actor=actor)
