"""Signing in (local password or single sign-on) and out.

Password sign-ins are throttled per account and per address (`review.web.throttle`); a single
sign-on log-in never signs in with a password. A browser that signed in to a log-in before holds a
"known device" cookie for it (a MAC, no secret of the person's): its attempts are counted in a
bucket of their own, so an attacker hammering the CEO's account slows the attacker, not the CEO at
their own desk. What the identity provider or an unauthenticated
caller sends back is never shown: failures get fixed messages, and only a verified identity's
failure is written to the audit log (anything else would let anyone write rows at will).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from typing import Annotated
from urllib.parse import urlsplit

import anyio
from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from postwarden.settings import OIDCProvider
from review.domain import passwords
from review.web import oidc, sessions
from review.web.deps import Cfg, Db, User, flash, render
from review.web.throttle import LoginThrottle
from storage.models import Person
from storage.review_crud import audit, end_sessions, touch_login, user_by_username, user_for_person
from storage.review_models import UserAccount

router = APIRouter()
log = logging.getLogger(__name__)

NO_MATCH = "That e-mail address and password do not match a Postwarden log-in."
SSO_FAILED = "Single sign-on did not work"
DEVICE_COOKIE = "postwarden_device"
DEVICE_DAYS = 180


def _safe_next(value: str | None) -> str:
    """Only same-site paths: `next` must never send a signed-in user elsewhere."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/queue"
    parts = urlsplit(value)
    return "/queue" if parts.scheme or parts.netloc else value


def client_address(request: Request) -> str:
    """The client as the trusted proxies name it (see `forwarded_allow_ips`)."""
    return request.client.host if request.client else "unknown"


async def wait_if_busy(request: Request) -> str:
    """A busy address waits a little (asleep, holding no worker thread); returns the address."""
    throttle: LoginThrottle = request.app.state.throttle
    address = client_address(request)
    delay = await run_in_threadpool(throttle.address_delay, address)
    if delay:
        await anyio.sleep(delay)
    return address


def _signed_in(db: Db, *, person: Person, user: UserAccount, how: str) -> None:
    """What every successful sign-in records, whatever the way in."""
    touch_login(db, user=user)
    audit(
        db,
        actor_id=person.id,
        action="login",
        object_type="user_account",
        object_id=user.id,
        detail=how,
    )


def start_session(request: Request, user: UserAccount) -> None:
    """A fresh session under a new id (so a new CSRF token) for a successful sign-in."""
    request.session.clear()
    sessions.rotate(request)
    request.session.update(
        {"uid": user.id, "epoch": user.session_epoch, "login_at": int(time.time())}
    )


def _device_mac(request: Request, user_id: int, nonce: str) -> str:
    key: bytes = request.app.state.device_key
    return hmac.new(key, f"{user_id}.{nonce}".encode(), hashlib.sha256).hexdigest()[:32]


def _throttle_bucket(request: Request, db: Db, username: str) -> str:
    """The throttle key an attempt counts under: this browser's own, when it signed in to this
    log-in before; otherwise the account's."""
    user_id, _, rest = (request.cookies.get(DEVICE_COOKIE) or "").partition(".")
    nonce, _, mac = rest.partition(".")
    user = user_by_username(db, username=username) if user_id.isdigit() else None
    if user is not None and user.id == int(user_id) and nonce and mac:
        if hmac.compare_digest(_device_mac(request, user.id, nonce), mac):
            return f"device:{nonce}"
    return username


def _remember_device(request: Request, response: Response, user: UserAccount) -> None:
    nonce = secrets.token_urlsafe(16)
    response.set_cookie(
        DEVICE_COOKIE,
        f"{user.id}.{nonce}.{_device_mac(request, user.id, nonce)}",  # type: ignore[arg-type]
        max_age=DEVICE_DAYS * 86400,
        path="/login",
        httponly=True,
        samesite="strict",
        secure=request.app.state.settings.web.cookie_secure,
    )


def _login_page(
    request: Request, settings: Cfg, *, next: str, error: str | None, status: int = 200
) -> Response:
    return render(
        request,
        "login.html",
        {"next": _safe_next(next), "providers": settings.web.oidc_providers, "error": error},
        status=status,
    )


@router.get("/login")
def login_page(request: Request, settings: Cfg, next: str | None = None) -> Response:
    return _login_page(request, settings, next=next or "/queue", error=None)


@router.post("/login")
async def login(
    request: Request,
    db: Db,
    settings: Cfg,
    username: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form()] = "/queue",
) -> Response:
    """A busy address waits a little here (asleep, holding no worker thread); then the check."""
    address = await wait_if_busy(request)
    return await run_in_threadpool(
        _password_sign_in,
        request,
        db,
        settings,
        request.app.state.throttle,
        username,
        password,
        next,
        address,
    )


def _password_sign_in(
    request: Request,
    db: Db,
    settings: Cfg,
    throttle: LoginThrottle,
    username: str,
    password: str,
    next: str,
    address: str,
) -> Response:
    bucket = _throttle_bucket(request, db, username)
    verdict = throttle.check_account(bucket)
    if not verdict.allowed:
        response = _login_page(
            request,
            settings,
            next=next,
            error="Too many failed attempts for this log-in. "
            f"Try again in {verdict.retry_after} seconds.",
            status=429,
        )
        response.headers["retry-after"] = str(verdict.retry_after)
        return response
    user = user_by_username(db, username=username)
    person = db.get(Person, user.person_id) if user else None
    ok = passwords.verify_password(user.password_hash if user else None, password)
    if not ok or user is None or user.sso or not user.active or person is None or not person.active:
        throttle.failed(username=bucket, address=address)
        audit(
            db,
            actor_id=None,
            action="login_failed",
            object_type="user_account",
            object_id=user.id if user else None,
        )
        db.commit()
        return _login_page(request, settings, next=next, error=NO_MATCH, status=401)
    throttle.succeeded(username=bucket)
    if (
        user.password_hash
        and passwords.needs_rehash(user.password_hash)
        and len(password) >= passwords.PASSWORD_MIN
    ):
        user.password_hash = passwords.hash_password(password)  # stronger parameters, same secret
    _signed_in(db, person=person, user=user, how="password")
    db.commit()
    start_session(request, user)
    response = RedirectResponse(_safe_next(next), status_code=303)
    _remember_device(request, response, user)
    return response


@router.post("/logout")
def logout(request: Request, db: Db, user: User) -> Response:
    """Ends this session and every other session of the same log-in."""
    account = user_for_person(db, person_id=user.id)  # type: ignore[arg-type]
    if account is not None:
        end_sessions(db, user=account)
    audit(db, actor_id=user.id, action="logout", object_type="person", object_id=user.id)
    db.commit()
    request.session.clear()
    flash(request, "You are signed out.")
    return RedirectResponse("/login", status_code=303)


# --- single sign-on ------------------------------------------------------------------------------


def _provider_client(request: Request, settings: Cfg, name: str):  # type: ignore[no-untyped-def]
    cfg = oidc.provider(settings, name)
    client = request.app.state.oauth.create_client(name) if cfg else None
    if cfg is None or client is None:
        raise HTTPException(404, "No such sign-in provider.")
    return cfg, client


def _too_many(request: Request, settings: Cfg) -> Response:
    response = _login_page(
        request,
        settings,
        next="/queue",
        error="Too many single sign-on attempts from this network. Try again in 15 minutes.",
        status=429,
    )
    response.headers["retry-after"] = "900"
    return response


@router.get("/login/oidc/{name}")
async def oidc_start(request: Request, name: str, settings: Cfg) -> Response:
    _cfg, client = _provider_client(request, settings, name)
    throttle: LoginThrottle = request.app.state.throttle
    if await run_in_threadpool(throttle.sso_refused, client_address(request)):
        return _too_many(request, settings)
    redirect_uri = settings.review.base_url.rstrip("/") + f"/login/oidc/{name}/callback"
    return await client.authorize_redirect(request, redirect_uri)


@router.get("/login/oidc/{name}/callback")
async def oidc_callback(request: Request, name: str, settings: Cfg, db: Db) -> Response:
    cfg, client = _provider_client(request, settings, name)
    throttle: LoginThrottle = request.app.state.throttle
    address = client_address(request)
    if await run_in_threadpool(throttle.sso_refused, address):
        return _too_many(request, settings)
    if "error" in request.query_params:  # the provider's (or anyone's) words are never shown
        await run_in_threadpool(throttle.sso_failed, address)
        return _sso_refused(request, settings, "the sign-in was cancelled or refused")
    try:
        token = await client.authorize_access_token(request)
    except Exception as exc:  # OAuthError, a bad state, signature, audience, expiry, or no provider
        log.warning("single sign-on callback refused: %s", type(exc).__name__)
        await run_in_threadpool(throttle.sso_failed, address)
        return _sso_refused(request, settings, "the sign-in could not be verified")
    return await run_in_threadpool(_verified_sign_in, request, settings, db, cfg, token, address)


def _verified_sign_in(
    request: Request,
    settings: Cfg,
    db: Db,
    cfg: OIDCProvider,
    token: dict[str, object],
    address: str,
) -> Response:
    """The provider vouched for an identity: sign in the log-in it belongs to, or say why not
    (on record: this is an authenticated person being refused)."""
    claims = token.get("userinfo") or {}
    user, why = oidc.match_user(db, cfg=cfg, claims=claims)  # type: ignore[arg-type]
    person = db.get(Person, user.person_id) if user else None
    if user is None or not user.active or person is None or not person.active:
        why = why or "this log-in is not active"
        request.app.state.throttle.sso_failed(address)
        audit(db, actor_id=None, action="login_failed", object_type="sso", detail=why)
        db.commit()
        return _sso_refused(request, settings, why)
    _signed_in(db, person=person, user=user, how=f"single sign-on ({cfg.name})")
    db.commit()
    start_session(request, user)
    return RedirectResponse("/queue", status_code=303)


def _sso_refused(request: Request, settings: Cfg, why: str) -> Response:
    """`why` is one of Postwarden's own fixed reasons, never text from the request."""
    return _login_page(request, settings, next="/queue", error=f"{SSO_FAILED}: {why}.", status=403)
