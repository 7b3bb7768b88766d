"""Pulling: every approved account's new posts, page by page, each page stored with its cursor.

Nothing here imports Airflow. Each function takes and returns ids or small frozen results, so the
DAG's XComs carry ids only and every step is testable on its own.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from connectors.base import Connector, Cursor, Page
from connectors.errors import (
    AuthExpired,
    ConnectorError,
    MalformedPayload,
    RateLimited,
    TransientError,
)
from pipeline import pull_steps
from pipeline.config import PipelineConfig
from pipeline.credentials import CredentialSource, MissingConnection, caching, from_environment
from storage import crud
from storage.db import session_scope
from storage.models import Account, AccountState
from storage.types import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PullResult:
    """What one account's pull did; also what `accounts health` later shows."""

    account_id: int
    state: AccountState | str
    new: int = 0
    changed: int = 0
    pages: int = 0
    reads: int = 0
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ShardResult:
    """What pulling one shard did: counts only (the DAG's XCom stays small)."""

    accounts: int = 0
    ok: int = 0
    deferred: int = 0
    failed: int = 0
    new: int = 0
    changed: int = 0
    reads: int = 0


def list_accounts(config: PipelineConfig) -> list[int]:
    """Ids of active accounts with a recorded Headteacher approval (section 4): nothing else."""
    with session_scope(config.engine) as session:
        return crud.pullable_account_ids(session)


def _fetch_with_retry(
    connector: Connector[Cursor], request: object, *, attempts: int, base_delay: float
) -> object:
    """Bounded retries with exponential backoff and full jitter, for transient faults only."""
    for attempt in range(1, attempts + 1):
        try:
            return connector.fetch(request)  # type: ignore[arg-type]
        except TransientError:
            if attempt == attempts:
                raise
            time.sleep(random.uniform(0, base_delay * 2 ** (attempt - 1)))
    raise AssertionError("unreachable")


def pull_account(
    account_id: int,
    config: PipelineConfig,
    *,
    credentials: CredentialSource = from_environment,
    retry_attempts: int = 3,
    retry_base_delay: float = 1.0,
) -> PullResult:
    """Pull what is new for one account; never raises for platform or data faults.

    Each page's posts and the cursor that follows them are stored in one transaction, so a crash
    between pages re-pulls at most one page and an upsert makes that harmless.
    """
    engine = config.engine
    with session_scope(engine) as session:
        account = session.get(Account, account_id)
        if account is None:
            return PullResult(account_id, "missing", error=f"no account {account_id}")
        if not (account.active and account.is_approved):
            # Section 4: never pull an unapproved or deactivated account, whatever asked for it.
            return PullResult(account_id, "skipped", error="not active and approved (section 4)")
        if account.deferred_until and account.deferred_until > utcnow():
            return PullResult(account_id, AccountState.DEFERRED, error="rate-limited until reset")
        snapshot = Account.model_validate(account.model_dump())

    def finish(state: AccountState, error: str | None = None, **kw: object) -> PullResult:
        with session_scope(engine) as session:
            acc = session.get(Account, account_id)
            assert acc is not None
            crud.record_pull(session, account=acc, state=state, error=error, **kw)  # type: ignore[arg-type]
        if error:
            log.warning("account %s: %s: %s", account_id, state, error)
        return PullResult(account_id, state, error=error)

    try:
        connector = pull_steps.connector_for(snapshot, config, credentials)
        cursor = connector.cursor_type.from_json(snapshot.cursor)
    except MissingConnection as exc:
        return finish(AccountState.NEEDS_REAUTH, str(exc))
    except (ValueError, TypeError) as exc:
        return finish(AccountState.FAILED, f"cannot start pull: {exc}")

    new = changed = reads = pages = 0
    token: str | None = None

    def failed(state: AccountState, error: str, **kw: object) -> PullResult:
        r = finish(state, error, **kw)
        return PullResult(account_id, r.state, new, changed, pages, reads, r.error)

    try:
        while pages < config.pull.max_pages_per_cycle:
            payload = _fetch_with_retry(
                connector,
                connector.request(cursor, token),
                attempts=retry_attempts,
                base_delay=retry_base_delay,
            )
            page: Page = connector.parse_page(payload)
            cursor = connector.advance(cursor, page)
            pages += 1
            reads += page.reads
            with session_scope(engine) as session:
                acc = session.get(Account, account_id)
                assert acc is not None
                n, c = pull_steps.store_page(session, account=acc, page=page)
                new, changed = new + n, changed + c
                crud.record_pull(
                    session,
                    account=acc,
                    state=AccountState.OK,
                    posts=n,
                    reads=page.reads,
                    cursor=cursor.to_json(),
                )
            token = page.next_page
            if not token:
                break
    except RateLimited as exc:
        return failed(AccountState.DEFERRED, str(exc), deferred_until=exc.reset_at)
    except AuthExpired as exc:
        return failed(AccountState.NEEDS_REAUTH, f"re-authorisation needed: {exc}")
    except ConnectorError as exc:
        if isinstance(exc, MalformedPayload):
            pull_steps.record_malformed(engine, account_id, exc)
        return failed(AccountState.FAILED, f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # a bug or surprise in one account must not stop the others
        log.exception("account %s: unexpected failure", account_id)
        return failed(AccountState.FAILED, f"unexpected {type(exc).__name__}: {exc}")
    pull_steps.check_deletions(connector, account_id, engine, config.pull)
    log.info("account %s: %d new, %d edited, %d pages", account_id, new, changed, pages)
    return PullResult(account_id, AccountState.OK, new, changed, pages, reads)


def pull_shard(
    account_ids: Sequence[int],
    config: PipelineConfig,
    *,
    credentials: CredentialSource = from_environment,
) -> ShardResult:
    """Pull a shard's accounts one after another (`pipeline.sharding` made the shard).

    `pull_account` records every platform fault on its account and never raises for one, so
    one account's failure never costs the rest of the shard. Accounts sharing a Connection (one
    app token for a trust) cost the secrets backend one lookup per shard, not one per account.
    """
    cached = caching(credentials)
    ok = deferred = failed = new = changed = reads = 0
    for account_id in account_ids:
        r = pull_account(account_id, config, credentials=cached)
        ok += r.state == AccountState.OK
        deferred += r.state == AccountState.DEFERRED
        failed += r.state not in (AccountState.OK, AccountState.DEFERRED)
        new, changed, reads = new + r.new, changed + r.changed, reads + r.reads
    result = ShardResult(len(account_ids), ok, deferred, failed, new, changed, reads)
    log.info("shard pulled", extra=asdict(result))
    return result
