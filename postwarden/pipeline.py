"""The monitoring cycle as plain functions: the DAG's tasks and the CLI's `run` both call these.

Nothing here imports Airflow. Each function takes and returns ids or small frozen results, so the
DAG's XComs carry ids only and every step is testable on its own.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Protocol

from sqlalchemy.engine import Engine
from sqlmodel import Session

from connectors.base import Connector, Credentials, Cursor, Page
from connectors.errors import (
    AuthExpired,
    ConnectorError,
    MalformedPayload,
    RateLimited,
    TransientError,
)
from connectors.registry import build_connector, resolve_credentials
from detectors.base import Finding, Severity
from detectors.knowledge import DetectionContext
from postwarden import pull_steps
from postwarden.credentials import CredentialSource, MissingConnection, from_environment
from postwarden.housekeeping import drop_unflagged_text
from postwarden.routing import choose_reviewer
from postwarden.settings import Settings, get_settings
from storage import crud
from storage.db import get_engine, session_scope
from storage.models import Account, AccountState, Person, Post, ReviewItem, Role
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
class ScanResult:
    scanned: int = 0
    findings: int = 0
    items_opened: int = 0
    items_updated: int = 0
    failed_post_ids: tuple[int, ...] = field(default_factory=tuple)


def _engine(settings: Settings) -> Engine:
    return get_engine(settings.resolved_database_url)


# --- listing -----------------------------------------------------------------------------------


def list_accounts(settings: Settings | None = None) -> list[int]:
    """Ids of active accounts with a recorded Headteacher approval (section 4): nothing else."""
    settings = settings or get_settings()
    with session_scope(_engine(settings)) as session:
        return crud.pullable_account_ids(session)


# --- pulling -----------------------------------------------------------------------------------


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
    *,
    settings: Settings | None = None,
    credentials: CredentialSource = from_environment,
    retry_attempts: int = 3,
    retry_base_delay: float = 1.0,
) -> PullResult:
    """Pull what is new for one account; never raises for platform or data faults.

    Each page's posts and the cursor that follows them are stored in one transaction, so a crash
    between pages re-pulls at most one page and an upsert makes that harmless.
    """
    settings = settings or get_settings()
    engine = _engine(settings)
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
        creds = resolve_credentials(snapshot, credentials)
        connector = build_connector(snapshot, creds, settings)
        cursor = connector.cursor_type.from_json(snapshot.cursor)
    except MissingConnection as exc:
        return finish(AccountState.NEEDS_REAUTH, str(exc))
    except (ValueError, TypeError) as exc:
        return finish(AccountState.FAILED, f"cannot start pull: {exc}")

    new = changed = reads = pages = 0
    token: str | None = None
    try:
        while pages < settings.max_pages_per_cycle:
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
        r = finish(AccountState.DEFERRED, str(exc), deferred_until=exc.reset_at)
        return PullResult(account_id, r.state, new, changed, pages, reads, r.error)
    except AuthExpired as exc:
        r = finish(AccountState.NEEDS_REAUTH, f"re-authorisation needed: {exc}")
        return PullResult(account_id, r.state, new, changed, pages, reads, r.error)
    except ConnectorError as exc:
        if isinstance(exc, MalformedPayload):
            pull_steps.record_malformed(engine, account_id, exc)
        r = finish(AccountState.FAILED, f"{type(exc).__name__}: {exc}")
        return PullResult(account_id, r.state, new, changed, pages, reads, r.error)
    except Exception as exc:  # a bug or surprise in one account must not stop the others
        log.exception("account %s: unexpected failure", account_id)
        r = finish(AccountState.FAILED, f"unexpected {type(exc).__name__}: {exc}")
        return PullResult(account_id, r.state, new, changed, pages, reads, r.error)
    pull_steps.check_deletions(connector, account_id, engine, settings)
    log.info("account %s: %d new, %d edited, %d pages", account_id, new, changed, pages)
    return PullResult(account_id, AccountState.OK, new, changed, pages, reads)


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


def pull_shard(
    account_ids: Sequence[int],
    *,
    settings: Settings | None = None,
    credentials: CredentialSource = from_environment,
) -> ShardResult:
    """Pull a shard's accounts one after another (`postwarden.sharding` made the shard).

    `pull_account` records every platform fault on its account and never raises for one, so
    one account's failure never costs the rest of the shard. Accounts sharing a Connection (one
    app token for a trust) cost the secrets backend one lookup per shard, not one per account.
    """
    settings = settings or get_settings()
    found: dict[str, Credentials] = {}

    def cached(conn_id: str) -> Credentials:
        if conn_id not in found:
            found[conn_id] = credentials(conn_id)  # a missing one raises, and is not cached
        return found[conn_id]

    ok = deferred = failed = new = changed = reads = 0
    for account_id in account_ids:
        r = pull_account(account_id, settings=settings, credentials=cached)
        ok += r.state == AccountState.OK
        deferred += r.state == AccountState.DEFERRED
        failed += r.state not in (AccountState.OK, AccountState.DEFERRED)
        new, changed, reads = new + r.new, changed + r.changed, reads + r.reads
    result = ShardResult(len(account_ids), ok, deferred, failed, new, changed, reads)
    log.info("shard pulled", extra=asdict(result))
    return result


# --- detecting and routing ---------------------------------------------------------------------


class Stack(Protocol):
    """The face of `detectors.stack.DetectorStack` the pipeline needs (tests pass fakes)."""

    def detect_many(self, texts: Sequence[str]) -> list[list[Finding]]: ...


def load_stack(settings: Settings) -> Stack:
    from detectors.stack import DetectorStack

    return DetectorStack.from_settings(settings)  # type: ignore[return-value]


def _detect(
    stack: Stack, texts: list[str], contexts: list[DetectionContext] | None
) -> list[list[Finding]]:
    """Per-account context (rosters, allowlists) goes to stacks that take it (DetectorStack)."""
    if contexts is not None and getattr(stack, "takes_contexts", False):
        return stack.detect_many(texts, contexts=contexts)  # type: ignore[call-arg]
    return stack.detect_many(texts)


def _detect_batch(
    stack: Stack, texts: list[str], contexts: list[DetectionContext] | None = None
) -> list[list[Finding] | None]:
    """Batch first; if the batch fails, isolate the hostile post so the rest are still scanned."""
    try:
        return list(_detect(stack, texts, contexts))
    except Exception:
        log.exception("batch detection failed; retrying post by post")
    out: list[list[Finding] | None] = []
    for i, text in enumerate(texts):
        try:
            out.append(_detect(stack, [text], contexts[i : i + 1] if contexts else None)[0])
        except Exception:
            log.exception("detection failed for one post")
            out.append(None)
    return out


def scan_pending(
    *,
    settings: Settings | None = None,
    stack: Stack | None = None,
    load: Callable[[Settings], Stack] = load_stack,
    credentials: CredentialSource = from_environment,
    fetch_media: MediaFetcher | None = None,
) -> ScanResult:
    """Scan every post whose current text is unscanned, store findings and open review items.

    Images a post carries are fetched through its account's connector (hence `credentials`),
    scanned with the same stack and dropped: only their findings are kept.
    """
    settings = settings or get_settings()
    engine = _engine(settings)
    fetch_media = fetch_media or media_fetcher(settings, credentials)
    threshold = settings.review_min_severity
    scanned = n_findings = opened = updated = 0
    failed: list[int] = []
    after_id = 0
    while True:
        with session_scope(engine) as session:
            posts = crud.posts_to_scan(session, limit=settings.detect_batch_size, after_id=after_id)
            if not posts:
                break
            after_id = posts[-1].id or after_id
            stack = stack or load(settings)
            contexts = [DetectionContext(account_id=p.account_id) for p in posts]
            texts = _detect_batch(stack, [p.text or "" for p in posts], contexts)
            # Images are fetched before the batch writes anything, so no database write lock is
            # held while waiting on the network.
            results = [
                None if found is None else found + _image_findings(stack, post, ctx, fetch_media)
                for post, found, ctx in zip(posts, texts, contexts, strict=True)
            ]
            for post, findings in zip(posts, results, strict=True):
                if findings is None:
                    failed.append(post.id)  # type: ignore[arg-type]
                    continue
                crud.replace_findings(session, post=post, findings=findings)
                scanned += 1
                n_findings += len(findings)
                due = [f for f in findings if Severity(f.severity).rank >= threshold.rank]
                if not due:
                    # Minimisation: nobody will review it, so keep ids and hash, not text.
                    drop_unflagged_text(session, post=post)
                    continue
                _, was_opened = _route(session, post=post, findings=due, settings=settings)
                opened += was_opened
                updated += not was_opened
    return ScanResult(scanned, n_findings, opened, updated, tuple(failed))


MediaFetcher = Callable[[int], Sequence[bytes]]


def media_fetcher(settings: Settings, credentials: CredentialSource) -> MediaFetcher:
    """Image bytes of a stored post, fetched through its account's own connector."""

    def fetch(post_id: int) -> list[bytes]:
        media = pull_steps.fetch_post_media(post_id, settings=settings, credentials=credentials)
        return [m.data for m in media]

    return fetch


def _image_findings(
    stack: Stack, post: Post, context: DetectionContext, fetch: MediaFetcher
) -> list[Finding]:
    """Findings from the post's images (EXIF location, a named child's face, text in the
    picture). A picture that cannot be fetched or read costs its findings, never the post's."""
    from detectors.images import ImageScanError, scan_image

    def text_detector(text: str) -> list[Finding]:
        return _detect(stack, [text], [context])[0]

    try:
        images = fetch(post.id)  # type: ignore[arg-type]
    except Exception as exc:
        log.warning("post %s: images not fetched: %s", post.id, type(exc).__name__)
        return []
    found: list[Finding] = []
    for data in images:
        try:
            found.extend(scan_image(data, caption=post.text or "", text_detector=text_detector))
        except ImageScanError as exc:
            log.warning("post %s: image not scanned: %s", post.id, exc)
    return found


def _route(
    session: Session, *, post: Post, findings: list[Finding], settings: Settings
) -> tuple[ReviewItem, bool]:
    """Open or refresh the post's one review item, assigned per sections 4, 5 and 12."""
    account = session.get(Account, post.account_id)
    assert account is not None
    creator = session.get(Person, account.creator_id) if account.creator_id else None
    author = crud.person_by_handle(session, platform=post.platform, handle=post.author_handle)

    def with_role(role: Role) -> Sequence[Person]:
        return crud.people_with_role(session, role=role)

    from postwarden.review_actions import concerns_for  # section 5: whom the post concerns

    route = choose_reviewer(
        account=account,
        creator=creator,
        author=author,
        people_with_role=with_role,
        concerns=concerns_for(session, post=post, account=account),
    )
    severity = Severity.highest([f.severity for f in findings])
    return crud.open_or_update_item(
        session,
        post=post,
        severity=severity,
        assignee_id=route.assignee_id,
        reason=route.reason,
        due_in=timedelta(hours=settings.due_hours(severity)),
    )


def run_cycle(
    *,
    settings: Settings | None = None,
    credentials: CredentialSource = from_environment,
    progress: Callable[[str], None] = lambda _msg: None,
) -> tuple[list[PullResult], ScanResult]:
    """One whole cycle without a scheduler: pull every account, then scan and route."""
    settings = settings or get_settings()
    results = []
    ids = list_accounts(settings)
    progress(f"pulling {len(ids)} approved account(s)")
    for account_id in ids:
        result = pull_account(account_id, settings=settings, credentials=credentials)
        progress(
            f"  account {account_id}: {result.state} (+{result.new} new, {result.changed} edited)"
            + (f" — {result.error}" if result.error else "")
        )
        results.append(result)
    scan = scan_pending(settings=settings, credentials=credentials)
    progress(
        f"scanned {scan.scanned} post(s): {scan.findings} finding(s), "
        f"{scan.items_opened} review item(s) opened, {scan.items_updated} updated"
    )
    return results, scan
