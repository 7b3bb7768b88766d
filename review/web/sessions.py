"""Server-side sessions: the cookie holds a random id, the database holds what it means.

A signed cookie that carries the session itself can be read by whoever holds it (user id, log-in
time, the CSRF token) and cannot be recalled. Here the cookie is `<32 random chars><22-char MAC>`:
the MAC (under the review secret) lets the server recognise ids it issued without storing
anonymous visitors, and the `web_session` row, keyed by the id's SHA-256 (so a copy of the database
holds no usable id), holds the data. Rows exist only for sessions that carry something (a log-in,
a sign-in in progress, a message to show); they expire with the log-in, or after an hour.

`request.session` behaves as with Starlette's middleware (authlib uses it too); `rotate(request)`
gives the browser a new id at log-in, so an id planted before it is worth nothing after.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from typing import Any

import anyio.to_thread
from sqlmodel import Session
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from storage.db import get_engine
from storage.review_crud import delete_web_session, save_web_session, web_session
from storage.types import utcnow

COOKIE = "postwarden_session"
STATE = "postwarden.session"
_RANDOM, _MAC = 32, 22
ANONYMOUS_TTL = timedelta(hours=1)


@dataclass
class _State:
    token: str
    stored: str | None  # the row's JSON as loaded, None when there is no row
    rotate: bool = False


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ServerSessions:
    """Pure ASGI middleware putting `scope["session"]` (a dict) in front of the app."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        secret: str,
        database_url: str,
        max_age: int,
        https_only: bool,
    ) -> None:
        self.app = app
        self.key = hashlib.sha256(b"postwarden-session-id\0" + secret.encode()).digest()
        self.url = database_url
        self.max_age = max_age
        self.https_only = https_only

    # --- ids ---------------------------------------------------------------------------------

    def _mac(self, random_part: str) -> str:
        digest = hmac.new(self.key, random_part.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode()[:_MAC]

    def new_token(self) -> str:
        random_part = secrets.token_urlsafe(24)[:_RANDOM]
        return random_part + self._mac(random_part)

    def valid(self, token: str | None) -> bool:
        if not token or len(token) != _RANDOM + _MAC:
            return False
        return hmac.compare_digest(self._mac(token[:_RANDOM]), token[_RANDOM:])

    # --- storage (blocking: run in a worker thread) -----------------------------------------

    def _load(self, token: str) -> str | None:
        with Session(get_engine(self.url)) as db:
            row = web_session(db, sid_hash=_hash(token))
            return row.data if row is not None else None

    def _save(self, state: _State, data: dict[str, Any]) -> str:
        """Write what changed; returns the token the browser must hold from now on."""
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
        token = state.token
        unchanged = (not data and state.stored is None) or text == state.stored
        if unchanged and not state.rotate:
            return token
        with Session(get_engine(self.url)) as db:
            if state.rotate:
                if state.stored is not None:
                    delete_web_session(db, sid_hash=_hash(token))
                token, state.stored = self.new_token(), None
            if data and text != state.stored:
                save_web_session(
                    db,
                    sid_hash=_hash(token),
                    data=text,
                    user_id=data.get("uid") if isinstance(data.get("uid"), int) else None,
                    expires_at=self._expiry(data),
                )
            elif not data and state.stored is not None:
                delete_web_session(db, sid_hash=_hash(token))
            db.commit()
        return token

    def _expiry(self, data: dict[str, Any]) -> datetime:
        login_at = data.get("login_at")
        if isinstance(login_at, int | float):
            return datetime.fromtimestamp(login_at, UTC) + timedelta(seconds=self.max_age)
        return utcnow() + ANONYMOUS_TTL

    # --- ASGI --------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        sent = HTTPConnection(scope).cookies.get(COOKIE)
        known = sent if sent is not None and self.valid(sent) else None
        stored = await anyio.to_thread.run_sync(self._load, known) if known else None
        state = _State(token=known or self.new_token(), stored=stored)
        scope[STATE] = state
        scope["session"] = json.loads(stored) if stored else {}

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                token = await anyio.to_thread.run_sync(self._save, state, scope["session"])
                if token != sent:
                    MutableHeaders(scope=message).append("set-cookie", self._cookie(token))
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def _cookie(self, token: str) -> str:
        cookie: SimpleCookie = SimpleCookie()
        cookie[COOKIE] = token
        morsel = cookie[COOKIE]
        morsel["path"] = "/"
        morsel["max-age"] = str(self.max_age)
        morsel["httponly"] = True
        morsel["samesite"] = "lax"
        if self.https_only:
            morsel["secure"] = True
        return morsel.OutputString()


def token_of(conn: HTTPConnection) -> str:
    """The session id this request is answered under (before any rotation)."""
    return str(conn.scope[STATE].token)


def rotate(conn: HTTPConnection) -> None:
    """A new id for this browser when the response goes out (log-in, password change)."""
    conn.scope[STATE].rotate = True
