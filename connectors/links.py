"""Where shortened links lead: a bounded redirect walk, never downloading a body.

A post can hide any destination behind `bit.ly/…`; the section 8.14 check needs the destination.
`unshorten` asks each known shortener host with `HEAD` (no redirects followed by `requests`),
reads `Location`, and stops at the first URL whose host is not a shortener, after `max_hops`, or
on any error (the link then stays as it was: a destination is never invented). Only shortener
hosts are contacted, with the connector's own session (timeout, host override), so a walk
cannot be turned into a download of the destination or a request to an arbitrary site.

Through an overridden API host (the sandbox), a shortener URL is asked as
`{base}/redirect/{host}{path}` — where the sandbox plays the shorteners.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from urllib.parse import urljoin, urlsplit

import requests

from connectors.http import RewritingSession

log = logging.getLogger(__name__)

# Public link shorteners whose redirect is worth one HEAD each (`*.example` are the fixtures').
SHORTENER_HOSTS = frozenset(
    {
        "bit.ly",
        "bitly.com",
        "buff.ly",
        "cutt.ly",
        "goo.gl",
        "is.gd",
        "lnkd.in",
        "ow.ly",
        "rb.gy",
        "rebrand.ly",
        "s.id",
        "shorturl.at",
        "t.co",
        "t.ly",
        "tiny.cc",
        "tinyurl.com",
        "trib.al",
        "v.gd",
        "bit.example",
        "short.example",
    }
)
REDIRECT_PREFIX = "/redirect/"
MAX_HOPS = 5
MAX_LINKS = 20  # per page: a post stuffed with short links costs at most this many walks


def is_shortened(url: str, hosts: Iterable[str] = SHORTENER_HOSTS) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host in set(hosts)


def _ask_url(session: RewritingSession | None, url: str) -> str:
    if session is None or not session.overridden:
        return url
    parts = urlsplit(url)
    rest = parts.path + (f"?{parts.query}" if parts.query else "")
    return f"{session.base_url}{REDIRECT_PREFIX}{parts.netloc}{rest}"


def unshorten(
    session: requests.Session,
    url: str,
    *,
    hosts: Iterable[str] = SHORTENER_HOSTS,
    max_hops: int = MAX_HOPS,
    timeout: float = 5.0,
) -> str | None:
    """The first non-shortener URL `url` redirects to, or None if it cannot be told."""
    hosts = frozenset(h.lower() for h in hosts)
    current = url
    rewriting = session if isinstance(session, RewritingSession) else None
    for _ in range(max_hops):
        if not is_shortened(current, hosts):
            return current if current != url else None
        try:
            response = session.head(
                _ask_url(rewriting, current), allow_redirects=False, timeout=timeout
            )
            response.close()
        except requests.RequestException as exc:
            log.info("link %s not expanded: %s", url, type(exc).__name__)
            return None
        location = response.headers.get("Location")
        if response.status_code not in (301, 302, 303, 307, 308) or not location:
            return None
        current = urljoin(current, location)
    return current if not is_shortened(current, hosts) else None


def unshorten_all(
    session: requests.Session,
    urls: Iterable[str],
    *,
    hosts: Iterable[str] = SHORTENER_HOSTS,
    max_hops: int = MAX_HOPS,
    timeout: float = 5.0,
) -> dict[str, str]:
    """{short url: destination} for the shortened ones among `urls` (at most `MAX_LINKS`)."""
    hosts = frozenset(hosts)
    found: dict[str, str] = {}
    wanted = [u for u in dict.fromkeys(urls) if is_shortened(u, hosts)][:MAX_LINKS]
    for url in wanted:
        final = unshorten(session, url, hosts=hosts, max_hops=max_hops, timeout=timeout)
        if final:
            found[url] = final
    return found
