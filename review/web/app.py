"""The review web app: `create_app(settings)` builds it; `postwarden serve` runs it with uvicorn.

Layers, outermost first: the trusted proxies' client address and scheme (`forwarded_allow_ips`);
security headers on every response (the 500 page carries them too); the server-side session; an
app-wide CSRF check on every state-changing request; then the routes, each of which asks
`review.domain.authz` before showing or changing anything. Ids in URLs are bounded
(`security.valid_id`): out of range is a 404 like any missing object.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from postwarden.settings import Settings, get_settings
from review.web import oidc, security, sessions
from review.web.deps import LoginRequired, make_env, render
from review.web.routes import account, auth, dashboard, it, items, oversight
from review.web.throttle import LoginThrottle

STATIC = Path(__file__).parent / "static"
log = logging.getLogger(__name__)

SERVER_ERROR_PAGE = (
    '<!doctype html><html lang="en-GB"><head><meta charset="utf-8"><title>Error · Postwarden'
    '</title><link rel="stylesheet" href="/static/app.css"></head><body><main id="main">'
    '<section class="card narrow"><h1>Something went wrong</h1><p>Postwarden could not answer '
    "this request. Nothing was changed by it. Try again; if it happens again, tell the Director "
    'of IT the time it happened.</p><p><a href="/queue">Back to my queue</a></p></section></main>'
    "</body></html>"
)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="Postwarden review",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(security.csrf_protect)],
    )
    secret = security.secret_key(settings)
    app.state.settings = settings
    app.state.jinja = make_env()
    app.state.csrf_key = hashlib.sha256(b"postwarden-csrf\0" + secret.encode()).digest()
    app.state.device_key = hashlib.sha256(b"postwarden-device\0" + secret.encode()).digest()
    app.state.throttle = LoginThrottle(settings.engine, settings.web)
    app.state.oauth = oidc.build_oauth(settings)

    app.add_middleware(
        sessions.ServerSessions,
        secret=secret,
        database_url=settings.resolved_database_url,
        max_age=settings.web.session_hours * 3600,
        https_only=settings.web.cookie_secure,
    )
    app.add_middleware(security.SecurityHeaders, hsts=settings.web.cookie_secure)
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.web.forwarded_allow_ips)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    for router in (
        auth.router,
        account.router,
        items.router,
        dashboard.router,
        oversight.router,
        it.router,
    ):
        app.include_router(router)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> Response:
        return PlainTextResponse("ok")

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _exc: LoginRequired) -> Response:
        if request.method == "GET" and not request.headers.get("hx-request"):
            nxt = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(nxt, safe='/')}", status_code=303)
        return PlainTextResponse("Sign in first.", status_code=401)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.endswith((".json", ".svg", ".pdf")):
            return JSONResponse(
                {"error": exc.detail}, status_code=exc.status_code, headers=exc.headers
            )
        response = render(
            request,
            "error.html",
            {"status": exc.status_code, "detail": exc.detail},
            status=exc.status_code,
        )
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        fields = ", ".join(str(e.get("loc", ["?"])[-1]) for e in exc.errors())
        return render(
            request,
            "error.html",
            {"status": 422, "detail": f"Some of the form was missing or not valid: {fields}."},
            status=422,
        )

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        """Answered outside the middleware stack, so the headers are set here; no detail of the
        error reaches the page (it is logged)."""
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return HTMLResponse(
            SERVER_ERROR_PAGE,
            status_code=500,
            headers=security.headers(hsts=settings.web.cookie_secure),
        )

    return app
