"""Connection health as IT sees it, and the hook for accounts that need re-authorisation.

`account_health` is what `postwarden accounts health` prints: per account its state, last pull,
posts pulled, reads spent, last error, plus recorded failed pages and quarantined export files.
`needing_reauth` is the notification hook: every account whose token expired or was revoked
(X 401, Graph error 190, a refused Bluesky app password, a missing Airflow Connection), for the
review area's mailer to tell the Director of IT. It returns ids and names only, no secrets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select

from storage.connector_models import FileStatus, InboxFile, PullFailure
from storage.models import Account, AccountState


@dataclass(frozen=True, slots=True)
class AccountHealth:
    account_id: int
    platform: str
    handle: str
    state: str
    approved: bool
    active: bool
    last_pull_at: datetime | None
    posts_pulled: int
    reads_spent: int
    last_error: str | None
    deferred_until: datetime | None
    failed_pages: int
    quarantined_files: int
    school_id: int | None
    creator_id: int | None


def _counts(session: Session, column: object, model: type, *where: object) -> dict[int, int]:
    rows = session.exec(
        select(column, func.count()).where(*where).group_by(column)  # type: ignore[call-overload]
    ).all()
    return {account_id: n for account_id, n in rows}


def account_health(
    session: Session, *, states: Sequence[AccountState] | None = None
) -> list[AccountHealth]:
    """Every account (or those in `states`), ordered by id."""
    stmt = select(Account).order_by(col(Account.id))
    if states:
        stmt = stmt.where(col(Account.state).in_([str(s) for s in states]))
    accounts = session.exec(stmt).all()
    failures = _counts(session, PullFailure.account_id, PullFailure)
    quarantined = _counts(
        session, InboxFile.account_id, InboxFile, InboxFile.status == FileStatus.QUARANTINED
    )
    return [
        AccountHealth(
            account_id=a.id,  # type: ignore[arg-type]
            platform=str(a.platform),
            handle=a.handle,
            state=str(a.state),
            approved=a.is_approved,
            active=a.active,
            last_pull_at=a.last_pull_at,
            posts_pulled=a.posts_pulled,
            reads_spent=a.reads_spent,
            last_error=a.last_error,
            deferred_until=a.deferred_until,
            failed_pages=failures.get(a.id, 0),  # type: ignore[arg-type]
            quarantined_files=quarantined.get(a.id, 0),  # type: ignore[arg-type]
            school_id=a.school_id,
            creator_id=a.creator_id,
        )
        for a in accounts
    ]


def needing_reauth(session: Session) -> list[AccountHealth]:
    """The notification hook: accounts IT must re-connect (state `needs_reauth`)."""
    return account_health(session, states=[AccountState.NEEDS_REAUTH])
