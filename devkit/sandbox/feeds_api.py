"""Blogs in the sandbox: RSS 2.0 and Atom feeds at `/blogs/{slug}/feed.xml`, with validators.

Like a WordPress-style blog: the feed lists the newest `feed_size` items only (older ones drop off,
which is not deletion), sends `ETag` and `Last-Modified`, and answers a matching
`If-None-Match` / `If-Modified-Since` with 304 and no body. A `private` blog wants HTTP Basic auth
whose password is one of the sandbox tokens (401 otherwise).
"""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from xml.sax.saxutils import escape

from devkit.sandbox.dataset import (
    DatasetError,
    need_list,
    need_object,
    need_str,
    need_timestamp,
    unknown_keys,
)
from devkit.sandbox.routing import Request, Response, Route, json_response

FEED_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
}


@dataclass(frozen=True, slots=True)
class Item:
    guid: str
    title: str
    html: str
    published: datetime
    author: str | None = None
    image: str | None = None
    image_alt: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Blog:
    slug: str
    title: str
    link: str
    format: str = "rss"
    private: bool = False
    feed_size: int = 10
    raw: str | None = None  # a feed document served as written (entities, relative links...)


BLOG_KEYS = frozenset({"slug", "title", "link", "format", "private", "feed_size", "items", "raw"})
ITEM_KEYS = frozenset(
    {"guid", "title", "html", "published", "author", "image", "image_alt", "note"}
)


def _item(raw: Any, where: str, source: str) -> Item:
    obj = need_object(raw, where, source)
    unknown_keys(obj, ITEM_KEYS, where, source)
    return Item(
        guid=need_str(obj, "guid", where, source),
        title=need_str(obj, "title", where, source),
        html=obj.get("html", ""),
        published=need_timestamp(obj, "published", where, source),
        author=obj.get("author"),
        image=obj.get("image"),
        image_alt=obj.get("image_alt"),
        note=obj.get("note"),
    )


class FeedsApi:
    """Blogs: state, the feed route, control routes, error shapes."""

    name = "feeds"

    def __init__(self, tokens: Iterable[str] = ()) -> None:
        self._lock = threading.RLock()
        self._extra_tokens = frozenset(tokens)
        self._tokens = self._extra_tokens
        self._blogs: dict[str, Blog] = {}
        self._items: dict[str, dict[str, Item]] = {}

    def load(self, section: Mapping[str, Any] | None, source: str) -> None:
        section = need_object(section or {}, "feeds", source)
        unknown_keys(section, frozenset({"tokens", "blogs"}), "feeds", source)
        blogs: dict[str, Blog] = {}
        items: dict[str, dict[str, Item]] = {}
        for i, raw in enumerate(need_list(section.get("blogs", []), "feeds.blogs", source)):
            where = f"feeds.blogs[{i}]"
            obj = need_object(raw, where, source)
            unknown_keys(obj, BLOG_KEYS, where, source)
            fmt = obj.get("format", "rss")
            if fmt not in FEED_TYPES:
                raise DatasetError(source, f"{where}.format: must be 'rss' or 'atom'")
            blog = Blog(
                slug=need_str(obj, "slug", where, source),
                title=need_str(obj, "title", where, source),
                link=need_str(obj, "link", where, source),
                format=fmt,
                private=bool(obj.get("private", False)),
                feed_size=int(obj.get("feed_size", 10)),
                raw=obj.get("raw") if isinstance(obj.get("raw"), str) else None,
            )
            blogs[blog.slug] = blog
            entries = need_list(obj.get("items", []), f"{where}.items", source)
            items[blog.slug] = {
                it.guid: it
                for it in (_item(r, f"{where}.items[{j}]", source) for j, r in enumerate(entries))
            }
        tokens = need_list(section.get("tokens", []), "feeds.tokens", source)
        with self._lock:
            self._blogs, self._items = blogs, items
            self._tokens = frozenset(tokens) | self._extra_tokens

    # -- control --------------------------------------------------------------------------

    def items_of(self, slug: str) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {"guid": i.guid, "title": i.title, "published": i.published.isoformat()}
                for i in sorted(self._items[slug].values(), key=lambda i: i.published, reverse=True)
            ]

    def add_item(self, slug: str, record: Mapping[str, Any]) -> dict[str, Any]:
        record = {"published": datetime.now(UTC).replace(microsecond=0).isoformat(), **record}
        item = _item(record, "item", f"add item to {slug}")
        with self._lock:
            if slug not in self._blogs:
                raise DatasetError("add_item", f"no blog {slug!r}")
            self._items[slug][item.guid] = item
        return {"guid": item.guid}

    def edit_item(self, slug: str, guid: str, html: str) -> bool:
        with self._lock:
            item = self._items.get(slug, {}).get(guid)
            if item is None:
                return False
            self._items[slug][guid] = replace(item, html=html)
            return True

    # -- routing --------------------------------------------------------------------------

    def owns(self, path: str) -> bool:
        return path.startswith("/blogs/")

    def routes(self) -> Sequence[Route]:
        return [Route.of("GET", "/blogs/{slug}/feed.xml", self._feed)]

    def control_routes(self) -> Sequence[Route]:
        return [
            Route.of("GET", "/_sandbox/feeds/{slug}/items", self._ctl_items),
            Route.of("POST", "/_sandbox/feeds/{slug}/items", self._ctl_add),
        ]

    def not_found(self, request: Request) -> Response:
        return Response(
            404, b"<html><body><h1>Not Found</h1></body></html>", {"Content-Type": "text/html"}
        )

    def fault_response(self, mode: str, *, reset_in: int) -> Response:
        if mode == "429":
            return Response(
                429,
                b"Too Many Requests",
                {"Content-Type": "text/plain", "Retry-After": str(reset_in)},
            )
        if mode in ("500", "503"):
            return Response(
                int(mode), b"<html><body>Server error</body></html>", {"Content-Type": "text/html"}
            )
        return Response(
            401,
            b"Unauthorized",
            {"Content-Type": "text/plain", "WWW-Authenticate": 'Basic realm="blog"'},
        )

    # -- the feed -----------------------------------------------------------------------------

    def _authorised(self, request: Request, blog: Blog) -> bool:
        header = request.header("Authorization")
        if header is None:
            return not blog.private
        scheme, _, value = header.partition(" ")
        try:
            _, _, password = base64.b64decode(value).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return scheme.lower() == "basic" and password in self._tokens

    def _feed(self, request: Request, slug: str) -> Response:
        with self._lock:
            blog = self._blogs.get(slug)
            if blog is None:
                return self.not_found(request)
            items = sorted(self._items[slug].values(), key=lambda i: i.published, reverse=True)
        if not self._authorised(request, blog):
            return self.fault_response("expired", reset_in=0)
        shown = items[: blog.feed_size]
        if blog.raw is not None:
            # As some real blogs publish: `&nbsp;` outside CDATA, relative links, no xml:base.
            body = blog.raw.encode("utf-8")
        else:
            body = (atom if blog.format == "atom" else rss)(blog, shown).encode("utf-8")
        etag = '"' + hashlib.sha1(body, usedforsecurity=False).hexdigest()[:20] + '"'
        newest = shown[0].published if shown else datetime(2026, 1, 1, tzinfo=UTC)
        headers = {
            "Content-Type": FEED_TYPES[blog.format],
            "ETag": etag,
            "Last-Modified": format_datetime(newest, usegmt=True),
        }
        if request.header("If-None-Match") == etag:
            return Response(304, b"", {k: v for k, v in headers.items() if k != "Content-Type"})
        since = request.header("If-Modified-Since")
        if since and request.header("If-None-Match") is None:
            try:
                if newest.replace(microsecond=0) <= parsedate_to_datetime(since):
                    return Response(
                        304, b"", {"ETag": etag, "Last-Modified": headers["Last-Modified"]}
                    )
            except (TypeError, ValueError):
                pass
        return Response(200, body, headers)

    def _ctl_items(self, request: Request, slug: str) -> Response:
        try:
            return json_response(200, {"data": self.items_of(slug)})
        except KeyError:
            return json_response(404, {"error": f"no blog {slug}"})

    def _ctl_add(self, request: Request, slug: str) -> Response:
        try:
            return json_response(201, {"data": self.add_item(slug, request.json())})
        except ValueError as exc:
            return json_response(400, {"error": str(exc)})


def _content(item: Item) -> str:
    html = item.html
    if item.image:
        alt = escape(item.image_alt or "", {'"': "&quot;"})
        html = f'<p><img src="{escape(item.image)}" alt="{alt}" /></p>' + html
    return html


def rss(blog: Blog, items: list[Item]) -> str:
    entries = "".join(
        f"""
    <item>
      <title>{escape(i.title)}</title>
      <link>{escape(blog.link.rstrip("/"))}/{escape(i.guid.rsplit("/", 1)[-1])}</link>
      <guid isPermaLink="false">{escape(i.guid)}</guid>
      <pubDate>{format_datetime(i.published, usegmt=True)}</pubDate>
      {f"<dc:creator>{escape(i.author)}</dc:creator>" if i.author else ""}
      <description>{escape(i.title)}</description>
      <content:encoded><![CDATA[{_content(i)}]]></content:encoded>
    </item>"""
        for i in items
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel>
    <title>{escape(blog.title)}</title>
    <link>{escape(blog.link)}</link>
    <description>{escape(blog.title)}</description>
    <language>en-GB</language>{entries}
  </channel>
</rss>
"""


def atom(blog: Blog, items: list[Item]) -> str:
    updated = (items[0].published if items else datetime(2026, 1, 1, tzinfo=UTC)).isoformat()
    entries = "".join(
        f"""
  <entry>
    <title>{escape(i.title)}</title>
    <id>{escape(i.guid)}</id>
    <link href="{escape(blog.link.rstrip("/"))}/{escape(i.guid.rsplit("/", 1)[-1])}"/>
    <published>{i.published.isoformat()}</published>
    <updated>{i.published.isoformat()}</updated>
    {f"<author><name>{escape(i.author)}</name></author>" if i.author else ""}
    <content type="html">{escape(_content(i))}</content>
  </entry>"""
        for i in items
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>{escape(blog.title)}</title>
  <id>{escape(blog.link)}</id>
  <link href="{escape(blog.link)}"/>
  <updated>{updated}</updated>{entries}
</feed>
"""
