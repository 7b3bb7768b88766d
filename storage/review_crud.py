"""Keyword-only CRUD for log-ins and the general (non-item) audit log; the caller owns the
transaction. Password policy and hashing are the review domain's (`review.domain.users`)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.models import Person
from storage.review_models import AuditLog, UserAccount
from storage.types import utcnow


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


def end_sessions(session: Session, *, user: UserAccount) -> None:
    user.session_epoch += 1
    session.add(user)


def touch_login(session: Session, *, user: UserAccount) -> None:
    user.last_login_at = utcnow()
    session.add(user)


def audit_entries(session: Session, *, limit: int = 200) -> Sequence[AuditLog]:
    return session.exec(select(AuditLog).order_by(col(AuditLog.id).desc()).limit(limit)).all()
