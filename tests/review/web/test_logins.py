"""Log-ins without a password anyone else knows (issue 12, section 5): IT creates a log-in or
resets one, and a one-time link goes by mail to the person, who chooses their own password; single
sign-on log-ins never get a password; everyone can change their own; weak passwords are refused."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from postwarden.settings import Settings
from review.domain import passwords
from review.domain.users import UserError, issue_code, redeem_code
from storage.models import Person
from storage.review_models import AuditLog, LoginCode, UserAccount
from storage.types import utcnow
from tests.review.conftest import PASSWORD, Browser, Inbox, World, body_of, email, with_mail

NEW_PASSWORD = "plum-orbit-kettle-harbour"
CODE_LINK = re.compile(r"http://testserver/login/code\?c=([A-Z0-9-]+)")


def _db(settings: Settings) -> Session:
    return Session(settings.engine, expire_on_commit=False)


def _login_of(settings: Settings, key: str) -> UserAccount:
    with _db(settings) as s:
        return s.exec(select(UserAccount).where(UserAccount.username == email(key))).one()


def _can_sign_in(app: TestClient, key: str, password: str) -> bool:
    b = Browser(app)
    b.get("/login")
    return b.post("/login", {"username": email(key), "password": password}).status_code == 303


def _mailed_code(box: Inbox, key: str) -> str:
    [message] = box.to(email(key))[-1:]
    match = CODE_LINK.search(body_of(message))
    assert match, body_of(message)
    return match.group(1)


@pytest.fixture
def mailing(
    sqlite_settings: Settings, sqlite_world: World, inbox: tuple[Inbox, int]
) -> tuple[Settings, Inbox]:
    box, port = inbox
    return with_mail(sqlite_settings, port), box


def test_a_reset_by_it_shows_no_password_and_mails_a_one_time_link(
    mailing: tuple[Settings, Inbox], sqlite_world: World, app_for: Callable[..., TestClient]
) -> None:
    """The finding: a reset showed IT the CEO's new password, so IT could sign in as the CEO."""
    cfg, box = mailing
    it = Browser(app_for(cfg)).login("it")
    ceo = sqlite_world.people["ceo"]
    r = it.post(f"/it/people/{ceo}/login", {"method": "password"})
    assert r.status_code == 303 and r.headers["location"] == "/it/people"
    page = it.get("/it/people").text
    assert "sign-in link was sent" in page
    code = _mailed_code(box, "ceo")
    assert code not in page and code not in r.text
    assert not re.search(r'id="new-password"', page)
    # IT has nothing to sign in with: the old password still belongs to the CEO alone.
    assert _can_sign_in(app_for(cfg), "ceo", PASSWORD)
    with _db(cfg) as s:
        stored = s.exec(select(LoginCode)).all()
        details = " ".join(s.exec(select(AuditLog.detail)).all())
    assert stored and all(code not in c.code_hash for c in stored), "only a hash is kept"
    assert code not in details
    [mail] = box.to(email("ceo"))
    body = body_of(mail)
    assert "Grace" not in body and "Whitfield" not in body, "links only, no names"

    # The CEO follows the link, chooses a password and is signed in; the link works once.
    ceo_browser = Browser(app_for(cfg))
    form = ceo_browser.get(f"/login/code?c={code}")
    assert form.status_code == 200 and "Choose your password" in form.text
    r = ceo_browser.post(
        "/login/code",
        {"code": code, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
    )
    assert r.status_code == 303 and r.headers["location"] == "/queue"
    assert "Grace Whitfield" in ceo_browser.get("/queue").text
    assert _can_sign_in(app_for(cfg), "ceo", NEW_PASSWORD)
    assert not _can_sign_in(app_for(cfg), "ceo", PASSWORD), "the old password is replaced"
    again = Browser(app_for(cfg))
    again.get("/login/code")
    r = again.post(
        "/login/code",
        {"code": code, "new_password": NEW_PASSWORD + "x", "confirm_password": NEW_PASSWORD + "x"},
    )
    assert r.status_code == 400 and "not valid" in r.text


def test_a_new_log_in_starts_with_a_one_time_link(
    mailing: tuple[Settings, Inbox], sqlite_world: World, app_for: Callable[..., TestClient]
) -> None:
    cfg, box = mailing
    it = Browser(app_for(cfg)).login("it")
    it.post(
        "/it/people",
        {"name": "Amir Khan", "email": "a.khan@trust.example", "role": "staff"},
    )
    with _db(cfg) as s:
        amir = s.exec(select(Person).where(Person.email == "a.khan@trust.example")).one()
    r = it.post(f"/it/people/{amir.id}/login", {"method": "password"})
    assert r.status_code == 303
    with _db(cfg) as s:
        login = s.exec(select(UserAccount).where(UserAccount.person_id == amir.id)).one()
    assert login.password_hash is None and not login.sso, "no password until Amir chooses one"
    [mail] = box.to("a.khan@trust.example")
    code = CODE_LINK.search(body_of(mail)).group(1)  # type: ignore[union-attr]
    b = Browser(app_for(cfg))
    b.get(f"/login/code?c={code}")
    r = b.post(
        "/login/code",
        {
            "code": code.lower().replace("-", " "),
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )
    assert r.status_code == 303, "codes are read case- and separator-insensitively"
    assert "Amir Khan" in b.get("/queue").text


@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [
        ("aaaaaaaaaaaa", "aaaaaaaaaaaa", "too easy to guess"),
        ("password1234", "password1234", "too easy to guess"),
        (" " * 12, " " * 12, "too easy to guess"),
        ("short", "short", "at least 12"),
        ("grace-whitfield-2026", "grace-whitfield-2026", "too easy to guess"),
        (NEW_PASSWORD, NEW_PASSWORD + "!", "do not match"),
    ],
)
def test_weak_or_mismatched_passwords_are_refused_and_the_code_survives(
    mailing: tuple[Settings, Inbox],
    sqlite_world: World,
    app_for: Callable[..., TestClient],
    password: str,
    confirm: str,
    message: str,
) -> None:
    cfg, box = mailing
    Browser(app_for(cfg)).login("it").post(
        f"/it/people/{sqlite_world.people['ceo']}/login", {"method": "password"}
    )
    code = _mailed_code(box, "ceo")
    b = Browser(app_for(cfg))
    b.get(f"/login/code?c={code}")
    r = b.post("/login/code", {"code": code, "new_password": password, "confirm_password": confirm})
    assert r.status_code == 400 and message in r.text
    r = b.post(
        "/login/code",
        {"code": code, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
    )
    assert r.status_code == 303, "a refused password does not use up the code"


@pytest.mark.parametrize("password", ["aaaaaaaaaaaa", "password1234", " " * 12, "Password1234!"])
def test_password_policy(password: str) -> None:
    with pytest.raises(passwords.WeakPassword):
        passwords.check_new_password(password)
    passwords.check_new_password(NEW_PASSWORD)


def test_the_policy_knows_who_the_person_is() -> None:
    with pytest.raises(passwords.WeakPassword):
        passwords.check_new_password(
            "whitfield.grace.1", user_inputs=["Grace Whitfield", "ceo@trust.example"]
        )


def test_codes_expire_and_a_new_one_replaces_the_old(
    sqlite_settings: Settings, sqlite_world: World
) -> None:
    with _db(sqlite_settings) as s:
        user = s.exec(select(UserAccount).where(UserAccount.username == email("ceo"))).one()
        first = issue_code(s, user=user, actor_id=sqlite_world.people["it"])
        second = issue_code(s, user=user, actor_id=sqlite_world.people["it"])
        s.commit()
        with pytest.raises(UserError, match="not valid"):
            redeem_code(s, code=first, new_password=NEW_PASSWORD)
        row = s.exec(select(LoginCode).where(LoginCode.used_at == None)).one()  # noqa: E711
        row.expires_at = utcnow() - timedelta(minutes=1)
        s.add(row)
        s.commit()
        with pytest.raises(UserError, match="not valid"):
            redeem_code(s, code=second, new_password=NEW_PASSWORD)


def test_single_sign_on_log_ins_never_get_a_password(
    mailing: tuple[Settings, Inbox], sqlite_world: World, app_for: Callable[..., TestClient]
) -> None:
    """The finding: a reset added a password to an SSO log-in, bypassing the provider's MFA."""
    cfg, box = mailing
    with _db(cfg) as s:
        login = s.exec(select(UserAccount).where(UserAccount.username == email("exec"))).one()
        login.sso, login.password_hash = True, None
        login.oidc_issuer, login.oidc_subject = "https://login.example", "exec-oid"
        s.add(login)
        s.commit()
    it = Browser(app_for(cfg)).login("it")
    r = it.post(f"/it/people/{sqlite_world.people['exec']}/login", {"method": "password"})
    assert r.status_code == 303
    assert "single sign-on" in it.get("/it/people").text
    assert box.to(email("exec")) == []
    with _db(cfg) as s:
        assert s.exec(select(LoginCode)).all() == []
        with pytest.raises(UserError, match="single sign-on"):
            issue_code(s, user=_login_of(cfg, "exec"), actor_id=None)
    assert _login_of(cfg, "exec").password_hash is None


def test_a_password_log_in_for_a_single_sign_on_account_is_refused(
    sqlite_settings: Settings, sqlite_world: World, app_for: Callable[..., TestClient]
) -> None:
    """A stale password left on a log-in that now signs in through the provider does not work."""
    with _db(sqlite_settings) as s:
        login = s.exec(select(UserAccount).where(UserAccount.username == email("exec"))).one()
        login.sso = True  # the hash from before is still there
        s.add(login)
        s.commit()
    assert not _can_sign_in(app_for(sqlite_settings), "exec", PASSWORD)


def test_a_reset_needs_mail_or_the_server(
    sqlite_settings: Settings, sqlite_world: World, app_for: Callable[..., TestClient]
) -> None:
    """Without mail the link could only reach the person through IT: refused, with the way out."""
    it = Browser(app_for(sqlite_settings)).login("it")
    r = it.post(f"/it/people/{sqlite_world.people['ceo']}/login", {"method": "password"})
    assert r.status_code == 303
    page = it.get("/it/people").text
    assert "postwarden users reset" in page
    with _db(sqlite_settings) as s:
        assert s.exec(select(LoginCode)).all() == []


def test_people_change_their_own_password(
    sqlite_settings: Settings, sqlite_world: World, app_for: Callable[..., TestClient]
) -> None:
    laptop = Browser(app_for(sqlite_settings)).login("head_a")
    phone = Browser(app_for(sqlite_settings)).login("head_a")
    assert "Change your password" in laptop.get("/account/password").text
    r = laptop.post(
        "/account/password",
        {
            "current_password": "not my password!",
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )
    assert r.status_code == 400 and "current password is not right" in r.text
    r = laptop.post(
        "/account/password",
        {
            "current_password": PASSWORD,
            "new_password": "password1234",
            "confirm_password": "password1234",
        },
    )
    assert r.status_code == 400 and "too easy to guess" in r.text
    r = laptop.post(
        "/account/password",
        {
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )
    assert r.status_code == 303
    assert laptop.get("/queue").status_code == 200, "this session goes on"
    assert phone.get("/queue").status_code == 303, "every other session ends"
    assert _can_sign_in(app_for(sqlite_settings), "head_a", NEW_PASSWORD)
    assert not _can_sign_in(app_for(sqlite_settings), "head_a", PASSWORD)
    with _db(sqlite_settings) as s:
        assert "password_changed" in s.exec(select(AuditLog.action)).all()
