"""Blogs: RSS and Atom through feedparser, conditional GET over real HTTP to the sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from connectors.base import Credentials
from connectors.blog import BlogConnector, BlogCursor, html_to_text
from connectors.errors import AuthExpired, MalformedPayload, RateLimited, TransientError
from devkit.sandbox import SandboxServer

TOKEN = "blog-test-token"
OAK = "https://oakfield.example/blogs/oakfield-news/feed.xml"
RIV = "https://riverside.example/blogs/riverside-sixth-form/feed.xml"


@pytest.fixture
def sb() -> Iterator[SandboxServer]:
    with SandboxServer(tokens={TOKEN}, timeout_delay=1.0) as server:
        yield server


def blog(sb: SandboxServer, feed: str = OAK, login: str | None = None, **kw: Any) -> BlogConnector:
    kw.setdefault("timeout", 0.5)
    return BlogConnector(Credentials("blog", TOKEN, host=sb.url, login=login), feed_url=feed, **kw)


def once(conn: BlogConnector, cursor: BlogCursor) -> tuple[Any, BlogCursor]:
    page = conn.parse_page(conn.fetch(conn.request(cursor, None)))
    return page, conn.advance(cursor, page)


@pytest.mark.parametrize("feed", [OAK, RIV], ids=["rss", "atom"])
def test_a_feed_is_read_whole_then_costs_a_304_until_it_changes(
    sb: SandboxServer, feed: str
) -> None:
    conn = blog(sb, feed)
    page, cursor = once(conn, BlogCursor())
    assert sorted(p.external_id for p in page.posts) == sb.upstream_ids("blog", feed)
    assert cursor.etag and cursor.modified and page.next_page is None
    assert all(p.created_at.tzinfo is not None and p.url for p in page.posts)

    again, same = once(conn, cursor)
    assert again.posts == () and same == cursor
    assert [e["status"] for e in sb.requests("/blogs/")] == [200, 304]

    slug = feed.split("/")[-2]
    sb.app.feeds.add_item(slug, {"guid": "tag:new-item", "title": "New", "html": "<p>Hello</p>"})
    page, moved = once(conn, cursor)
    assert "tag:new-item" in [p.external_id for p in page.posts] and moved.etag != cursor.etag


def test_text_keeps_the_words_and_images_keep_their_alt_text(sb: SandboxServer) -> None:
    page, _ = once(blog(sb), BlogCursor())
    museum = next(p for p in page.posts if p.external_id.endswith("p=305"))
    assert museum.text.startswith(
        "Year 5 at the Science Museum\n\nYear 5 visited the Science Museum"
    )
    assert museum.extra["media"] == [
        {
            "type": "photo",
            "url": "https://oakfield.example/wp-content/uploads/2026/11/science-museum.jpg",
            "alt_text": "Pupils seen from behind at the Wonderlab",
        }
    ]
    assert museum.author_handle == "Mr Hughes"
    media = blog(sb).fetch_media(museum.extra["media"][0]["url"])
    assert media.content_type == "image/jpeg" and media.data.startswith(b"\xff\xd8")


def test_html_to_text() -> None:
    text, images = html_to_text('<h2>Hi &amp; bye</h2><p>one<br>two</p><img src="/a.png" alt="A">')
    assert text == "Hi & bye\none\ntwo" and images == [
        {"type": "photo", "url": "/a.png", "alt_text": "A"}
    ]


def test_a_private_feed_wants_basic_auth(sb: SandboxServer) -> None:
    sb.app.feeds._blogs["oakfield-news"] = sb.app.feeds._blogs["oakfield-news"].__class__(
        slug="oakfield-news", title="t", link="https://oakfield.example/news", private=True
    )
    with pytest.raises(AuthExpired, match="401"):
        once(blog(sb), BlogCursor())
    page, _ = once(blog(sb, login="feedreader"), BlogCursor())
    assert page.posts


@pytest.mark.parametrize(
    ("mode", "error"),
    [
        ("429", RateLimited),
        ("503", TransientError),
        ("timeout", TransientError),
        ("malformed", MalformedPayload),
    ],
)
def test_faults(sb: SandboxServer, mode: str, error: type[Exception]) -> None:
    sb.add_fault("/blogs/oakfield-news/feed.xml", mode)
    with pytest.raises(error) as caught:
        once(blog(sb), BlogCursor())
    assert "/blogs/oakfield-news/feed.xml" in str(caught.value)
    if isinstance(caught.value, MalformedPayload):
        assert caught.value.raw.startswith(b"<?xml")


def test_the_feed_url_must_be_a_url() -> None:
    with pytest.raises(ValueError, match="feed URL"):
        BlogConnector(None, feed_url="oakfield-news")
