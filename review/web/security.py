"""The review secret, CSRF tokens, security headers, and the bounds on ids in URLs.

Sessions are server-side (`review.web.sessions`): the cookie is an opaque id, HttpOnly and
SameSite=Lax (Lax, not Strict, so the OIDC provider's redirect back still carries the sign-in
state). Every state-changing request must carry the session's CSRF token (form field or
`X-CSRF-Token` header), an HMAC of the session id under the review secret: one app-wide dependency
checks it, so no route can forget. The log-in throttle is `review.web.throttle`.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from fastapi import HTTPException, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from postwarden.settings import Settings
from review.web import sessions

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Ids are PostgreSQL INTEGERs: anything outside is no object at all (404), never a database error.
MAX_ID = 2**31 - 1


def secret_key(settings: Settings) -> str:
    """The review secret: `<home>/review-secret.key`, created (mode 0600) on first use. Every
    server process must share it (session ids and CSRF tokens are MACs under it)."""
    path = Path(settings.home) / "review-secret.key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def valid_id(value: int) -> int:
    """An id from a URL, or the same 404 as for a missing object."""
    if not 1 <= value <= MAX_ID:
        raise HTTPException(404, "No such page or object.")
    return value


# --- CSRF --------------------------------------------------------------------------------------


def csrf_token(request: Request) -> str:
    """The session's token: an HMAC of its id, so it needs no storage and changes at log-in."""
    key: bytes = request.app.state.csrf_key
    digest = hmac.new(key, sessions.token_of(request).encode(), hashlib.sha256).hexdigest()
    return digest[:43]


async def csrf_protect(request: Request) -> None:
    """App-wide dependency: unsafe methods need the session's token and a same-origin Origin."""
    if request.method not in UNSAFE_METHODS:
        return
    origin = request.headers.get("origin")
    if origin and origin != "null" and origin.rstrip("/") != _own_origin(request):
        raise HTTPException(403, "Cross-site request refused.")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(csrf_token(request), sent):
        raise HTTPException(403, "This form has expired or did not come from Postwarden.")


def _own_origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


# --- headers -----------------------------------------------------------------------------------

CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)


def headers(*, static: bool = False, hsts: bool = False) -> dict[str, str]:
    """What every response carries: CSP without inline script, no framing, no sniffing, no
    referrer, and no caching of pages that hold personal data."""
    out = {
        "content-security-policy": CSP,
        "x-content-type-options": "nosniff",
        "x-frame-options": "DENY",
        "referrer-policy": "no-referrer",
        "cross-origin-opener-policy": "same-origin",
        "cross-origin-resource-policy": "same-origin",
        "permissions-policy": "camera=(), microphone=(), geolocation=()",
        "cache-control": "public, max-age=3600" if static else "no-store",
    }
    if hsts:
        out["strict-transport-security"] = "max-age=31536000"
    return out


class SecurityHeaders:
    """Pure ASGI middleware adding `headers()` to every response that does not set its own.
    (The 500 page is answered outside it, by the app's error handler, with the same headers.)"""

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = headers(static=scope.get("path", "").startswith("/static/"), hsts=self.hsts)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                current = list(message.get("headers", []))
                names = {k.lower() for k, _ in current}
                current += [
                    (k.encode(), v.encode()) for k, v in extra.items() if k.encode() not in names
                ]
                message["headers"] = current
            await send(message)

        await self.app(scope, receive, send_with_headers)
