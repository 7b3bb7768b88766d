"""Keyword-only CRUD for log-ins, the general (non-item) audit log, one-time sign-in codes, log-in
counters, server-side sessions and pending role changes; the caller owns the transaction.
Password policy and hashing are the review domain's (`review.domain.users`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, delete, select, update

from storage.models import Person
from storage.review_models import (
    AuditLog,
    LoginCode,
    LoginCounter,
    RoleChange,
    RoleChangeState,
    UserAccount,
    WebSession,
)
from storage.types import UTCDateTime, utcnow


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
    """Every session of the user ends: the epoch check refuses old ones, and their rows go."""
    user.session_epoch += 1
    session.add(user)
    session.exec(delete(WebSession).where(col(WebSession.user_id) == user.id))


def touch_login(session: Session, *, user: UserAccount) -> None:
    user.last_login_at = utcnow()
    session.add(user)


def audit_entries(session: Session, *, limit: int = 200) -> Sequence[AuditLog]:
    return session.exec(select(AuditLog).order_by(col(AuditLog.id).desc()).limit(limit)).all()


# --- one-time sign-in codes ----------------------------------------------------------------------


def add_login_code(
    session: Session,
    *,
    user_id: int,
    code_hash: str,
    purpose: str,
    created_by_id: int | None,
    expires_at: datetime,
) -> LoginCode:
    """A new code for `user_id`; any code still unused for that log-in stops working."""
    session.exec(
        delete(LoginCode).where(col(LoginCode.user_id) == user_id, col(LoginCode.used_at).is_(None))
    )
    row = LoginCode(
        user_id=user_id,
        code_hash=code_hash,
        purpose=purpose,
        created_by_id=created_by_id,
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    return row


def usable_login_code(session: Session, *, code_hash: str) -> LoginCode | None:
    """The unused, unexpired code with this hash, locked against a second use meanwhile."""
    return session.exec(
        select(LoginCode)
        .where(
            LoginCode.code_hash == code_hash,
            col(LoginCode.used_at).is_(None),
            col(LoginCode.expires_at) > utcnow(),
        )
        .with_for_update()
    ).first()


# --- log-in counters (the throttle) --------------------------------------------------------------


def _upsert(session: Session) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def count_failure(session: Session, *, key: str, now: datetime, window_start: datetime) -> int:
    """One more failure for `key` in one statement (every process may be counting at once);
    a count older than `window_start` starts again from 1. Returns the count."""
    table = LoginCounter.__table__  # type: ignore[attr-defined]
    stale = table.c.first_at < sa.bindparam("window_start", window_start, type_=UTCDateTime())
    now_param = sa.bindparam("now", now, type_=UTCDateTime())
    stmt = (
        _upsert(session)(table)
        .values(key=key, failures=1, first_at=now, next_at=None)
        .on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "failures": sa.case((stale, 1), else_=table.c.failures + 1),
                "first_at": sa.case((stale, now_param), else_=table.c.first_at),
                "next_at": sa.case((stale, sa.null()), else_=table.c.next_at),
            },
        )
        .returning(table.c.failures)
    )
    return int(session.execute(stmt).scalar_one())


def login_counter(session: Session, *, key: str) -> LoginCounter | None:
    return session.get(LoginCounter, key, populate_existing=True)


def hold_counter(session: Session, *, key: str, until: datetime) -> None:
    """No attempt on `key` before `until`."""
    session.exec(update(LoginCounter).where(col(LoginCounter.key) == key).values(next_at=until))


def claim_attempt(session: Session, *, key: str, now: datetime, until: datetime) -> bool:
    """Take the one attempt allowed now for a slowed-down key (atomic: of two processes asking at
    once, one gets it); the next is allowed from `until`."""
    result = session.exec(
        update(LoginCounter)
        .where(
            col(LoginCounter.key) == key,
            sa.or_(col(LoginCounter.next_at).is_(None), col(LoginCounter.next_at) <= now),
        )
        .values(next_at=until)
    )
    return bool(result.rowcount)


def clear_counter(session: Session, *, key: str) -> None:
    session.exec(delete(LoginCounter).where(col(LoginCounter.key) == key))


def purge_counters(session: Session, *, window_start: datetime, now: datetime) -> None:
    """Counters whose window has passed and that hold nothing back any more."""
    session.exec(
        delete(LoginCounter).where(
            col(LoginCounter.first_at) < window_start,
            sa.or_(col(LoginCounter.next_at).is_(None), col(LoginCounter.next_at) < now),
        )
    )


# --- server-side sessions ------------------------------------------------------------------------


def web_session(session: Session, *, sid_hash: str) -> WebSession | None:
    """The live session with this id hash (an expired one counts as none)."""
    row = session.get(WebSession, sid_hash)
    return row if row is not None and row.expires_at > utcnow() else None


def save_web_session(
    session: Session, *, sid_hash: str, data: str, user_id: int | None, expires_at: datetime
) -> None:
    row = session.get(WebSession, sid_hash)
    if row is None:
        session.exec(delete(WebSession).where(col(WebSession.expires_at) < utcnow()))
        row = WebSession(id=sid_hash, data=data, user_id=user_id, expires_at=expires_at)
    else:
        row.data, row.user_id, row.expires_at = data, user_id, expires_at
    session.add(row)


def delete_web_session(session: Session, *, sid_hash: str) -> None:
    session.exec(delete(WebSession).where(col(WebSession.id) == sid_hash))


# --- role changes waiting for confirmation -------------------------------------------------------


def pending_role_changes(session: Session) -> Sequence[RoleChange]:
    return session.exec(
        select(RoleChange)
        .where(RoleChange.state == RoleChangeState.PENDING)
        .order_by(col(RoleChange.id))
    ).all()


def recent_role_changes(session: Session, *, limit: int = 50) -> Sequence[RoleChange]:
    return session.exec(
        select(RoleChange)
        .where(RoleChange.state != RoleChangeState.PENDING)
        .order_by(col(RoleChange.id).desc())
        .limit(limit)
    ).all()
