"""Facebook Pages via the Graph API (facebook-sdk, `connectors.graph`): posts, comments, replies.

One request per page of posts asks, by field expansion, for its comments and their replies
(`comments.filter(stream)`: every comment of the thread, each with its `parent`), so a page of 25
posts costs one call, not 26. A post whose thread is longer than the inline limit has the rest
walked through `paging.next` within the same `fetch`, so a page is stored whole or not at all.

Comments matter as much as posts: a parent or pupil can name a child under the school's photo.
They are stored as posts of kind `comment`/`reply` with `parent_id` and `root_id` in `extra`.

Incremental pulls (`GraphCursor`): Graph pages newest-first and filters by `since`, like X, so the
floor moves only when a sweep is complete; a sweep cut short resumes from its `after` paging cursor
with the same lower bound. Each sweep reaches `revisit` behind the floor, because Graph has no
"changed since": new comments on recent posts and edited posts are only seen by re-reading them
(the upsert stores nothing twice and re-runs detection only on changed text). Comments on posts
older than that window are not seen; `revisit` is `graph_revisit_days` in the settings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from connectors.base import (
    Access,
    AccountRef,
    ConnectorPlugin,
    Credentials,
    Cursor,
    Lookup,
    Page,
    PulledPost,
)
from connectors.errors import MalformedPayload
from connectors.graph import (
    GRAPH_HOST,
    GraphClient,
    GraphConfig,
    GraphNotFound,
    epoch,
    parse_graph_time,
)
from connectors.http import Media, as_mapping, download, media_url
from core.platforms import Platform

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
        if after:
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
        cursors = paging.get("cursors", {})
        after = cursors.get("after") if isinstance(cursors, Mapping) else None
        next_page = after if paging.get("next") and isinstance(after, str) and after else None
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
        """One page of posts, each thread completed past the inline comment limit."""
        page = self.graph.get(request["path"], self.endpoint, **request["args"])
        data = page.get("data")
        if isinstance(data, list):
            for item in data:
                if isinstance(item, dict):
                    self._complete_threads(item)
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


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _image(media: Any) -> dict[str, Any] | None:
    image = media.get("image") if isinstance(media, Mapping) else None
    if isinstance(image, Mapping) and isinstance(image.get("src"), str):
        return {"url": image["src"], "width": image.get("width"), "height": image.get("height")}
    return None


class FacebookPageConnector(GraphEdgeConnector):
    """A Facebook Page's own posts (`/{page-id}/posts`), their comments and replies."""

    platform: ClassVar[str] = "facebook"
    edge: ClassVar[str] = "posts"
    fields: ClassVar[str] = (
        "id,message,created_time,updated_time,permalink_url,from{id,name},"
        "attachments{media_type,url,description,media,subattachments{media_type,description,media}},"
        "comments.filter(stream).limit(100){id,message,created_time,from{id,name},parent{id},"
        "attachment{media_type,description,media}}"
    )

    def _post(self, i: int, item: Any, payload: Any) -> tuple[PulledPost, list[PulledPost]]:
        where = f"data[{i}]"
        if not isinstance(item, Mapping):
            raise self._malformed(f"{where} is not an object", payload)
        post_id = self._need(item, "id", where, payload)
        where = f"data[{i}] (id {post_id})"
        created = self._time(item, "created_time", where, payload)
        author = as_mapping(item.get("from"))
        media = self._attachments(item.get("attachments"), where, payload)
        extra: dict[str, Any] = {"media": media}
        if parse_graph_time(item.get("updated_time")):
            extra["updated_time"] = item["updated_time"]
        post = PulledPost(
            external_id=post_id,
            text=_text(item.get("message")),
            created_at=created,
            author_id=author.get("id"),
            author_handle=author.get("name"),
            url=item.get("permalink_url") if isinstance(item.get("permalink_url"), str) else None,
            extra=extra,
        )
        comments = item.get("comments", {"data": []})
        if not isinstance(comments, Mapping) or not isinstance(comments.get("data"), list):
            raise self._malformed(f"{where}.comments is not a connection", payload)
        thread = [
            self._comment(post_id, j, c, f"{where}.comments.data[{j}]", payload)
            for j, c in enumerate(comments["data"])
        ]
        return post, thread

    def _comment(self, post_id: str, j: int, c: Any, where: str, payload: Any) -> PulledPost:
        if not isinstance(c, Mapping):
            raise self._malformed(f"{where} is not an object", payload)
        comment_id = self._need(c, "id", where, payload)
        parent = c.get("parent") if isinstance(c.get("parent"), Mapping) else None
        parent_id = parent.get("id") if parent and isinstance(parent.get("id"), str) else None
        author = as_mapping(c.get("from"))
        attachment = c.get("attachment")
        media = self._attachments({"data": [attachment]} if attachment else None, where, payload)
        return PulledPost(
            external_id=comment_id,
            text=_text(c.get("message")),
            created_at=self._time(c, "created_time", where, payload),
            # A member of the public: who they are is Graph's to say, and often it says nothing.
            author_id=author.get("id"),
            author_handle=author.get("name"),
            url=None,
            extra={
                "kind": "reply" if parent_id else "comment",
                "parent_id": parent_id or post_id,
                "root_id": post_id,
                "media": media,
            },
        )

    def _attachments(self, value: Any, where: str, payload: Any) -> list[dict[str, Any]]:
        if value is None:
            return []
        if not isinstance(value, Mapping) or not isinstance(value.get("data"), list):
            raise self._malformed(f"{where}.attachments is not a connection", payload)
        out: list[dict[str, Any]] = []
        for a in value["data"]:
            if not isinstance(a, Mapping):
                continue
            for each in [a, *((a.get("subattachments") or {}).get("data") or [])]:
                image = _image(each.get("media")) if isinstance(each, Mapping) else None
                if image:
                    out.append(
                        {
                            "type": str(each.get("media_type") or "photo"),
                            "alt_text": each.get("description"),
                            **image,
                        }
                    )
        return out


__all__ = ["FacebookPageConnector", "GraphCursor", "GraphEdgeConnector"]


# --- plug-in ------------------------------------------------------------------------------------


def graph_builder(cls: type[GraphEdgeConnector]) -> Any:
    """The `build` of a Graph platform (Facebook Pages, Instagram): same settings, same shape."""

    def build(
        account: AccountRef, credentials: Credentials | None, config: GraphConfig
    ) -> GraphEdgeConnector:
        if credentials is None:
            raise ValueError(f"a {cls.platform} account needs a Connection holding its token")
        return cls(
            credentials,
            object_id=account.external_id,
            version=config.version,
            base_url=credentials.host or config.base_url,
            limit=config.page_size,
            start_time=account.start_time,
            revisit=timedelta(days=config.revisit_days),
            timeout=config.timeout_seconds,
            media_max_bytes=config.media_max_bytes,
            deletion_window=timedelta(days=config.deletion_window_days),
        )

    return build


PLUGIN = ConnectorPlugin(
    platform=Platform.FACEBOOK,
    config_type=GraphConfig,
    access=Access.TOKEN,
    build=graph_builder(FacebookPageConnector),
    config_key="graph",
)
