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

import base64
import itertools
import json
import math
import re
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
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
from devkit.sandbox.routing import Request, Response, Route, json_response

DEMO_GRAPH_TOKEN = "demo-sandbox-token"  # noqa: S105 (nobody's secret)
GRAPH = "https://graph.facebook.com"
VERSION = r"v\d{1,2}\.\d{1,2}"
DEFAULT_LIMIT, MAX_LIMIT = 25, 100
APP_CALL_BUDGET = 2000  # calls per hour before X-App-Usage reads 100


def graph_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _cursor(key: tuple[int, str]) -> str:
    return base64.urlsafe_b64encode(f"{key[0]}:{key[1]}".encode()).decode().rstrip("=")


def _uncursor(value: str) -> tuple[int, str] | None:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        stamp, _, ident = raw.partition(":")
        return int(stamp), ident
    except (ValueError, UnicodeDecodeError):
        return None


# --- field expansion ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    modifiers: Mapping[str, str] = field(default_factory=dict)
    children: tuple[FieldSpec, ...] | None = None

    def child(self, name: str) -> FieldSpec | None:
        return next((c for c in self.children or () if c.name == name), None)


def parse_fields(text: str) -> tuple[FieldSpec, ...]:
    """`a,b{c,d},comments.limit(5).filter(stream){id}` -> specs; ValueError on bad syntax."""
    specs, rest = _parse_list(text, 0)
    if rest != len(text):
        raise ValueError(f"unexpected {text[rest]!r} at {rest} in fields")
    return tuple(specs)


def _parse_list(text: str, i: int) -> tuple[list[FieldSpec], int]:
    specs = []
    while i < len(text):
        m = re.compile(r"[A-Za-z_][A-Za-z0-9_]*").match(text, i)
        if m is None:
            raise ValueError(f"expected a field name at {i} in fields")
        name, i = m.group(0), m.end()
        modifiers: dict[str, str] = {}
        while text.startswith(".", i):
            mm = re.compile(r"\.([a-z_]+)\(([^()]*)\)").match(text, i)
            if mm is None:
                raise ValueError(f"bad modifier at {i} in fields")
            modifiers[mm.group(1)], i = mm.group(2), mm.end()
        children = None
        if text.startswith("{", i):
            inner, i = _parse_list(text, i + 1)
            if not text.startswith("}", i):
                raise ValueError("unclosed '{' in fields")
            children, i = tuple(inner), i + 1
        specs.append(FieldSpec(name, modifiers, children))
        if text.startswith(",", i):
            i += 1
            continue
        break
    return specs, i


# --- the model -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GraphAccount:
    id: str
    kind: str  # "page" | "instagram"
    name: str
    username: str | None = None


@dataclass(frozen=True, slots=True)
class GraphPost:
    id: str
    owner: str
    text: str
    created: datetime
    updated: datetime
    images: tuple[Mapping[str, Any], ...] = ()
    media_type: str = "IMAGE"
    note: str | None = None

    def key(self) -> tuple[int, str]:
        return int(self.created.timestamp()), self.id


@dataclass(frozen=True, slots=True)
class GraphComment:
    id: str
    post_id: str
    parent_id: str | None
    text: str
    created: datetime
    author_id: str | None = None
    author_name: str | None = None
    note: str | None = None


ACCOUNT_KEYS = frozenset({"id", "kind", "name", "username"})
POST_KEYS = frozenset(
    {"id", "owner", "text", "created_time", "updated_time", "images", "media_type", "note"}
)
COMMENT_KEYS = frozenset(
    {"id", "post_id", "parent_id", "text", "created_time", "author_id", "author_name", "note"}
)


def _graph_id(obj: Mapping[str, Any], key: str, where: str, source: str) -> str:
    value = need_str(obj, key, where, source)
    if not re.fullmatch(r"[0-9]{1,30}(_[0-9]{1,30})?", value):
        raise DatasetError(source, f"{where}.{key}: {value!r} is not a Graph id")
    return value


class GraphApi:
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

    def not_found(self, request: Request) -> Response:
        return self._error(400, "Unknown path components: " + request.path, "OAuthException", 2500)

    def fault_response(self, mode: str, *, reset_in: int) -> Response:
        if mode == "429":
            minutes = max(1, math.ceil(reset_in / 60))
            return self._error(
                400,
                "(#80001) There have been too many calls to this Page account. "
                "Wait a bit and try again.",
                "OAuthException",
                80001,
                headers=self._usage_headers(usage=(100, minutes)),
            )
        if mode == "500":
            return self._error(
                500, "An unknown error has occurred.", "OAuthException", 1, transient=True
            )
        if mode == "503":
            return Response(
                503, b"<html><body>Service Unavailable</body></html>", {"Content-Type": "text/html"}
            )
        return self._token_error()

    # -- errors and headers ---------------------------------------------------------------------

    def _error(
        self,
        status: int,
        message: str,
        kind: str,
        code: int,
        subcode: int | None = None,
        *,
        transient: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        error: dict[str, Any] = {"message": message, "type": kind, "code": code}
        if subcode is not None:
            error["error_subcode"] = subcode
        if transient:
            error["is_transient"] = True
        error["fbtrace_id"] = "AsandboxTrace0001"
        return json_response(status, {"error": error}, headers)

    def _token_error(self) -> Response:
        return self._error(
            400,
            "Error validating access token: Session has expired on Tuesday, 24-Nov-26 "
            "09:00:00 PST. The current time is Wednesday, 25-Nov-26 01:00:00 PST.",
            "OAuthException",
            190,
            463,
        )

    def _missing(self, obj: str) -> Response:
        return self._error(
            400,
            f"Unsupported get request. Object with ID '{obj}' does not exist, cannot be loaded due "
            "to missing permissions, or does not support this operation. Please read the Graph "
            "API documentation at https://developers.facebook.com/docs/graph-api",
            "GraphMethodException",
            100,
            33,
        )

    def _usage_headers(self, usage: tuple[int, int] | None = None) -> dict[str, str]:
        now = time.time()
        with self._lock:
            self._calls = [t for t in self._calls if now - t < 3600] + [now]
            calls = len(self._calls)
            forced = usage or self._forced_usage
        percent, regain = forced if forced else (min(100, calls * 100 // APP_CALL_BUDGET), 0)
        app = {
            "call_count": percent,
            "total_cputime": max(1, percent // 2),
            "total_time": max(1, percent // 2),
        }
        buc = {
            "sandbox": [
                {
                    "type": "pages",
                    "call_count": percent,
                    "total_cputime": 1,
                    "total_time": 1,
                    "estimated_time_to_regain_access": regain,
                }
            ]
        }
        return {"X-App-Usage": json.dumps(app), "X-Business-Use-Case-Usage": json.dumps(buc)}

    # -- public endpoints -------------------------------------------------------------------

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
        if keys:
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

    def _thread(self, post_id: str, parent: str | None, stream: bool) -> list[GraphComment]:
        """A post's comments oldest first: top level (or one comment's replies), or all."""
        return sorted(
            (
                c
                for c in self._comments.values()
                if c.post_id == post_id and (stream or c.parent_id == parent)
            ),
            key=lambda c: (c.created, c.id),
        )

    # -- rendering ----------------------------------------------------------------------------

    def _connection(
        self, items: list[GraphComment], spec: FieldSpec, version: str, owner: str, edge: str
    ) -> dict[str, Any]:
        limit = int(spec.modifiers.get("limit") or DEFAULT_LIMIT)
        sub = spec.children or (FieldSpec("id"),)
        page = items[:limit]
        out: dict[str, Any] = {"data": [self._render_comment(c, sub, version) for c in page]}
        if page:
            last = (int(page[-1].created.timestamp()), page[-1].id)
            out["paging"] = {
                "cursors": {
                    "before": _cursor((int(page[0].created.timestamp()), page[0].id)),
                    "after": _cursor(last),
                }
            }
            if len(items) > limit:
                query = {"limit": str(limit), "after": _cursor(last), "fields": _unparse(sub)}
                if spec.modifiers.get("filter"):
                    query["filter"] = spec.modifiers["filter"]
                # No access_token in this link: facebook-sdk's get_all_connections trips on it.
                out["paging"]["next"] = f"{GRAPH}/{version}/{owner}/{edge}?{urlencode(query)}"
        return out

    def _render_post(
        self, p: GraphPost, fields: Sequence[FieldSpec], version: str
    ) -> dict[str, Any]:
        account = self._accounts[p.owner]
        instagram = account.kind == "instagram"
        out: dict[str, Any] = {}
        for spec in fields:
            n = spec.name
            if n == "id":
                out["id"] = p.id
            elif n == "message" and not instagram and p.text:
                out["message"] = p.text
            elif n == "caption" and instagram and p.text:
                out["caption"] = p.text
            elif n in ("created_time", "timestamp"):
                out[n] = graph_time(p.created)
            elif n == "updated_time":
                out[n] = graph_time(p.updated)
            elif n in ("permalink_url", "permalink"):
                out[n] = (
                    f"https://www.instagram.com/p/{p.id[-11:]}/"
                    if instagram
                    else f"https://www.facebook.com/{p.owner}/posts/{p.id.split('_')[-1]}"
                )
            elif n == "from" and not instagram:
                out["from"] = {"id": account.id, "name": account.name}
            elif n == "username" and instagram:
                out["username"] = account.username or account.name
            elif n == "media_type" and instagram:
                out["media_type"] = p.media_type
            elif n == "media_url" and instagram and p.images and p.media_type != "CAROUSEL_ALBUM":
                out["media_url"] = p.images[0]["url"]
            elif n == "children" and instagram and p.media_type == "CAROUSEL_ALBUM":
                out["children"] = {
                    "data": [
                        {"id": f"{p.id}{i}", "media_type": "IMAGE", "media_url": m["url"]}
                        for i, m in enumerate(p.images)
                    ]
                }
            elif n == "attachments" and not instagram and p.images:
                out["attachments"] = {
                    "data": [
                        {
                            "media_type": "photo",
                            "description": m.get("alt"),
                            "media": {"image": {"src": m["url"], "width": 720, "height": 540}},
                            "url": f"https://www.facebook.com/photo/?fbid={p.id.split('_')[-1]}",
                        }
                        for m in p.images
                    ]
                }
            elif n == "comments":
                stream = spec.modifiers.get("filter") == "stream" and not instagram
                items = self._thread(p.id, None, stream)
                out["comments"] = self._connection(items, spec, version, p.id, "comments")
        return out

    def _render_comment(
        self, c: GraphComment, fields: Sequence[FieldSpec], version: str
    ) -> dict[str, Any]:
        instagram = self._accounts[self._posts[c.post_id].owner].kind == "instagram"
        out: dict[str, Any] = {}
        for spec in fields:
            n = spec.name
            if n == "id":
                out["id"] = c.id
            elif n in ("message", "text"):
                out[n] = c.text
            elif n in ("created_time", "timestamp"):
                out[n] = graph_time(c.created)
            elif n == "from" and c.author_id:
                out["from"] = (
                    {"id": c.author_id, "username": c.author_name}
                    if instagram
                    else {"id": c.author_id, "name": c.author_name}
                )
            elif n == "username" and instagram and c.author_name:
                out["username"] = c.author_name
            elif n == "parent" and c.parent_id:
                out["parent"] = {"id": c.parent_id}
            elif n == "replies" and instagram:
                out["replies"] = self._connection(
                    self._thread(c.post_id, c.id, False), spec, version, c.id, "replies"
                )
        return out

    # -- control endpoints ------------------------------------------------------------------

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


def _unparse(specs: Sequence[FieldSpec]) -> str:
    parts = []
    for s in specs:
        text = s.name + "".join(f".{k}({v})" for k, v in s.modifiers.items())
        if s.children:
            text += "{" + _unparse(s.children) + "}"
        parts.append(text)
    return ",".join(parts)


def _now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()
