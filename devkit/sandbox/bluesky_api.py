"""Bluesky in the sandbox: the XRPC endpoints the connector uses, shaped like the AppView's.

Served: `GET /xrpc/app.bsky.feed.getAuthorFeed` (actor, limit, cursor, filter), `GET
/xrpc/app.bsky.feed.getPosts` (uris, repeated), `POST /xrpc/com.atproto.server.createSession`.
The feed is newest-first by `indexedAt` with an opaque `cursor`; reposts carry a
`reason: app.bsky.feed.defs#reasonRepost`; images come as `app.bsky.embed.images#view` with
`cdn.bsky.app` URLs. Errors are XRPC's `{"error", "message"}`: 400 `InvalidRequest` for an
unknown actor, 401 `AuthenticationRequired` for a bad app password, 400 `ExpiredToken` for a
session the sandbox no longer knows. No Authorization header is the public AppView: allowed.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from devkit.sandbox.bluesky_views import (
    POST_NSID,
    BskyAccount,
    BskyPost,
    PostViews,
    _cid,
    _repost_uri,
    iso,
)
from devkit.sandbox.dataset import (
    DatasetError,
    need_list,
    need_object,
    need_str,
    need_timestamp,
    unknown_keys,
)
from devkit.sandbox.routing import Request, Response, Route, json_response


def _tid(at: datetime, n: int) -> str:
    """A record key in the TID style (base32-sortable time), unique with `n`."""
    alphabet = "234567abcdefghijklmnopqrstuvwxyz"
    value = (int(at.timestamp() * 1_000_000) << 10) | (n & 0x3FF)
    out = ""
    for _ in range(13):
        value, r = divmod(value, 32)
        out = alphabet[r] + out
    return out


def _jwt(did: str, lifetime: int) -> str:
    def b64(obj: Mapping[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    now = int(time.time())
    header = {"typ": "at+jwt", "alg": "ES256K"}
    body = {
        "scope": "com.atproto.appPass",
        "sub": did,
        "iat": now,
        "exp": now + lifetime,
        "aud": "did:web:sandbox.invalid",
        "jti": secrets.token_hex(8),
    }
    return f"{b64(header)}.{b64(body)}.c2FuZGJveA"


ACCOUNT_KEYS = frozenset({"did", "handle", "display_name", "app_password"})
POST_KEYS = frozenset(
    {
        "rkey",
        "author",
        "text",
        "created_at",
        "reply_to",
        "repost_of",
        "images",
        "link",
        "quote",
        "note",
    }
)


class BlueskyApi(PostViews):
    name = "bluesky"

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._accounts: dict[str, BskyAccount] = {}
        self._posts: dict[str, BskyPost] = {}
        self._sessions: set[str] = set()
        self._n = 0

    def load(self, section: Mapping[str, Any] | None, source: str) -> None:
        section = need_object(section or {}, "bluesky", source)
        unknown_keys(section, frozenset({"accounts", "posts"}), "bluesky", source)
        accounts: dict[str, BskyAccount] = {}
        for i, raw in enumerate(need_list(section.get("accounts", []), "bluesky.accounts", source)):
            where = f"bluesky.accounts[{i}]"
            obj = need_object(raw, where, source)
            unknown_keys(obj, ACCOUNT_KEYS, where, source)
            did = need_str(obj, "did", where, source)
            if not did.startswith("did:"):
                raise DatasetError(source, f"{where}.did: {did!r} is not a DID")
            accounts[did] = BskyAccount(
                did=did,
                handle=need_str(obj, "handle", where, source),
                display_name=obj.get("display_name", ""),
                app_password=obj.get("app_password"),
            )
        posts: dict[str, BskyPost] = {}
        for i, raw in enumerate(need_list(section.get("posts", []), "bluesky.posts", source)):
            post = self._parse_post(raw, f"bluesky.posts[{i}]", source, accounts)
            posts[post.uri] = post
        with self._lock:
            self._accounts, self._posts, self._sessions = accounts, posts, set()

    def _parse_post(
        self, raw: Any, where: str, source: str, accounts: Mapping[str, BskyAccount]
    ) -> BskyPost:
        obj = need_object(raw, where, source)
        unknown_keys(obj, POST_KEYS, where, source)
        author = need_str(obj, "author", where, source)
        if author not in accounts:
            raise DatasetError(source, f"{where}.author: no account {author}")
        created = need_timestamp(obj, "created_at", where, source)
        self._n += 1
        rkey = obj.get("rkey") or _tid(created, self._n)
        return BskyPost(
            uri=f"at://{author}/{POST_NSID}/{rkey}",
            author=author,
            text=obj.get("text", ""),
            created=created,
            indexed=created,
            reply_to=obj.get("reply_to"),
            repost_of=obj.get("repost_of"),
            images=tuple(obj.get("images", [])),
            link=obj.get("link"),
            quote=obj.get("quote"),
            note=obj.get("note"),
        )

    # -- control ------------------------------------------------------------------------------

    def uris_of(self, did: str) -> list[str]:
        """The author's posts and reposts (a repost under its repost record's uri): what a
        complete pull stores."""
        with self._lock:
            return sorted(
                _repost_uri(p) if p.repost_of else p.uri
                for p in self._posts.values()
                if p.author == did and (not p.repost_of or p.repost_of in self._posts)
            )

    def add_post(self, record: Mapping[str, Any]) -> dict[str, Any]:
        record = {"created_at": datetime.now(UTC).isoformat(timespec="milliseconds"), **record}
        with self._lock:
            post = self._parse_post(record, "post", "add_post", self._accounts)
            self._posts[post.uri] = post
        return {"uri": post.uri}

    def delete_post(self, uri: str) -> bool:
        with self._lock:
            return self._posts.pop(uri, None) is not None

    # -- routing ------------------------------------------------------------------------------

    def owns(self, path: str) -> bool:
        return path.startswith("/xrpc/")

    def routes(self) -> Sequence[Route]:
        return [
            Route.of("GET", "/xrpc/app.bsky.feed.getAuthorFeed", self._author_feed),
            Route.of("GET", "/xrpc/app.bsky.feed.getPosts", self._get_posts),
            Route.of("POST", "/xrpc/com.atproto.server.createSession", self._create_session),
        ]

    def control_routes(self) -> Sequence[Route]:
        return [
            Route.of("GET", "/_sandbox/bluesky/accounts/{did}/posts", self._ctl_uris),
            Route.of("POST", "/_sandbox/bluesky/posts", self._ctl_add),
        ]

    def not_found(self, request: Request) -> Response:
        return json_response(
            501, {"error": "MethodNotImplemented", "message": "Method Not Implemented"}
        )

    def fault_response(self, mode: str, *, reset_in: int) -> Response:
        if mode == "429":
            return json_response(
                429,
                {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
                {
                    "ratelimit-limit": "3000",
                    "ratelimit-remaining": "0",
                    "ratelimit-reset": str(int(time.time()) + reset_in),
                    "ratelimit-policy": "3000;w=300",
                },
            )
        if mode in ("500", "503"):
            return json_response(
                int(mode), {"error": "InternalServerError", "message": "Internal Server Error"}
            )
        return json_response(400, {"error": "ExpiredToken", "message": "Token has expired"})

    # -- endpoints ------------------------------------------------------------------------------

    def _session_ok(self, request: Request) -> Response | None:
        header = request.header("Authorization")
        if header is None:
            return None  # the public AppView
        token = header.removeprefix("Bearer ").strip()
        with self._lock:
            known = token in self._sessions
        if not known:
            return json_response(400, {"error": "ExpiredToken", "message": "Token has expired"})
        return None

    def _create_session(self, request: Request) -> Response:
        try:
            body = request.json()
            identifier, password = body["identifier"], body["password"]
        except (ValueError, KeyError, TypeError):
            return json_response(
                400,
                {"error": "InvalidRequest", "message": 'Input must have the property "identifier"'},
            )
        with self._lock:
            account = next(
                (a for a in self._accounts.values() if identifier in (a.did, a.handle)), None
            )
            if account is None or not account.app_password or password != account.app_password:
                return json_response(
                    401,
                    {
                        "error": "AuthenticationRequired",
                        "message": "Invalid identifier or password",
                    },
                )
            access, refresh = _jwt(account.did, 7200), _jwt(account.did, 86400 * 60)
            self._sessions |= {access, refresh}
        return json_response(
            200,
            {
                "accessJwt": access,
                "refreshJwt": refresh,
                "handle": account.handle,
                "did": account.did,
                "active": True,
                "email": f"{account.handle}@example.org",
                "emailConfirmed": True,
            },
        )

    def _author_feed(self, request: Request) -> Response:
        refused = self._session_ok(request)
        if refused:
            return refused
        actor = request.arg("actor") or ""
        try:
            limit = int(request.arg("limit") or 50)
        except ValueError:
            limit = -1
        if not 1 <= limit <= 100:
            return json_response(
                400, {"error": "InvalidRequest", "message": "limit must be 1..100"}
            )
        with self._lock:
            account = next((a for a in self._accounts.values() if actor in (a.did, a.handle)), None)
            if account is None:
                return json_response(
                    400, {"error": "InvalidRequest", "message": "Profile not found"}
                )
            items = sorted(
                (p for p in self._posts.values() if p.author == account.did),
                key=BskyPost.key,
                reverse=True,
            )
            if request.arg("filter") == "posts_no_replies":
                items = [p for p in items if not p.reply_to]
            cursor = request.arg("cursor")
            if cursor:
                stamp, _, uri = cursor.partition("::")
                try:
                    bound = (datetime.fromisoformat(stamp.replace("Z", "+00:00")), uri)
                except ValueError:
                    return json_response(
                        400, {"error": "InvalidRequest", "message": "Malformed cursor"}
                    )
                items = [p for p in items if p.key() < bound]
            page, more = items[:limit], len(items) > limit
            feed = []
            for p in page:
                if p.repost_of and p.repost_of in self._posts:
                    feed.append(
                        {
                            "post": self._view(self._posts[p.repost_of]),
                            "reason": {
                                "$type": "app.bsky.feed.defs#reasonRepost",
                                "by": {"did": account.did, "handle": account.handle},
                                "uri": _repost_uri(p),
                                "cid": _cid(_repost_uri(p)),
                                "indexedAt": iso(p.indexed),
                            },
                        }
                    )
                elif not p.repost_of:
                    feed.append({"post": self._view(p)})
        body: dict[str, Any] = {"feed": feed}
        if more and page:
            body["cursor"] = f"{iso(page[-1].indexed)}::{page[-1].uri}"
        return json_response(200, body)

    def _get_posts(self, request: Request) -> Response:
        refused = self._session_ok(request)
        if refused:
            return refused
        uris = list(request.query.get("uris", []))
        if len(uris) > 25:
            return json_response(
                400,
                {"error": "InvalidRequest", "message": "uris must not have more than 25 elements"},
            )
        with self._lock:
            found = [self._view(self._posts[u]) for u in uris if u in self._posts]
        return json_response(200, {"posts": found})

    def _ctl_uris(self, request: Request, did: str) -> Response:
        return json_response(200, {"data": self.uris_of(did)})

    def _ctl_add(self, request: Request) -> Response:
        try:
            return json_response(201, {"data": self.add_post(request.json())})
        except ValueError as exc:
            return json_response(400, {"error": str(exc)})
