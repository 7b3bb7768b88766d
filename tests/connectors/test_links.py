"""The bounded redirect walk behind shortened links, against the sandbox's shorteners."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors.http import RewritingSession
from connectors.links import MAX_LINKS, unshorten, unshorten_all
from devkit.sandbox import SandboxServer


@pytest.fixture
def sb() -> Iterator[SandboxServer]:
    with SandboxServer(timeout_delay=1.0) as server:
        links = server.app.links
        links.add("https://bit.example/a", "https://short.example/b")  # a chain of two
        links.add("https://short.example/b", "https://casino.example/join?ref=1")
        links.add("https://bit.example/loop", "https://short.example/loop")
        links.add("https://short.example/loop", "https://bit.example/loop")
        yield server


def session(sb: SandboxServer) -> RewritingSession:
    return RewritingSession(sb.url, 1.0, hosts=("https://api.twitter.com",))


@pytest.mark.parametrize(
    ("url", "final"),
    [
        ("https://bit.example/a", "https://casino.example/join?ref=1"),
        ("https://bit.example/loop", None),  # never settles: given up after MAX_HOPS
        ("https://bit.example/unknown", None),  # the shortener's 404: no destination invented
        ("https://school.example/page", None),  # not a shortener: not asked at all
    ],
    ids=["chain", "loop", "unknown-code", "not-a-shortener"],
)
def test_unshorten(sb: SandboxServer, url: str, final: str | None) -> None:
    assert unshorten(session(sb), url) == final
    asked = sb.requests("/redirect/")
    assert all(r["method"] == "HEAD" for r in asked)  # never a body
    assert len(asked) <= 5
    if "school.example" in url:
        assert asked == []


def test_a_page_walks_at_most_max_links(sb: SandboxServer) -> None:
    urls = [f"https://bit.example/x{i}" for i in range(MAX_LINKS + 10)]
    unshorten_all(session(sb), urls)
    assert len(sb.requests("/redirect/")) == MAX_LINKS


def test_an_unreachable_shortener_leaves_the_link_as_it_was() -> None:
    dead = RewritingSession("http://127.0.0.1:9", 0.2, hosts=("https://api.twitter.com",))
    assert unshorten_all(dead, ["https://bit.example/a"]) == {}
