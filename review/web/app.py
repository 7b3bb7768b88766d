"""The review web app: `create_app(settings)` builds it; `postwarden serve` runs it with uvicorn.

Layers, outermost first: security headers on every response; the signed session cookie; an
app-wide CSRF check on every state-changing request; then the routes, each of which asks
`review.domain.authz` before showing or changing anything.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from postwarden.settings import Settings, get_settings
from review.web import oidc, security
from review.web.deps import LoginRequired, make_env, render
from review.web.routes import auth, dashboard, it, items

STATIC = Path(__file__).parent / "static"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="Postwarden review",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(security.csrf_protect)],
    )
    app.state.settings = settings
    app.state.jinja = make_env()
    app.state.throttle = security.LoginThrottle()
    app.state.oauth = oidc.build_oauth(settings)

    app.add_middleware(
        SessionMiddleware,
        secret_key=security.secret_key(settings),
        session_cookie="postwarden_session",
        max_age=settings.web.session_hours * 3600,
        same_site="lax",
        https_only=settings.web.cookie_secure,
    )
    app.add_middleware(security.SecurityHeaders, hsts=settings.web.cookie_secure)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    for router in (auth.router, items.router, dashboard.router, it.router):
        app.include_router(router)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> Response:
        return PlainTextResponse("ok")

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _exc: LoginRequired) -> Response:
        if request.method == "GET" and not request.headers.get("hx-request"):
            nxt = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={_quote(nxt)}", status_code=303)
        return PlainTextResponse("Sign in first.", status_code=401)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.endswith((".json", ".svg", ".pdf")):
            return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
        return render(
            request,
            "error.html",
            {"status": exc.status_code, "detail": exc.detail},
            status=exc.status_code,
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        fields = ", ".join(str(e.get("loc", ["?"])[-1]) for e in exc.errors())
        return render(
            request,
            "error.html",
            {"status": 422, "detail": f"Some of the form was missing or not valid: {fields}."},
            status=422,
        )

    return app


def _quote(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/")
