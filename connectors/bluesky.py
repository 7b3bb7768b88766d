"""Bluesky through the atproto SDK: an account's public author feed, newest first, with its cursor.

`app.bsky.feed.getAuthorFeed` needs no authentication on the public AppView
(`https://public.api.bsky.app`), so a Connection is optional. With one (login = handle, password
= an app password, host = the PDS) the client logs in first, which also sees posts an author hid
from logged-out readers; a refused app password is `AuthExpired`.

The feed has no "since": `BskyCursor.since` is the newest `indexedAt` of the last complete
sweep, and a sweep stops at the first post at or before it (its posts are stored). A sweep cut
short keeps the feed's own `cursor` so the next cycle resumes below what it stored, and the floor
moves only when it is complete. Each feed item is placed by its own sort time: a repost's is
`reason.indexedAt` (when it was reposted), not the original's `indexedAt` — a repost of an old
post at the top of the feed must not drag the floor down, nor push it past newer own posts.

A repost is stored as the account's post (it re-published the words; its id is the repost
record's `reason.uri`), with the original's text as a `reposted_post` part. Replies are kept with
their thread place. Everything a post shows beside its text is scanned as labelled parts
(`connectors.parts`): image alt text, link cards (`embed.external`), quoted posts
(`embed.record`), and link URLs held only in facets (the text shows them shortened).
Bluesky posts cannot be edited; a deleted one is missing from `app.bsky.feed.getPosts`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx
from atproto import Client
from atproto_client import exceptions as atx
from atproto_client.models import AppBskyFeedGetAuthorFeed, AppBskyFeedGetPosts
from atproto_client.request import Request
from pydantic import Field

from connectors.base import (
    Access,
    AccountRef,
    ConnectorConfig,
    ConnectorPlugin,
    Credentials,
    Cursor,
    Lookup,
    Page,
    PulledPost,
)
from connectors.bluesky_payload import FeedItems, parse_time
from connectors.bluesky_payload import feed_links as _feed_links
from connectors.errors import (
    AuthExpired,
    ConnectorError,
    MalformedPayload,
    RateLimited,
    TransientError,
)
from connectors.http import Media, RewritingSession, download, media_url, retry_after
from connectors.links import unshorten_all
from core.platforms import Platform

PUBLIC_APPVIEW = "https://public.api.bsky.app"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CDN_HOST = "https://cdn.bsky.app"
BLUESKY_HOSTS = (PUBLIC_APPVIEW, "https://api.bsky.app", "https://bsky.social")
FEED_FILTER = "posts_with_replies"
LOOKUP_BATCH = 25  # getPosts takes at most 25 uris
PROBE_LIMIT = 5  # first page of an incremental sweep
_ACTOR = re.compile(r"^(did:[a-z]+:[A-Za-z0-9._:%-]+|[A-Za-z0-9][A-Za-z0-9.-]*\.[A-Za-z]{2,})$")
_POST_URI = re.compile(r"^at://([^/]+)/app\.bsky\.feed\.post/([A-Za-z0-9._~:-]+)$")


def iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class BskyCursor(Cursor):
    """`since`: newest indexedAt stored by a complete sweep (ISO); `cursor`/`newest`: a sweep
    under way, the feed cursor to continue from and the newest indexedAt it stored."""

    since: str | None = None
    cursor: str | None = None
    newest: str | None = None

    def __post_init__(self) -> None:
        for name in ("since", "newest"):
            value = getattr(self, name)
            if value is not None and parse_time(value) is None:
                raise ValueError(f"BskyCursor.{name} must be an ISO timestamp, got {value!r}")


def _later(*values: str | None) -> str | None:
    present = [(parse_time(v), v) for v in values if v is not None]
    return max(present, key=lambda p: (p[0] is not None, p[0] or _EPOCH))[1] if present else None


class BlueskyConnector:
    """One actor's own posts and replies."""

    platform: ClassVar[str] = "bluesky"
    cursor_type: ClassVar[type[Cursor]] = BskyCursor
    deletion_window: timedelta | None  # per instance, from `BlueskyConfig.deletion_window_days`

    def __init__(
        self,
        credentials: Credentials | None,
        *,
        actor: str,
        base_url: str = PUBLIC_APPVIEW,
        limit: int = 50,
        start_time: datetime | None = None,
        timeout: float = 10.0,
        media_max_bytes: int = 10 * 1024 * 1024,
        deletion_window: timedelta | None = None,
        expand_links: bool = True,
    ) -> None:
        if not _ACTOR.match(actor):
            raise ValueError(f"a Bluesky account's id must be a DID or handle, got {actor!r}")
        if not 1 <= limit <= 100:
            raise ValueError(f"Bluesky page size must be 1..100, got {limit}")
        if start_time is not None and start_time.tzinfo is None:
            raise ValueError("start_time must be timezone-aware")
        self.actor = actor
        self.limit = limit
        self.start_time = start_time
        self.deletion_window = deletion_window
        self.media_max_bytes = media_max_bytes
        self.expand_links = expand_links
        self.timeout = timeout
        self.endpoint = f"GET /xrpc/app.bsky.feed.getAuthorFeed?actor={actor}"
        host = (credentials.host if credentials and credentials.host else None) or base_url
        self.base_url = host.rstrip("/")
        self._login = (
            (credentials.login, credentials.secret)
            if credentials and credentials.login and credentials.secret
            else None
        )
        self._logged_in = False
        self._last_body = b""
        self._client = Client(
            base_url=self.base_url,
            request=Request(timeout=timeout, event_hooks={"response": [self._keep_body]}),
        )
        # Bluesky's own hosts: with one of them as base_url media and links go to their real
        # hosts; with another (the sandbox) they go through it (`connectors.http.media_url`).
        self.media_session = RewritingSession(self.base_url, timeout, hosts=BLUESKY_HOSTS)

    def __repr__(self) -> str:
        return f"BlueskyConnector(actor={self.actor!r}, base_url={self.base_url!r})"

    def _keep_body(self, response: httpx.Response) -> None:
        """httpx hook: keep the raw body so a malformed answer can be recorded as it came."""
        response.read()
        self._last_body = response.content

    # -- pure --------------------------------------------------------------------------------

    def _floor(self, cursor: BskyCursor) -> str | None:
        if cursor.since is not None:
            return cursor.since
        return iso(self.start_time) if self.start_time else None

    def request(self, cursor: BskyCursor, page_token: str | None) -> Mapping[str, Any]:
        """The next feed page; a new sweep of a known feed first asks for a few posts only,
        since most cycles find nothing new and the feed cannot be asked for "since"."""
        resuming = page_token or cursor.cursor
        limit = self.limit if resuming or cursor.since is None else min(self.limit, PROBE_LIMIT)
        params: dict[str, Any] = {"actor": self.actor, "limit": limit, "filter": FEED_FILTER}
        if resuming:
            params["cursor"] = resuming
        return {"params": params, "floor": self._floor(cursor)}

    def parse_page(self, payload: Any) -> Page:
        """The feed page -> posts newer than the floor; reaching the floor ends the sweep."""
        if not isinstance(payload, Mapping) or not isinstance(payload.get("body"), Mapping):
            raise self._malformed("answer is not a JSON object", payload)
        body = payload["body"]
        floor = parse_time(payload.get("floor"))
        feed = body.get("feed")
        if not isinstance(feed, list):
            raise self._malformed("`feed` is missing or not a list", body)
        next_cursor = body.get("cursor")
        if next_cursor is not None and not (isinstance(next_cursor, str) and next_cursor):
            raise self._malformed("`cursor` is not a non-empty string", body)
        posts: list[PulledPost] = []
        newest: str | None = None
        reached_floor = False
        for i, item in enumerate(feed):
            post, indexed = self._post(i, item, body, payload.get("unwound") or {})
            if floor is not None and parse_time(indexed) <= floor:  # type: ignore[operator]
                reached_floor = True
                break
            newest = _later(newest, indexed)
            if post is not None:
                posts.append(post)
        return Page(
            posts=tuple(posts),
            next_page=None if reached_floor or not feed else next_cursor,
            reads=len(feed),
            meta={"newest": newest} if newest else {},
        )

    def advance(self, cursor: BskyCursor, page: Page) -> BskyCursor:
        newest = _later(cursor.newest, page.meta.get("newest"))
        floor = self._floor(cursor)
        if page.next_page:
            return BskyCursor(since=floor, cursor=page.next_page, newest=newest)
        return BskyCursor(since=_later(floor, newest))

    # -- I/O ---------------------------------------------------------------------------------

    def fetch(self, request: Mapping[str, Any]) -> Any:
        params = AppBskyFeedGetAuthorFeed.Params(**request["params"])
        response = self._call(
            lambda: self._client.invoke_query("app.bsky.feed.getAuthorFeed", params=params),
            self.endpoint,
        )
        body = response.content
        unwound = {}
        if self.expand_links and isinstance(body, Mapping):
            unwound = unshorten_all(self.media_session, _feed_links(body), timeout=self.timeout)
        return {"body": body, "floor": request.get("floor"), "unwound": unwound}

    def lookup(self, external_ids: Sequence[str]) -> Lookup:
        """Posts `app.bsky.feed.getPosts` no longer returns are deleted (25 uris a call)."""
        missing: set[str] = set()
        calls = 0
        # A repost is stored under its repost record: getPosts knows posts only, so it is not asked.
        posts = [i for i in external_ids if _POST_URI.match(i)]
        for start in range(0, len(posts), LOOKUP_BATCH):
            batch = posts[start : start + LOOKUP_BATCH]
            params = AppBskyFeedGetPosts.Params(uris=batch)
            response = self._call(
                lambda p=params: self._client.invoke_query("app.bsky.feed.getPosts", params=p),
                "GET /xrpc/app.bsky.feed.getPosts",
            )
            calls += 1
            found = response.content.get("posts") if isinstance(response.content, Mapping) else None
            if not isinstance(found, list):
                raise self._malformed("getPosts answered without `posts`", response.content)
            present = {p.get("uri") for p in found if isinstance(p, Mapping)}
            missing |= {uri for uri in batch if uri not in present}
        return Lookup(missing=frozenset(missing), reads=len(external_ids), requests=calls)

    def fetch_media(self, url: str) -> Media:
        return download(
            self.media_session, media_url(self.media_session, url), max_bytes=self.media_max_bytes
        )

    def _call(self, send: Any, endpoint: str) -> Any:
        try:
            if self._login and not self._logged_in:
                self._client.login(*self._login, fetch_bsky_profile=False)
                self._logged_in = True
            return send()
        except atx.UnauthorizedError as exc:
            raise AuthExpired(
                f"Bluesky refused the session ({_detail(exc)})", endpoint=endpoint
            ) from exc
        except atx.BadRequestError as exc:
            if _error_name(exc) in ("ExpiredToken", "InvalidToken", "AuthenticationRequired"):
                raise AuthExpired(
                    f"Bluesky session expired ({_detail(exc)})", endpoint=endpoint
                ) from exc
            raise ConnectorError(
                f"Bluesky rejected the request ({_detail(exc)})", endpoint=endpoint
            ) from exc
        except atx.RateLimitExceededError as exc:
            reset = retry_after(exc.response.headers if exc.response else {})
            raise RateLimited(
                f"Bluesky rate limit; resets at {reset.isoformat()}",
                reset_at=reset,
                endpoint=endpoint,
            ) from exc
        except (atx.InvokeTimeoutError, atx.NetworkError) as exc:
            raise TransientError(
                f"Bluesky unreachable or slow ({type(exc).__name__})", endpoint=endpoint
            ) from exc
        except atx.RequestException as exc:
            status = exc.response.status_code if exc.response else 0
            if status >= 500:
                raise TransientError(
                    f"Bluesky server error HTTP {status}", endpoint=endpoint
                ) from exc
            raise ConnectorError(
                f"Bluesky answered HTTP {status} ({_detail(exc)})", endpoint=endpoint
            ) from exc
        except ValueError as exc:  # pydantic_core.from_json on a truncated body
            raise MalformedPayload(
                f"Bluesky answered invalid JSON: {exc}", raw=self._last_body, endpoint=endpoint
            ) from exc
        except httpx.HTTPError as exc:
            raise TransientError(
                f"Bluesky request failed: {type(exc).__name__}", endpoint=endpoint
            ) from exc

    # -- helpers -------------------------------------------------------------------------------

    def _malformed(self, problem: str, payload: Any) -> MalformedPayload:
        return MalformedPayload.from_payload("Bluesky", problem, payload, endpoint=self.endpoint)

    def _post(
        self, i: int, item: Any, body: Any, unwound: Mapping[str, str]
    ) -> tuple[PulledPost | None, str]:
        return FeedItems(self.actor, self._malformed).read(i, item, body, unwound)


def _error_name(exc: atx.RequestErrorBase) -> str:
    content = exc.response.content if exc.response else None
    return str(getattr(content, "error", "") or "")


def _detail(exc: atx.RequestErrorBase) -> str:
    content = exc.response.content if exc.response else None
    error = getattr(content, "error", None)
    message = getattr(content, "message", None)
    status = exc.response.status_code if exc.response else "?"
    return f"HTTP {status}" + (f" {error}" if error else "") + (f": {message}" if message else "")


# --- plug-in ------------------------------------------------------------------------------------


class BlueskyConfig(ConnectorConfig):
    api_base_url: str = Field(
        default=PUBLIC_APPVIEW, description="Public AppView, read without logging in."
    )
    pds_url: str = Field(
        default="https://bsky.social", description="PDS for accounts whose Connection has a login."
    )
    page_size: int = Field(default=50, ge=1, le=100, description="Feed items per page.")
    deletion_window_days: int = Field(
        default=2, ge=0, description="Recent posts re-checked for deletion."
    )


def build(
    account: AccountRef, credentials: Credentials | None, config: BlueskyConfig
) -> BlueskyConnector:
    named = credentials if credentials is not None and credentials.conn_id else None
    logged_in = bool(named and named.login)
    return BlueskyConnector(
        named,
        actor=account.external_id,
        base_url=config.pds_url if logged_in else config.api_base_url,
        limit=config.page_size,
        start_time=account.start_time,
        timeout=config.timeout_seconds,
        media_max_bytes=config.media_max_bytes,
        deletion_window=timedelta(days=config.deletion_window_days),
        expand_links=config.expand_links,
    )


PLUGIN = ConnectorPlugin(
    platform=Platform.BLUESKY, config_type=BlueskyConfig, access=Access.OPTIONAL, build=build
)
