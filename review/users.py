"""Log-in accounts of people on record, and the general (non-item) audit log. Keyword-only CRUD;
the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import Session, col, select

from review.security import hash_password
from storage.models import Person
from storage.review_models import AuditLog, UserAccount
from storage.types import utcnow


class UserError(ValueError):
    """A user account request that cannot be met; the message says why."""


def audit(
    session: Session,
    *,
    actor_id: int | None,
    action: str,
    object_type: str = "",
    object_id: int | None = None,
    detail: str = "",
) -> AuditLog:
    """Append to the audit log (the database refuses to change or delete its rows)."""
    row = AuditLog(
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        detail=detail,
    )
    session.add(row)
    session.flush()
    return row


def person_by_email(session: Session, *, email: str) -> Person | None:
    return session.exec(
        select(Person).where(sa.func.lower(col(Person.email)) == email.strip().lower())
    ).first()


def user_by_username(session: Session, *, username: str) -> UserAccount | None:
    return session.exec(
        select(UserAccount).where(UserAccount.username == username.strip().lower())
    ).first()


def user_for_person(session: Session, *, person_id: int) -> UserAccount | None:
    return session.exec(select(UserAccount).where(UserAccount.person_id == person_id)).first()


def create_user(
    session: Session,
    *,
    person: Person,
    password: str | None = None,
    oidc_issuer: str | None = None,
    oidc_subject: str | None = None,
    actor_id: int | None = None,
) -> UserAccount:
    """A log-in for a person on record: a password (argon2), OIDC, or both (OIDC links its
    subject on the first sign-in when only the e-mail is known)."""
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
        oidc_issuer=oidc_issuer,
        oidc_subject=oidc_subject,
    )
    session.add(user)
    session.flush()
    audit(
        session,
        actor_id=actor_id,
        action="user_created",
        object_type="user_account",
        object_id=user.id,
        detail="password" if password else "single sign-on only",
    )
    return user


def set_password(
    session: Session, *, user: UserAccount, password: str, actor_id: int | None
) -> None:
    """A new password ends every existing session of the user."""
    user.password_hash = hash_password(password)
    user.session_epoch += 1
    session.add(user)
    audit(
        session,
        actor_id=actor_id,
        action="password_set",
        object_type="user_account",
        object_id=user.id,
    )


def end_sessions(session: Session, *, user: UserAccount) -> None:
    user.session_epoch += 1
    session.add(user)


def touch_login(session: Session, *, user: UserAccount) -> None:
    user.last_login_at = utcnow()
    session.add(user)


def audit_entries(session: Session, *, limit: int = 200) -> Sequence[AuditLog]:
    return session.exec(select(AuditLog).order_by(col(AuditLog.id).desc()).limit(limit)).all()
