"""School blogs (policy section 6): an RSS or Atom feed through feedparser, with conditional GET.

The account's `external_id` is the feed URL. A Connection is optional: its host, when set,
replaces the feed's (a mirror, the sandbox), and login + password give HTTP Basic auth for a
private feed. `requests` does the HTTP (timeout, size cap, ETag / Last-Modified) and feedparser
parses the bytes, so a feed that has not changed costs one 304 and nothing else.

A feed is one page: it lists the newest N items, so an item that drops off it was pushed out, not
deleted. Blogs therefore have no deletion check. Items are keyed by guid (or link), and an item
whose text changed is updated and scanned again.

Real feeds are not always well-formed: an HTML `&nbsp;` or a bare `&` outside CDATA breaks XML.
Such a feed is repaired the way a reader would read it (HTML entities as characters, a bare `&`
as itself; CDATA untouched) and parsed again; only if the repaired feed is well-formed are its
items stored, all of them. Anything else stays a `MalformedPayload`, so a half-parsed feed never
half-stores. Relative links (no `xml:base`, as some blogs publish) are resolved against the
feed's URL, in links, guids and post HTML alike. An image's alt text and each link's address are
scanned with the post as labelled parts (`connectors.parts`).
"""

from __future__ import annotations

import calendar
import hashlib
import html
import html.entities
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

import feedparser
import requests
from pydantic import Field

from connectors.base import (
    Access,
    AccountRef,
    ConnectorConfig,
    ConnectorPlugin,
    Credentials,
    Cursor,
    Page,
    PulledPost,
)
from connectors.errors import (
    AuthExpired,
    ConnectorError,
    MalformedPayload,
    RateLimited,
    TransientError,
)
from connectors.http import Media, RewritingSession, download, media_url, retry_after
from connectors.links import unshorten_all
from connectors.parts import TextBuilder
from core.platforms import Platform

# Not errors in the feed, only in how it declared itself: the entries are sound.
HARMLESS_BOZO = (
    feedparser.CharacterEncodingOverride,
    feedparser.NonXMLContentType,
)


@dataclass(frozen=True, slots=True)
class BlogCursor(Cursor):
    """The validators of the last feed stored; sent back so an unchanged feed is a 304."""

    etag: str | None = None
    modified: str | None = None


class _TextAndImages(HTMLParser):
    """Post HTML to plain text, keeping each image's URL and alt text."""

    BLOCKS = frozenset({"p", "br", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr"})

    def __init__(self, base: str = "") -> None:
        super().__init__(convert_charrefs=True)
        self.base = base
        self.parts: list[str] = []
        self.images: list[dict[str, Any]] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCKS:
            self.parts.append("\n")
        a = dict(attrs)
        if tag == "img" and a.get("src"):
            src = urljoin(self.base, str(a["src"]))
            self.images.append({"type": "photo", "url": src, "alt_text": a.get("alt")})
        if tag == "a" and a.get("href") and not str(a["href"]).startswith(("#", "mailto:")):
            self.links.append(urljoin(self.base, str(a["href"])))

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def text(self) -> str:
        joined = html.unescape("".join(self.parts))
        lines = [re.sub(r"[ \t\r\f\v\xa0]+", " ", line).strip() for line in joined.split("\n")]
        return "\n".join(line for line in lines if line)


def html_to_text(markup: str, base: str = "") -> tuple[str, list[dict[str, Any]]]:
    text, images, _ = read_html(markup, base)
    return text, images


def read_html(markup: str, base: str = "") -> tuple[str, list[dict[str, Any]], list[str]]:
    """Post HTML -> (plain text, images with alt text, link addresses), resolved on `base`."""
    parser = _TextAndImages(base)
    parser.feed(markup)
    parser.close()
    return parser.text(), parser.images, list(dict.fromkeys(parser.links))


_XML_ENTITIES = frozenset({"amp", "lt", "gt", "quot", "apos"})
_CDATA = re.compile(rb"(<!\[CDATA\[.*?\]\]>)", re.DOTALL)
_AMP = re.compile(rb"&(?!#[0-9]+;|#x[0-9a-fA-F]+;)([A-Za-z][A-Za-z0-9]*;)?")


def repair_xml(body: bytes) -> bytes:
    """What a forgiving reader makes of a feed with HTML entities or bare `&` (outside CDATA):
    `&nbsp;` as its character, `&` as itself; CDATA sections are left as they are."""

    def entity(match: re.Match[bytes]) -> bytes:
        name = match.group(1)
        if name is None:
            return b"&amp;"
        word = name[:-1].decode("ascii")
        if word in _XML_ENTITIES:
            return match.group(0)
        char = html.entities.html5.get(word + ";")
        return f"&#{ord(char[0])};".encode() if char and len(char) == 1 else b"&amp;" + name

    pieces = _CDATA.split(body)
    return b"".join(p if p.startswith(b"<![CDATA[") else _AMP.sub(entity, p) for p in pieces)


class BlogConnector:
    """One feed URL; every fetch is a conditional GET."""

    platform: ClassVar[str] = "blog"
    cursor_type: ClassVar[type[Cursor]] = BlogCursor

    def __init__(
        self,
        credentials: Credentials | None,
        *,
        feed_url: str,
        timeout: float = 10.0,
        max_bytes: int = 5 * 1024 * 1024,
        media_max_bytes: int = 10 * 1024 * 1024,
        expand_links: bool = True,
    ) -> None:
        parts = urlsplit(feed_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"a blog's external id must be its feed URL, got {feed_url!r}")
        origin = f"{parts.scheme}://{parts.netloc}"
        base = credentials.host if credentials and credentials.host else origin
        self.feed_url = feed_url
        self.max_bytes = max_bytes
        self.media_max_bytes = media_max_bytes
        self.expand_links = expand_links
        self.timeout = timeout
        self.endpoint = f"GET {parts.path or '/'}"
        self.session = RewritingSession(base, timeout, hosts=(origin,))
        self.session.headers["User-Agent"] = "postwarden (school social media monitor)"
        self.session.headers["Accept"] = (
            "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.1"
        )
        if credentials and credentials.login and credentials.secret:
            self.session.auth = (credentials.login, credentials.secret)

    def __repr__(self) -> str:
        return f"BlogConnector(feed_url={self.feed_url!r})"

    # -- pure --------------------------------------------------------------------------------

    def request(self, cursor: BlogCursor, page_token: str | None) -> Mapping[str, Any]:
        headers = {}
        if cursor.etag:
            headers["If-None-Match"] = cursor.etag
        if cursor.modified:
            headers["If-Modified-Since"] = cursor.modified
        return {"url": self.feed_url, "headers": headers}

    def parse_page(self, payload: Any) -> Page:
        """A fetched feed -> posts; a 304 is an empty page that keeps the validators."""
        if not isinstance(payload, Mapping) or "status" not in payload:
            raise MalformedPayload("blog fetch result is not a response", endpoint=self.endpoint)
        if payload["status"] == 304:
            return Page(posts=(), meta={"not_modified": True})
        body: bytes = payload["body"]
        headers = dict(payload.get("headers") or {})
        parsed = self._parse(body, headers)
        problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
        repaired = False
        if problem is not None and not isinstance(problem, HARMLESS_BOZO):
            parsed = self._parse(repair_xml(body), headers)
            again = parsed.get("bozo_exception") if parsed.get("bozo") else None
            if again is not None and not isinstance(again, HARMLESS_BOZO):
                raise MalformedPayload(
                    f"feed is not well-formed: {problem}", raw=body, endpoint=self.endpoint
                )
            repaired = True
        if not parsed.get("version") and not parsed.entries:
            raise MalformedPayload(
                "answer is not an RSS or Atom feed", raw=body, endpoint=self.endpoint
            )
        unwound = payload.get("unwound") or {}
        posts = tuple(self._post(e, unwound) for e in parsed.entries)
        meta = {
            "etag": headers.get("etag") or headers.get("ETag"),
            "modified": headers.get("last-modified") or headers.get("Last-Modified"),
            "feed_version": parsed.get("version"),
        }
        if repaired:
            meta["repaired"] = f"read leniently: {problem}"
        return Page(posts=posts, reads=len(posts), meta=meta)

    def _parse(self, body: bytes, headers: Mapping[str, Any]) -> Any:
        """feedparser with the feed's own URL as the base of relative links (not the host a
        Connection may redirect us to)."""
        return feedparser.parse(
            body, response_headers={**headers, "content-location": self.feed_url}
        )

    def advance(self, cursor: BlogCursor, page: Page) -> BlogCursor:
        if page.meta.get("not_modified"):
            return cursor
        return BlogCursor(etag=page.meta.get("etag"), modified=page.meta.get("modified"))

    # -- I/O ---------------------------------------------------------------------------------

    def fetch(self, request: Mapping[str, Any]) -> Any:
        endpoint = self.endpoint
        try:
            with self.session.get(request["url"], headers=request["headers"], stream=True) as r:
                if r.status_code == 304:
                    return {"status": 304}
                if r.status_code in (401, 403):
                    raise AuthExpired(
                        f"the feed refused our credentials (HTTP {r.status_code})",
                        endpoint=endpoint,
                    )
                if r.status_code == 429:
                    raise RateLimited(
                        "blog rate limit: it asked us to slow down (HTTP 429)",
                        reset_at=retry_after(r.headers, 3600),
                        endpoint=endpoint,
                    )
                if r.status_code >= 500:
                    raise TransientError(
                        f"blog server error HTTP {r.status_code}", endpoint=endpoint
                    )
                if r.status_code != 200:
                    raise ConnectorError(f"feed answered HTTP {r.status_code}", endpoint=endpoint)
                body = b""
                for chunk in r.iter_content(64 * 1024):
                    body += chunk
                    if len(body) > self.max_bytes:
                        raise ConnectorError(
                            f"feed exceeds the {self.max_bytes} byte cap", endpoint=endpoint
                        )
                response = {"status": 200, "body": body, "headers": dict(r.headers)}
        except requests.Timeout as exc:
            raise TransientError("the blog did not answer in time", endpoint=endpoint) from exc
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            raise TransientError(
                f"cannot reach the blog: {type(exc).__name__}", endpoint=endpoint
            ) from exc
        except requests.RequestException as exc:
            raise ConnectorError(f"request for the feed failed: {exc}", endpoint=endpoint) from exc
        if self.expand_links:
            links = re.findall(rb"""href=(?:"|'|&quot;)(https?://[^"'&<>\s]+)""", body)
            response["unwound"] = unshorten_all(
                self.session, [u.decode("utf-8", "replace") for u in links], timeout=self.timeout
            )
        return response

    def fetch_media(self, url: str) -> Media:
        """An image in a post, through the same session (and host override)."""
        return download(self.session, media_url(self.session, url), max_bytes=self.media_max_bytes)

    # -- helpers -------------------------------------------------------------------------------

    def _external_id(self, entry: Mapping[str, Any]) -> str:
        key = (
            entry.get("id") or entry.get("link") or f"{entry.get('title')}|{entry.get('published')}"
        )
        key = str(key)
        if entry.get("id") and entry.get("guidislink") and not urlsplit(key).scheme:
            key = urljoin(self.feed_url, key)  # a relative permalink guid is a relative URL
        if ":" in key and len(key) <= 200:
            return key  # a URL or URN is already global
        digest = hashlib.sha256(f"{self.feed_url}\n{key}".encode()).hexdigest()
        return f"sha256:{digest}"

    def _post(self, entry: Any, unwound: Mapping[str, str]) -> PulledPost:
        contents = entry.get("content") or []
        markup = contents[0].get("value", "") if contents else entry.get("summary", "")
        link = entry.get("link")
        link = urljoin(self.feed_url, link) if isinstance(link, str) else None
        body, images, links = read_html(str(markup or ""), link or self.feed_url)
        title = html.unescape(str(entry.get("title") or "")).strip()
        text = f"{title}\n\n{body}".strip() if body else title
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        extra: dict[str, Any] = {"media": images}
        if stamp:
            created = datetime.fromtimestamp(calendar.timegm(stamp), UTC)
        else:
            created = datetime.now(UTC).replace(microsecond=0)
            extra["created_at_source"] = "pulled"  # the feed gave no date
        for enclosure in entry.get("enclosures") or []:
            if str(enclosure.get("type", "")).startswith("image/") and enclosure.get("href"):
                href = urljoin(self.feed_url, enclosure["href"])
                images.append({"type": "photo", "url": href, "alt_text": None})
        builder = TextBuilder(text)
        for n, image in enumerate(images, start=1):
            builder.add("alt_text", f"Image {n} description", image.get("alt_text"))
        found = []
        for n, target in enumerate(links[:20], start=1):
            found.append(target)
            builder.add_url("link_url", f"Link {n}", target)
            final = unwound.get(target)
            if final:
                found.append(final)
                builder.add_url("link_url", f"Link {n} destination", final)
        extra["links"] = found
        full, extra["parts"] = builder.build()
        return PulledPost(
            external_id=self._external_id(entry),
            text=full,
            created_at=created,
            author_handle=str(entry["author"]) if entry.get("author") else None,
            url=link,
            extra=extra,
        )


# --- plug-in ------------------------------------------------------------------------------------


class BlogConfig(ConnectorConfig):
    max_bytes: int = Field(default=5 * 1024 * 1024, ge=1024, description="Cap on one feed.")


def build(
    account: AccountRef, credentials: Credentials | None, config: BlogConfig
) -> BlogConnector:
    return BlogConnector(
        credentials if credentials is not None and credentials.conn_id else None,
        feed_url=account.external_id,
        timeout=config.timeout_seconds,
        max_bytes=config.max_bytes,
        media_max_bytes=config.media_max_bytes,
        expand_links=config.expand_links,
    )


PLUGIN = ConnectorPlugin(
    platform=Platform.BLOG, config_type=BlogConfig, access=Access.OPTIONAL, build=build
)
