"""One's own log-in: choosing a password with a one-time code (first sign-in, or after a reset),
and changing it. Nobody else ever sees or sets it (see review.domain.users)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from review.domain import passwords
from review.domain.passwords import WeakPassword
from review.domain.users import UserError, WrongPassword, change_password, redeem_code
from review.web.deps import Db, Login, User, flash, render
from review.web.routes.auth import client_address, start_session, wait_if_busy
from review.web.throttle import LoginThrottle
from storage.review_crud import touch_login

router = APIRouter()

Secret = Annotated[str, Form(max_length=1000)]


def _code_page(request: Request, code: str, error: str | None, status: int = 200) -> Response:
    return render(
        request,
        "login_code.html",
        {"code": code[:64], "error": error, "min": passwords.PASSWORD_MIN},
        status=status,
    )


@router.get("/login/code")
def code_page(request: Request, c: str = "") -> Response:
    """The form the mailed link opens (the code is only filled in, never used, by this GET)."""
    return _code_page(request, c, None)


@router.post("/login/code")
async def choose_password(
    request: Request,
    db: Db,
    code: Annotated[str, Form(max_length=64)],
    new_password: Secret,
    confirm_password: Secret,
) -> Response:
    """Codes are guessed no faster than passwords: a busy address waits like at the log-in."""
    address = await wait_if_busy(request)
    return await run_in_threadpool(
        _redeem,
        request,
        db,
        request.app.state.throttle,
        address,
        code,
        new_password,
        confirm_password,
    )


def _redeem(
    request: Request,
    db: Db,
    throttle: LoginThrottle,
    address: str,
    code: str,
    new_password: str,
    confirm_password: str,
) -> Response:
    if new_password != confirm_password:
        return _code_page(request, code, "The two passwords do not match.", 400)
    try:
        user = redeem_code(db, code=code, new_password=new_password)
    except WeakPassword as exc:
        db.rollback()
        return _code_page(request, code, str(exc), 400)
    except UserError as exc:
        db.rollback()
        throttle.failed_address(address)
        return _code_page(request, "", str(exc), 400)
    touch_login(db, user=user)
    db.commit()
    start_session(request, user)
    flash(request, "Your password is set. Only you know it.")
    return RedirectResponse("/queue", status_code=303)


# --- changing one's own password ----------------------------------------------------------------


def _password_page(
    request: Request, login_sso: bool, error: str | None = None, status: int = 200
) -> Response:
    return render(
        request,
        "account_password.html",
        {"sso": login_sso, "error": error, "min": passwords.PASSWORD_MIN},
        status=status,
    )


@router.get("/account/password")
def password_page(request: Request, user: User, login: Login) -> Response:
    return _password_page(request, login.sso)


@router.post("/account/password")
def password_change(
    request: Request,
    db: Db,
    user: User,
    login: Login,
    current_password: Secret,
    new_password: Secret,
    confirm_password: Secret,
) -> Response:
    """The current password is checked like at the log-in, throttle included: a session left open
    on a shared computer must not become a way to guess it."""
    throttle: LoginThrottle = request.app.state.throttle
    verdict = throttle.check_account(login.username)
    if not verdict.allowed:
        error = f"Too many wrong passwords. Try again in {verdict.retry_after} seconds."
        return _password_page(request, login.sso, error, 429)
    if new_password != confirm_password:
        return _password_page(request, login.sso, "The two new passwords do not match.", 400)
    try:
        change_password(db, user=login, person=user, current=current_password, new=new_password)
    except WrongPassword as exc:
        db.rollback()
        throttle.failed(username=login.username, address=client_address(request))
        return _password_page(request, login.sso, str(exc), 400)
    except (UserError, WeakPassword) as exc:
        db.rollback()
        return _password_page(request, login.sso, str(exc), 400)
    db.commit()
    throttle.succeeded(username=login.username)
    start_session(request, login)  # this browser goes on; every other session has ended
    flash(request, "Your password is changed; you were signed out everywhere else.")
    return RedirectResponse("/account/password", status_code=303)
