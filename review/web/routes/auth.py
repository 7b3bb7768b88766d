"""Log-in (local password or single sign-on) and log-out."""

from __future__ import annotations

import time
from typing import Annotated
from urllib.parse import urlsplit

from authlib.integrations.base_client import OAuthError
from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from review.domain import passwords
from review.web import oidc, security
from review.web.deps import Cfg, Db, User, flash, render
from storage.models import Person
from storage.review_crud import audit, end_sessions, touch_login, user_by_username, user_for_person
from storage.review_models import UserAccount

router = APIRouter()


def _safe_next(value: str | None) -> str:
    """Only same-site paths: `next` must never send a signed-in user elsewhere."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/queue"
    parts = urlsplit(value)
    return "/queue" if parts.scheme or parts.netloc else value


def _start_session(request: Request, user: UserAccount) -> None:
    """A fresh session (new CSRF token) for a successful log-in."""
    request.session.clear()
    request.session.update(
        {
            "uid": user.id,
            "epoch": user.session_epoch,
            "login_at": int(time.time()),
        }
    )
    security.csrf_token(request)


@router.get("/login")
def login_page(request: Request, settings: Cfg, next: str | None = None) -> Response:
    return render(
        request,
        "login.html",
        {"next": _safe_next(next), "providers": settings.web.oidc_providers, "error": None},
    )


@router.post("/login")
def login(
    request: Request,
    db: Db,
    settings: Cfg,
    username: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form()] = "/queue",
) -> Response:
    throttle: security.LoginThrottle = request.app.state.throttle
    client = request.client.host if request.client else "?"
    keys = (f"u:{username.strip().lower()}", f"c:{client}")
    if throttle.blocked(*keys):
        return render(
            request,
            "login.html",
            {
                "next": _safe_next(next),
                "providers": settings.web.oidc_providers,
                "error": "Too many failed attempts. Wait five minutes and try again.",
            },
            status=429,
        )
    user = user_by_username(db, username=username)
    person = db.get(Person, user.person_id) if user else None
    ok = passwords.verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.active or person is None or not person.active:
        throttle.failed(*keys)
        audit(
            db,
            actor_id=None,
            action="login_failed",
            object_type="user_account",
            object_id=user.id if user else None,
        )
        db.commit()
        return render(
            request,
            "login.html",
            {
                "next": _safe_next(next),
                "providers": settings.web.oidc_providers,
                "error": "That e-mail address and password do not match a Postwarden log-in.",
            },
            status=401,
        )
    throttle.succeeded(*keys)
    if (
        user.password_hash
        and passwords.needs_rehash(user.password_hash)
        and len(password) >= passwords.PASSWORD_MIN
    ):
        user.password_hash = passwords.hash_password(password)  # stronger parameters, same secret
    touch_login(db, user=user)
    audit(
        db,
        actor_id=person.id,
        action="login",
        object_type="user_account",
        object_id=user.id,
        detail="password",
    )
    db.commit()
    _start_session(request, user)
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, db: Db, user: User) -> Response:
    """Ends this session and every other session of the same log-in (the cookie cannot be
    recalled, so its epoch is)."""
    account = user_for_person(db, person_id=user.id)  # type: ignore[arg-type]
    if account is not None:
        end_sessions(db, user=account)
    audit(db, actor_id=user.id, action="logout", object_type="person", object_id=user.id)
    db.commit()
    request.session.clear()
    flash(request, "You are signed out.")
    return RedirectResponse("/login", status_code=303)


@router.get("/login/oidc/{name}")
async def oidc_start(request: Request, name: str, settings: Cfg) -> Response:
    cfg = oidc.provider(settings, name)
    client = request.app.state.oauth.create_client(name) if cfg else None
    if cfg is None or client is None:
        raise HTTPException(404, "No such sign-in provider.")
    redirect_uri = settings.review.base_url.rstrip("/") + f"/login/oidc/{name}/callback"
    return await client.authorize_redirect(request, redirect_uri)


@router.get("/login/oidc/{name}/callback")
async def oidc_callback(request: Request, name: str, settings: Cfg, db: Db) -> Response:
    cfg = oidc.provider(settings, name)
    client = request.app.state.oauth.create_client(name) if cfg else None
    if cfg is None or client is None:
        raise HTTPException(404, "No such sign-in provider.")
    try:
        token = await client.authorize_access_token(request)
    except (OAuthError, ValueError, KeyError) as exc:
        return _sso_refused(request, settings, db, f"the sign-in could not be verified ({exc})")
    except Exception as exc:  # bad signature, wrong audience, expired token, provider down
        return _sso_refused(
            request, settings, db, f"the sign-in could not be verified ({type(exc).__name__})"
        )
    claims = token.get("userinfo") or {}
    user, why = oidc.match_user(db, cfg=cfg, claims=claims)
    person = db.get(Person, user.person_id) if user else None
    if user is None or not user.active or person is None or not person.active:
        return _sso_refused(request, settings, db, why or "this log-in is not active")
    touch_login(db, user=user)
    audit(
        db,
        actor_id=person.id,
        action="login",
        object_type="user_account",
        object_id=user.id,
        detail=f"single sign-on ({cfg.name})",
    )
    db.commit()
    _start_session(request, user)
    return RedirectResponse("/queue", status_code=303)


def _sso_refused(request: Request, settings: Cfg, db: Db, why: str) -> Response:
    audit(db, actor_id=None, action="login_failed", object_type="sso", detail=why[:500])
    db.commit()
    return render(
        request,
        "login.html",
        {
            "next": "/queue",
            "providers": settings.web.oidc_providers,
            "error": f"Single sign-on did not work: {why}.",
        },
        status=403,
    )
