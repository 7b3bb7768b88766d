"""Log-ins of people on record: who may have one, and how its password comes to be. Persistence is
`storage.review_crud`; the caller owns the transaction.

Nobody sets another person's password (section 5: the Director of IT must not be able to sign in
as the CEO to read items about IT). A new log-in, or a reset, issues a one-time code that goes to
the person (mailed as a link by the web UI, printed on the server by the CLI); the person chooses
their own password with it. A single sign-on log-in never has a password: its password and MFA are
the identity provider's.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlmodel import Session

from review.domain.passwords import check_new_password, hash_password, verify_password
from storage.models import Person
from storage.review_crud import (
    add_login_code,
    audit,
    end_sessions,
    usable_login_code,
    user_for_person,
)
from storage.review_models import UserAccount
from storage.types import utcnow

CODE_HOURS = 72
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L, U/V pairs to misread
_CODE_GROUPS, _CODE_GROUP = 5, 4  # ~98 bits


class UserError(ValueError):
    """A user account request that cannot be met; the message says why."""


class WrongPassword(UserError):
    """The current password given to change it is not right (the caller counts it as a failed
    sign-in)."""


def create_user(
    session: Session,
    *,
    person: Person,
    password: str | None = None,
    sso: bool = False,
    oidc_issuer: str | None = None,
    oidc_subject: str | None = None,
    actor_id: int | None = None,
) -> UserAccount:
    """A log-in for a person on record: single sign-on (linked on the first sign-in when only
    the e-mail is known), or a password log-in that starts without a password (`issue_code`
    gives the person a way to choose one). `password` is for trusted set-ups on the server only
    (the demo trust, benchmarks): no route or command passes one."""
    sso = sso or oidc_subject is not None
    if sso and password:
        raise UserError("a single sign-on log-in cannot have a password")
    if not person.email:
        raise UserError(f"{person.name} has no e-mail address on record; add one first")
    if not person.active:
        raise UserError(f"{person.name} is not active")
    if user_for_person(session, person_id=person.id) is not None:  # type: ignore[arg-type]
        raise UserError(f"{person.email} already has a log-in")
    user = UserAccount(
        person_id=person.id,  # type: ignore[arg-type]
        username=person.email.strip().lower(),
        password_hash=hash_password(password) if password else None,
        sso=sso,
        oidc_issuer=oidc_issuer,
        oidc_subject=oidc_subject,
    )
    session.add(user)
    session.flush()
    how = "single sign-on only" if sso else ("password" if password else "password (to choose)")
    audit(
        session,
        actor_id=actor_id,
        action="user_created",
        object_type="user_account",
        object_id=user.id,
        detail=how,
    )
    return user


# --- one-time codes ------------------------------------------------------------------------------


def _normal(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _digest(code: str) -> str:
    return hashlib.sha256(_normal(code).encode()).hexdigest()


def issue_code(session: Session, *, user: UserAccount, actor_id: int | None) -> str:
    """A one-time code with which the person chooses their own password (for `CODE_HOURS`).
    The previous unused code stops working; the current password keeps working until then, so a
    reset cannot lock anyone out. Only the code's hash is stored: show or send it once."""
    if user.sso:
        raise UserError(
            f"{user.username} signs in with single sign-on: its password and MFA belong to the "
            "identity provider, so it cannot be given one here"
        )
    if not user.active:
        raise UserError(f"the log-in {user.username} is deactivated")
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_GROUPS * _CODE_GROUP))
    code = "-".join(raw[i : i + _CODE_GROUP] for i in range(0, len(raw), _CODE_GROUP))
    purpose = "first_sign_in" if user.password_hash is None else "reset"
    add_login_code(
        session,
        user_id=user.id,  # type: ignore[arg-type]
        code_hash=_digest(code),
        purpose=purpose,
        created_by_id=actor_id,
        expires_at=utcnow() + timedelta(hours=CODE_HOURS),
    )
    audit(
        session,
        actor_id=actor_id,
        action="sign_in_code_issued",
        object_type="user_account",
        object_id=user.id,
        detail=purpose,
    )
    return code


INVALID_CODE = (
    "This sign-in code is not valid: it may be mistyped, used already or expired. "
    "Ask the Director of IT for a new one."
)


def redeem_code(session: Session, *, code: str, new_password: str) -> UserAccount:
    """Set the password the person chose with their code, which is then used up. A password the
    policy refuses (`WeakPassword`) leaves the code usable."""
    row = usable_login_code(session, code_hash=_digest(code)) if _normal(code) else None
    user = session.get(UserAccount, row.user_id) if row else None
    person = session.get(Person, user.person_id) if user else None
    if row is None or user is None or person is None:
        raise UserError(INVALID_CODE)
    if user.sso or not user.active or not person.active:
        raise UserError(INVALID_CODE)
    check_new_password(new_password, user_inputs=[person.name, person.email or ""])
    row.used_at = utcnow()
    session.add(row)
    _store(session, user=user, password=new_password)
    audit(
        session,
        actor_id=person.id,
        action="password_chosen",
        object_type="user_account",
        object_id=user.id,
        detail=row.purpose,
    )
    return user


# --- changing one's own password -----------------------------------------------------------------


def change_password(
    session: Session, *, user: UserAccount, person: Person, current: str, new: str
) -> None:
    """A person replaces their own password; every other session of theirs ends."""
    if user.sso:
        raise UserError("You sign in with single sign-on: change your password there.")
    if not verify_password(user.password_hash, current):
        raise WrongPassword("Your current password is not right.")
    if new == current:
        raise UserError("The new password is the same as the current one.")
    check_new_password(new, user_inputs=[person.name, person.email or ""])
    _store(session, user=user, password=new)
    audit(
        session,
        actor_id=person.id,
        action="password_changed",
        object_type="user_account",
        object_id=user.id,
    )


def _store(session: Session, *, user: UserAccount, password: str) -> None:
    user.password_hash = hash_password(password)
    end_sessions(session, user=user)
