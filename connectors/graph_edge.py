"""The Graph API sweep Facebook Pages and Instagram share: an object's edge, newest first.

Incremental pulls (`GraphCursor`): Graph pages newest-first and filters by `since`, like X, so the
floor moves only when a sweep is complete; a sweep cut short resumes from where it stopped with
the same lower bound. Graph pages in two ways, and both are followed: cursors
(`paging.cursors.after` with a `next` link) and time-based paging (`next` is a link carrying
`until` and `__paging_token`, no cursors). The page token stored in the cursor is then
`t:<until and __paging_token>`. A page ends the sweep only when Graph gives no `next`.

Each sweep reaches `revisit` behind the floor, because Graph has no "changed since": new comments on
recent posts and edited posts are only seen by re-reading them (the upsert stores nothing twice
and re-runs detection only on changed text).

Graph error 1 ("Please reduce the amount of data you're asking for") is answered by asking again
for half as many posts and comments, down to one; the same request is never repeated.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit

from connectors.base import Credentials, Cursor, Lookup, Page, PulledPost
from connectors.errors import ConnectorError, MalformedPayload
from connectors.graph import (
    GRAPH_HOST,
    GraphClient,
    GraphNotFound,
    ReduceData,
    epoch,
    parse_graph_time,
)
from connectors.http import Media, download, media_url
from connectors.links import unshorten_all

TIME_PAGING = "t:"  # a page token that is a time-based `next` link's until/__paging_token
_TIME_KEYS = ("until", "__paging_token")

_GRAPH_ID = re.compile(r"^[0-9]{1,30}(_[0-9]{1,30})?$")


@dataclass(frozen=True, slots=True)
class GraphCursor(Cursor):
    """Where an account's Graph edge stands.

    `since`: unix seconds; every post created before it is stored (None: never pulled).
    `after`/`sweep_since`: a sweep under way, its paging cursor and the lower bound it was asked
    with (a paging cursor means nothing with another bound). `newest`: newest post it stored.
    """

    since: int | None = None
    after: str | None = None
    sweep_since: int | None = None
    newest: int | None = None

    def __post_init__(self) -> None:
        for name in ("since", "sweep_since", "newest"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                raise ValueError(f"GraphCursor.{name} must be unix seconds, got {value!r}")
        if self.after is not None and not (isinstance(self.after, str) and self.after):
            raise ValueError("GraphCursor.after must be a non-empty paging cursor")


def _max(*values: int | None) -> int | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


class GraphEdgeConnector:
    """Shared by Facebook Pages and Instagram: an object's edge of posts, newest first."""

    platform: ClassVar[str] = ""
    cursor_type: ClassVar[type[Cursor]] = GraphCursor
    deletion_window: timedelta | None  # per instance, from `GraphConfig.deletion_window_days`
    edge: ClassVar[str] = ""
    fields: ClassVar[str] = ""

    def __init__(
        self,
        credentials: Credentials,
        *,
        object_id: str,
        version: str,
        base_url: str = GRAPH_HOST,
        limit: int = 25,
        start_time: datetime | None = None,
        revisit: timedelta = timedelta(days=3),
        timeout: float = 10.0,
        media_max_bytes: int = 10 * 1024 * 1024,
        deletion_window: timedelta | None = timedelta(days=2),
        expand_links: bool = True,
    ) -> None:
        if not _GRAPH_ID.match(object_id):
            raise ValueError(f"{self.platform} id must be a numeric Graph id, got {object_id!r}")
        if not 1 <= limit <= 100:
            raise ValueError(f"Graph page size must be 1..100, got {limit}")
        if start_time is not None and start_time.tzinfo is None:
            raise ValueError("start_time must be timezone-aware")
        if revisit < timedelta(0):
            raise ValueError("revisit must not be negative")
        self.object_id = object_id
        self.limit = limit
        self.start_time = start_time
        self.revisit = revisit
        self.media_max_bytes = media_max_bytes
        self.deletion_window = deletion_window
        self.expand_links = expand_links
        self.timeout = timeout
        self.endpoint = f"GET /{version}/{object_id}/{self.edge}"
        self.graph = GraphClient(
            credentials.secret, version=version, base_url=base_url, timeout=timeout
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(object_id={self.object_id!r}, graph={self.graph!r})"

    # -- pure --------------------------------------------------------------------------------

    def _lower(self, cursor: GraphCursor) -> int | None:
        """The `since` a sweep asks with: the sweep's own, or floor minus revisit."""
        if cursor.after is not None:
            return cursor.sweep_since
        if cursor.since is not None:
            return cursor.since - int(self.revisit.total_seconds())
        return epoch(self.start_time) if self.start_time else None

    def request(self, cursor: GraphCursor, page_token: str | None) -> Mapping[str, Any]:
        args: dict[str, Any] = {"fields": self.fields, "limit": self.limit}
        lower = self._lower(cursor)
        if lower is not None:
            args["since"] = lower
        after = page_token or cursor.after
        if after and after.startswith(TIME_PAGING):
            args.update(parse_qsl(after[len(TIME_PAGING) :]))  # until, __paging_token
        elif after:
            args["after"] = after
        return {"path": f"{self.object_id}/{self.edge}", "args": args}

    def advance(self, cursor: GraphCursor, page: Page) -> GraphCursor:
        lower = self._lower(cursor)
        newest = _max(cursor.newest, page.meta.get("newest"))
        if page.next_page:
            return GraphCursor(
                since=cursor.since, after=page.next_page, sweep_since=lower, newest=newest
            )
        return GraphCursor(since=_max(cursor.since, lower, newest))

    def parse_page(self, payload: Any) -> Page:
        """Graph's `{data, paging}` (threads already completed by `fetch`) -> posts."""
        if not isinstance(payload, Mapping):
            raise self._malformed(
                f"payload is {type(payload).__name__}, expected an object", payload
            )
        data = payload.get("data")
        if not isinstance(data, list):
            raise self._malformed("`data` is missing or not a list", payload)
        paging = payload.get("paging", {})
        if not isinstance(paging, Mapping):
            raise self._malformed("`paging` is not an object", payload)
        next_page = _next_page(paging)
        posts: list[PulledPost] = []
        newest: int | None = None
        for i, item in enumerate(data):
            post, thread = self._post(i, item, payload)
            posts.append(post)
            posts.extend(thread)
            newest = _max(newest, epoch(post.created_at))
        return Page(
            posts=tuple(posts),
            next_page=next_page,
            reads=len(posts),
            meta={"newest": newest} if newest is not None else {},
        )

    # -- I/O ---------------------------------------------------------------------------------

    def fetch(self, request: Mapping[str, Any]) -> Any:
        """One page of posts, each thread completed past the inline comment limit.

        Graph error 1 asks for less data: the page is asked again with half the posts and
        comments each time, down to one; if even that is too much the account fails with the
        reason (never the same request again and again)."""
        args = dict(request["args"])
        while True:
            try:
                page = self.graph.get(request["path"], self.endpoint, **args)
                break
            except ReduceData as exc:
                smaller = _halved(args)
                if smaller is None:
                    raise ConnectorError(
                        f"Graph asks for less data even for one post ({exc}); the post's "
                        "comments or attachments may be too large to read",
                        endpoint=self.endpoint,
                    ) from exc
                args = smaller
        data = page.get("data")
        if isinstance(data, list):
            for item in data:
                if isinstance(item, dict):
                    self._complete_threads(item)
            if self.expand_links:
                page["_unwound"] = unshorten_all(
                    self.graph.session, _attachment_links(data), timeout=self.timeout
                )
        return page

    def lookup(self, external_ids: Sequence[str]) -> Lookup:
        """Which posts/comments Graph no longer has: error 100 on `GET /{id}` (one call each)."""
        missing: set[str] = set()
        for external_id in external_ids:
            try:
                self.graph.get(external_id, f"GET /{self.graph.version}/{{id}}", fields="id")
            except GraphNotFound:
                missing.add(external_id)
        return Lookup(
            missing=frozenset(missing), reads=len(external_ids), requests=len(external_ids)
        )

    def fetch_media(self, url: str) -> Media:
        session = self.graph.session
        return download(session, media_url(session, url), max_bytes=self.media_max_bytes)

    def _complete_threads(self, item: dict[str, Any]) -> None:
        """Replace an inline connection's first page with all of it (subclasses say which)."""
        for key in self.thread_keys:
            conn = item.get(key)
            if not isinstance(conn, dict) or not isinstance(conn.get("data"), list):
                continue
            paging = conn.get("paging")
            next_url = paging.get("next") if isinstance(paging, Mapping) else None
            if next_url:
                conn["data"] = [
                    *conn["data"],
                    *self.graph.all_connections(next_url, self.endpoint),
                ]
                conn.pop("paging", None)
            for child in conn["data"]:
                if isinstance(child, dict):
                    self._complete_threads(child)

    thread_keys: ClassVar[tuple[str, ...]] = ("comments",)

    # -- parsing helpers (subclasses) ----------------------------------------------------------

    def _post(
        self, i: int, item: Any, payload: Any
    ) -> tuple[PulledPost, list[PulledPost]]:  # pragma: no cover - overridden
        raise TypeError("GraphEdgeConnector is abstract")

    def _malformed(self, problem: str, payload: Any) -> MalformedPayload:
        return MalformedPayload.from_payload(
            str(self.platform), problem, payload, endpoint=self.endpoint
        )

    def _need(self, obj: Any, key: str, where: str, payload: Any) -> str:
        value = obj.get(key) if isinstance(obj, Mapping) else None
        if not isinstance(value, str) or not value:
            raise self._malformed(f"{where}.{key} is missing or not a string", payload)
        return value

    def _time(self, obj: Mapping[str, Any], key: str, where: str, payload: Any) -> datetime:
        parsed = parse_graph_time(obj.get(key))
        if parsed is None:
            raise self._malformed(f"{where}.{key} {obj.get(key)!r} is not a Graph time", payload)
        return parsed


def _next_page(paging: Mapping[str, Any]) -> str | None:
    """The token of the next page: a cursor, or a time-based link's until/__paging_token."""
    link = paging.get("next")
    if not isinstance(link, str) or not link:
        return None
    cursors = paging.get("cursors")
    after = cursors.get("after") if isinstance(cursors, Mapping) else None
    if isinstance(after, str) and after:
        return after
    query = dict(parse_qsl(urlsplit(link).query, keep_blank_values=True))
    if "after" in query and query["after"]:
        return query["after"]
    kept = {k: query[k] for k in _TIME_KEYS if query.get(k)}
    return TIME_PAGING + urlencode(kept) if kept.get("until") else None


def _halved(args: Mapping[str, Any]) -> dict[str, Any] | None:
    """The same request for half the posts and inline comments; None when already at one."""
    limit = int(args.get("limit") or 25)
    fields = str(args.get("fields") or "")
    inline = [int(n) for n in re.findall(r"\.limit\((\d+)\)", fields)]
    if limit <= 1 and all(n <= 1 for n in inline):
        return None
    smaller = dict(args, limit=max(1, limit // 2))
    smaller["fields"] = re.sub(
        r"\.limit\((\d+)\)", lambda m: f".limit({max(1, int(m.group(1)) // 2)})", fields
    )
    return smaller


def _attachment_links(data: list[Any]) -> list[str]:
    """Links a page's posts share (for the redirect walk of shortened ones)."""
    found = []
    for item in data:
        attachments = item.get("attachments") if isinstance(item, Mapping) else None
        for a in (attachments or {}).get("data") or [] if isinstance(attachments, Mapping) else []:
            if isinstance(a, Mapping):
                for key in ("unshimmed_url", "url"):
                    if isinstance(a.get(key), str):
                        found.append(unwrap(a[key]))
    return found


def unwrap(url: str) -> str:
    """Facebook's outbound wrapper `l.facebook.com/l.php?u=<url>` -> `<url>`."""
    parts = urlsplit(url)
    if parts.hostname in ("l.facebook.com", "lm.facebook.com") and parts.path == "/l.php":
        target = dict(parse_qsl(parts.query)).get("u")
        if target:
            return target
    return url
