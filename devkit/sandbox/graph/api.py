"""The Graph API in the sandbox: Facebook Pages and Instagram professional accounts.

Served (any `v<major>.<minor>`): `GET /{v}/{page-id}/posts`, `GET /{v}/{ig-user-id}/media`,
`GET /{v}/{post-id}/comments`, `GET /{v}/{comment-id}/replies`, `GET /{v}/{id}`. Like Graph:
`access_token` in the query; field expansion with `.limit()` / `.filter(stream)` and nested
`{...}`; newest-first pages filtered by `since`/`until` (unix seconds, inclusive) with opaque
`cursors.after` and a `paging.next` link; times as `2026-11-03T15:42:00+0000`; errors as
`{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}` with HTTP 400 (190:
token, 100/33: no such object); `X-App-Usage` and `X-Business-Use-Case-Usage` on every answer.
A nested connection's `paging.next` carries no `access_token`, as Graph's sometimes does — the
link facebook-sdk's `get_all_connections` cannot follow.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from devkit.sandbox.dataset import (
    DatasetError,
    need_list,
    need_object,
    need_str,
    need_timestamp,
    unknown_keys,
)
from devkit.sandbox.graph.errors import GraphErrors
from devkit.sandbox.graph.fields import FieldSpec, parse_fields
from devkit.sandbox.graph.model import (
    ACCOUNT_KEYS,
    COMMENT_KEYS,
    DEFAULT_LIMIT,
    GRAPH,
    MAX_LIMIT,
    POST_KEYS,
    VERSION,
    GraphAccount,
    GraphComment,
    GraphPost,
    _cursor,
    _graph_id,
    _now_iso,
    _uncursor,
)
from devkit.sandbox.graph.rendering import GraphRendering
from devkit.sandbox.routing import Request, Response, Route, json_response


class GraphApi(GraphErrors, GraphRendering):
    """Facebook Pages and Instagram accounts: state, routes, control routes, error shapes."""

    name = "graph"

    def __init__(self, tokens: Iterable[str] = ()) -> None:
        self._lock = threading.RLock()
        self._extra_tokens = frozenset(tokens)
        self._tokens = self._extra_tokens
        self._accounts: dict[str, GraphAccount] = {}
        self._posts: dict[str, GraphPost] = {}
        self._comments: dict[str, GraphComment] = {}
        self._calls: list[float] = []
        self._forced_usage: tuple[int, int] | None = None  # (percent, minutes to regain)
        self._ids = itertools.count(1)

    # -- data -------------------------------------------------------------------------------

    def load(self, section: Mapping[str, Any] | None, source: str) -> None:
        section = need_object(section or {}, "graph", source)
        unknown_keys(
            section, frozenset({"tokens", "accounts", "posts", "comments"}), "graph", source
        )
        tokens = need_list(section.get("tokens", []), "graph.tokens", source)
        accounts: dict[str, GraphAccount] = {}
        for i, raw in enumerate(need_list(section.get("accounts", []), "graph.accounts", source)):
            where = f"graph.accounts[{i}]"
            obj = need_object(raw, where, source)
            unknown_keys(obj, ACCOUNT_KEYS, where, source)
            kind = need_str(obj, "kind", where, source)
            if kind not in ("page", "instagram"):
                raise DatasetError(source, f"{where}.kind: must be 'page' or 'instagram'")
            acc = GraphAccount(
                id=_graph_id(obj, "id", where, source),
                kind=kind,
                name=need_str(obj, "name", where, source),
                username=obj.get("username"),
            )
            accounts[acc.id] = acc
        posts: dict[str, GraphPost] = {}
        for i, raw in enumerate(need_list(section.get("posts", []), "graph.posts", source)):
            post = self._parse_post(raw, f"graph.posts[{i}]", source, accounts)
            if post.id in posts:
                raise DatasetError(source, f"graph.posts[{i}].id: duplicate {post.id}")
            posts[post.id] = post
        comments: dict[str, GraphComment] = {}
        for i, raw in enumerate(need_list(section.get("comments", []), "graph.comments", source)):
            c = self._parse_comment(raw, f"graph.comments[{i}]", source, posts, comments)
            comments[c.id] = c
        with self._lock:
            self._tokens = frozenset(tokens) | self._extra_tokens
            self._accounts, self._posts, self._comments = accounts, posts, comments
            self._calls, self._forced_usage = [], None

    def _parse_post(
        self, raw: Any, where: str, source: str, accounts: Mapping[str, GraphAccount]
    ) -> GraphPost:
        obj = need_object(raw, where, source)
        unknown_keys(obj, POST_KEYS, where, source)
        owner = _graph_id(obj, "owner", where, source)
        if owner not in accounts:
            raise DatasetError(source, f"{where}.owner: no account {owner}")
        post_id = obj.get("id") or f"{owner}_{int(time.time() * 1000)}{next(self._ids)}"
        if accounts[owner].kind == "page" and not str(post_id).startswith(owner + "_"):
            raise DatasetError(source, f"{where}.id: a Page post id is '<page id>_<n>'")
        created = need_timestamp(obj, "created_time", where, source)
        images = tuple(need_object(m, f"{where}.images[]", source) for m in obj.get("images", []))
        return GraphPost(
            id=str(post_id),
            owner=owner,
            text=obj.get("text", ""),
            created=created,
            updated=need_timestamp(obj, "updated_time", where, source)
            if "updated_time" in obj
            else created,
            images=images,
            link=need_object(obj["link"], f"{where}.link", source) if obj.get("link") else None,
            media_type=obj.get("media_type", "IMAGE"),
            note=obj.get("note"),
        )

    def _parse_comment(
        self,
        raw: Any,
        where: str,
        source: str,
        posts: Mapping[str, GraphPost],
        comments: Mapping[str, GraphComment],
    ) -> GraphComment:
        obj = need_object(raw, where, source)
        unknown_keys(obj, COMMENT_KEYS, where, source)
        post_id = need_str(obj, "post_id", where, source)
        if post_id not in posts:
            raise DatasetError(source, f"{where}.post_id: no post {post_id}")
        parent = obj.get("parent_id")
        if parent is not None and (parent not in comments or comments[parent].post_id != post_id):
            raise DatasetError(source, f"{where}.parent_id: no comment {parent} on that post")
        comment_id = obj.get("id") or f"{post_id.split('_')[-1]}_{next(self._ids)}"
        return GraphComment(
            id=str(comment_id),
            post_id=post_id,
            parent_id=parent,
            text=need_str(obj, "text", where, source),
            created=need_timestamp(obj, "created_time", where, source),
            author_id=obj.get("author_id"),
            author_name=obj.get("author_name"),
            note=obj.get("note"),
        )

    # -- control (also used from Python by tests) -------------------------------------------

    def ids_of(self, owner: str) -> list[str]:
        """Every post and comment id under an account: what a complete pull must store."""
        with self._lock:
            if owner not in self._accounts:
                raise KeyError(owner)
            posts = [p.id for p in self._posts.values() if p.owner == owner]
            comments = [c.id for c in self._comments.values() if c.post_id in posts]
        return sorted(posts + comments)

    def add_post(self, record: Mapping[str, Any]) -> dict[str, Any]:
        record = {"created_time": _now_iso(), **record}
        with self._lock:
            post = self._parse_post(record, "post", "add_post", self._accounts)
            if post.id in self._posts:
                raise DatasetError("add_post", f"post {post.id} exists")
            self._posts[post.id] = post
        return {"id": post.id}

    def add_comment(self, record: Mapping[str, Any]) -> dict[str, Any]:
        record = {"created_time": _now_iso(), **record}
        with self._lock:
            c = self._parse_comment(record, "comment", "add_comment", self._posts, self._comments)
            self._comments[c.id] = c
        return {"id": c.id}

    def edit(self, object_id: str, text: str) -> bool:
        with self._lock:
            if object_id in self._posts:
                p = self._posts[object_id]
                self._posts[object_id] = replace(p, text=text, updated=datetime.now(UTC))
                return True
            if object_id in self._comments:
                self._comments[object_id] = replace(self._comments[object_id], text=text)
                return True
        return False

    def delete(self, object_id: str) -> bool:
        with self._lock:
            if self._posts.pop(object_id, None) is not None:
                for cid in [c.id for c in self._comments.values() if c.post_id == object_id]:
                    del self._comments[cid]
                return True
            if self._comments.pop(object_id, None) is not None:
                for cid in [c.id for c in self._comments.values() if c.parent_id == object_id]:
                    del self._comments[cid]
                return True
        return False

    def set_usage(self, percent: int | None, regain_minutes: int = 0) -> None:
        with self._lock:
            self._forced_usage = None if percent is None else (percent, regain_minutes)

    # -- routing ----------------------------------------------------------------------------

    def owns(self, path: str) -> bool:
        return re.match(rf"^/{VERSION}/", path) is not None

    def routes(self) -> Sequence[Route]:
        return [
            Route(
                "GET",
                re.compile(rf"^/(?P<version>{VERSION})/(?P<obj>[0-9_]+)/(?P<edge>[a-z_]+)$"),
                self._edge,
            ),
            Route("GET", re.compile(rf"^/(?P<version>{VERSION})/(?P<obj>[0-9_]+)$"), self._object),
        ]

    def control_routes(self) -> Sequence[Route]:
        return [
            Route.of("GET", "/_sandbox/graph/accounts/{owner}/ids", self._ctl_ids),
            Route.of("POST", "/_sandbox/graph/posts", self._ctl_add(self.add_post)),
            Route.of("POST", "/_sandbox/graph/comments", self._ctl_add(self.add_comment)),
            Route.of("POST", "/_sandbox/graph/objects/{obj}/edit", self._ctl_edit),
            Route.of("DELETE", "/_sandbox/graph/objects/{obj}", self._ctl_delete),
            Route.of("POST", "/_sandbox/graph/usage", self._ctl_usage),
        ]

    def _auth(self, request: Request) -> bool:
        return (request.arg("access_token") or "") in self._tokens

    def _fields(self, request: Request, default: str) -> tuple[FieldSpec, ...]:
        return parse_fields(request.arg("fields") or default)

    def _object(self, request: Request, version: str, obj: str) -> Response:
        if not self._auth(request):
            return self._token_error()
        try:
            fields = self._fields(request, "id")
        except ValueError as exc:
            return self._error(400, f"Syntax error: {exc}", "OAuthException", 2500)
        with self._lock:
            if obj in self._accounts:
                acc = self._accounts[obj]
                body: dict[str, Any] = {"id": acc.id, "name": acc.name}
                if acc.username:
                    body["username"] = acc.username
            elif obj in self._posts:
                body = self._render_post(self._posts[obj], fields, version)
            elif obj in self._comments:
                body = self._render_comment(self._comments[obj], fields, version)
            else:
                return self._missing(obj)
        return json_response(200, body, self._usage_headers())

    def _edge(self, request: Request, version: str, obj: str, edge: str) -> Response:
        if not self._auth(request):
            return self._token_error()
        try:
            fields = self._fields(request, "id")
            limit = int(request.arg("limit") or DEFAULT_LIMIT)
            since = int(s) if (s := request.arg("since")) else None
            until = int(u) if (u := request.arg("until")) else None
        except ValueError as exc:
            return self._error(400, f"(#100) Invalid parameter: {exc}", "OAuthException", 100)
        limit = max(1, min(limit, MAX_LIMIT))
        after = request.arg("after")
        after_key = _uncursor(after) if after else None
        if after and after_key is None:
            return self._error(400, "(#100) The after cursor is invalid", "OAuthException", 100)
        with self._lock:
            account = self._accounts.get(obj)
            if edge in ("posts", "feed", "published_posts", "media"):
                if account is None:
                    return self._missing(obj)
                wanted_kind = "instagram" if edge == "media" else "page"
                if account.kind != wanted_kind:
                    return self._error(
                        400,
                        f"(#100) Tried accessing nonexisting field ({edge})",
                        "OAuthException",
                        100,
                    )
                items = sorted(
                    (
                        p
                        for p in self._posts.values()
                        if p.owner == obj
                        and (since is None or p.key()[0] >= since)
                        and (until is None or p.key()[0] <= until)
                    ),
                    key=GraphPost.key,
                    reverse=True,
                )
                if after_key:
                    items = [p for p in items if p.key() < after_key]
                page, more = items[:limit], len(items) > limit
                data = [self._render_post(p, fields, version) for p in page]
                keys = [p.key() for p in page]
            elif edge in ("comments", "replies"):
                if obj in self._posts and edge == "comments":
                    stream = request.arg("filter") == "stream"
                    items_c = self._thread(obj, None, stream)
                elif obj in self._comments:
                    items_c = self._thread(self._comments[obj].post_id, obj, False)
                else:
                    return self._missing(obj)
                if after_key:
                    items_c = [c for c in items_c if (int(c.created.timestamp()), c.id) > after_key]
                page_c, more = items_c[:limit], len(items_c) > limit
                data = [self._render_comment(c, fields, version) for c in page_c]
                keys = [(int(c.created.timestamp()), c.id) for c in page_c]
            else:
                return self._error(
                    400, f"(#100) Tried accessing nonexisting field ({edge})", "OAuthException", 100
                )
        body: dict[str, Any] = {"data": data}
        time_paged = edge in ("posts", "feed", "published_posts") and (
            account is not None and account.paging == "time"
        )
        if keys and time_paged:
            body["paging"] = _time_paging(request, version, obj, edge, keys)
        elif keys:
            paging: dict[str, Any] = {
                "cursors": {"before": _cursor(keys[0]), "after": _cursor(keys[-1])}
            }
            if more:
                # Comment edges' links carry no access_token, as Graph's nested ones may not.
                drop = (
                    {"after"} if edge not in ("comments", "replies") else {"after", "access_token"}
                )
                query = {k: v[-1] for k, v in request.query.items() if k not in drop}
                query["after"] = _cursor(keys[-1])
                paging["next"] = f"{GRAPH}/{version}/{obj}/{edge}?{urlencode(query)}"
            body["paging"] = paging
        return json_response(200, body, self._usage_headers())

    def _ctl_ids(self, request: Request, owner: str) -> Response:
        try:
            return json_response(200, {"data": self.ids_of(owner)})
        except KeyError:
            return json_response(404, {"error": f"no Graph account {owner}"})

    def _ctl_add(self, add: Any) -> Any:
        def handler(request: Request) -> Response:
            try:
                return json_response(201, {"data": add(request.json())})
            except ValueError as exc:
                return json_response(400, {"error": str(exc)})

        return handler

    def _ctl_edit(self, request: Request, obj: str) -> Response:
        try:
            text = request.json().get("text")
        except (ValueError, AttributeError) as exc:
            return json_response(400, {"error": str(exc)})
        if not isinstance(text, str):
            return json_response(400, {"error": "text must be a string"})
        return json_response(200 if self.edit(obj, text) else 404, {"edited": obj})

    def _ctl_delete(self, request: Request, obj: str) -> Response:
        return json_response(200 if self.delete(obj) else 404, {"deleted": obj})

    def _ctl_usage(self, request: Request) -> Response:
        try:
            body = request.json()
            self.set_usage(body.get("percent"), int(body.get("regain_minutes", 0)))
        except (ValueError, AttributeError, TypeError) as exc:
            return json_response(400, {"error": str(exc)})
        return json_response(200, {"usage": body.get("percent")})


def _time_paging(
    request: Request, version: str, obj: str, edge: str, keys: list[tuple[int, str]]
) -> dict[str, Any]:
    """Graph's time-based paging: `previous`/`next` links with since/until, `__paging_token`
    and `__previous`, no cursors; `next` is given while the page has posts (the page after the
    last is an empty `{"data": []}`), as on a real Page feed."""
    query = {
        k: v[-1]
        for k, v in request.query.items()
        if k not in ("after", "since", "until", "__paging_token", "__previous")
    }
    base = f"{GRAPH}/{version}/{obj}/{edge}?{urlencode(query)}"
    newest, oldest = keys[0], keys[-1]
    return {
        "previous": f"{base}&__previous=1&since={newest[0]}&until"
        f"&__paging_token=enc_{_cursor(newest)}",
        "next": f"{base}&until={oldest[0]}&since&__paging_token=enc_{_cursor(oldest)}&__previous",
    }
