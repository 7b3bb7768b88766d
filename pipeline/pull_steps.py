"""Connector steps of `pipeline.pull.pull_account` that are not the page loop itself.

- `connector_for`: the account's connector, from its plug-in, credentials and settings group;
- `store_page`: inside a page's transaction, rename edited posts to their new id, upsert the
  posts, then their extras and (for an export) the file's record;
- `record_malformed`: keep the raw body of a page that could not be parsed (`pull_failure`);
- `check_deletions`: after a pull, ask the platform about stored posts that matter (open review
  items, and for platforms whose reads are free, recent ones) and mark the vanished ones deleted;
- `fetch_post_media`: a stored post's image bytes through its account's connector (image scans).

Deletion per platform: X `GET /2/tweets?ids=` (billed: open review items only), Graph
`GET /{id}` error 100 (Facebook, Instagram; recent posts and comments too), Bluesky
`getPosts` (recent too). Blogs have none (an item dropping off a feed was pushed out, not deleted)
and exports none (a file is a snapshot). A deleted post keeps its row and any review item.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from connectors.base import Access, AccountRef, Credentials, Page, PulledPost
from connectors.errors import ConnectorError, MalformedPayload
from connectors.registry import build_connector, plugin_for
from pipeline.credentials import CredentialSource
from storage import connector_crud, crud
from storage.db import owner_only_home, session_scope
from storage.models import Account, Post, PostCreate
from storage.types import utcnow

if TYPE_CHECKING:
    from pipeline.config import PipelineConfig, PullConfig

log = logging.getLogger(__name__)


def connector_for(account: Account, config: PipelineConfig, credentials: CredentialSource) -> Any:
    """The account's connector. A public or export account without a Connection reads
    anonymously; an export account's inbox and known files come from storage here, so the
    connector itself never touches the database."""
    plugin = plugin_for(account.platform)
    creds: Credentials | None = None
    if plugin.access is Access.TOKEN or (plugin.access is Access.OPTIONAL and account.conn_id):
        creds = credentials(account.conn_id)
    start = None
    if not account.cursor:
        start = utcnow() - timedelta(days=config.pull.backfill_days)
    inbox = known = None
    if plugin.access is Access.NONE:
        inbox, known = _inbox(account, config)
    ref = AccountRef(
        external_id=account.external_id,
        name=account.handle,
        start_time=start,
        inbox=inbox,
        known_files=known,
    )
    return build_connector(account.platform, ref, creds, config.connectors.get(plugin.key))


def default_inbox(root: Path, account: Account) -> Path:
    """`<home>/inboxes/<platform>/<external id>`: where a group's creator drops its exports."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in account.external_id)
    return root / str(account.platform) / safe


def _inbox(account: Account, config: PipelineConfig) -> tuple[Path, Any]:
    engine, account_id = config.engine, account.id
    assert account_id is not None
    with session_scope(engine) as session:
        configured = connector_crud.inbox_path(session, account_id=account_id)

    def known() -> dict[str, tuple[str, str | None]]:
        with session_scope(engine) as session:
            return connector_crud.inbox_files(session, account_id=account_id)

    if configured:
        return Path(configured), known
    inbox = default_inbox(config.inbox_root(), account)
    for folder in (config.inbox_root(), inbox.parent):
        owner_only_home(folder)  # <home>/inboxes and its platform folders: owner-only (0700)
    return inbox, known


def to_create(post: PulledPost) -> PostCreate:
    return PostCreate(**asdict(post))


def adopt_edits(session: Session, *, account: Account, posts: Sequence[PostCreate]) -> int:
    """An edited X post arrives under a new id listing the old ones in `previous_ids`: give the
    stored row the new id, so the upsert updates it (and detection re-runs) instead of adding a
    second post. Returns how many rows were renamed."""
    renamed = 0
    for pulled in posts:
        previous = pulled.extra.get("previous_ids") or ()
        if not previous:
            continue
        if session.exec(
            select(Post.id).where(
                Post.platform == account.platform, Post.external_id == pulled.external_id
            )
        ).first():
            continue
        old = session.exec(
            select(Post).where(
                Post.platform == account.platform, col(Post.external_id).in_(list(previous))
            )
        ).first()
        if old is not None:
            old.external_id = pulled.external_id
            session.add(old)
            renamed += 1
    if renamed:
        session.flush()
    return renamed


def store_page(session: Session, *, account: Account, page: Page) -> tuple[int, int]:
    """Everything a page stores besides the cursor; returns (new, changed) posts."""
    posts = [to_create(p) for p in page.posts]
    adopt_edits(session, account=account, posts=posts)
    new, changed = crud.upsert_posts(session, account=account, posts=posts)
    file = page.meta.get("file")
    connector_crud.store_page(
        session,
        account=account,
        posts=posts,
        file=file if isinstance(file, dict) else None,
        new=new,
    )
    return new, changed


def record_malformed(engine: Engine, account_id: int, exc: MalformedPayload) -> None:
    """Keep the offending page for diagnosis (its own transaction: nothing else was stored)."""
    with session_scope(engine) as session:
        connector_crud.record_failure(
            session,
            account_id=account_id,
            endpoint=exc.endpoint,
            error=str(exc),
            raw=exc.raw,
        )


def check_deletions(connector: Any, account_id: int, engine: Engine, pull: PullConfig) -> int:
    """Mark stored posts the platform no longer has; returns how many. Never raises for the
    platform: a failed check is logged and tried again next time."""
    lookup = getattr(connector, "lookup", None)
    if lookup is None or pull.deletion_check_max == 0:
        return 0
    window_days = getattr(connector, "deletion_window", None)
    now = utcnow()
    with session_scope(engine) as session:
        account = session.get(Account, account_id)
        assert account is not None
        last = connector_crud.deletions_checked_at(session, account_id=account_id)
        if last is not None and now - last < timedelta(minutes=pull.deletion_check_minutes):
            return 0
        candidates = connector_crud.deletion_candidates(
            session,
            account=account,
            window=window_days if isinstance(window_days, timedelta) else None,
            limit=pull.deletion_check_max,
        )
    if not candidates:
        return 0
    try:
        found = lookup(candidates)
    except ConnectorError as exc:
        log.warning("account %s: deletion check failed: %s", account_id, exc)
        return 0
    with session_scope(engine) as session:
        account = session.get(Account, account_id)
        assert account is not None
        marked = connector_crud.mark_deleted(session, account=account, external_ids=found.missing)
        account.reads_spent += found.reads
        session.add(account)
        connector_crud.deletions_checked(session, account_id=account_id, at=now)
    if marked:
        log.info("account %s: %d post(s) deleted upstream", account_id, marked)
    return marked


def fetch_post_media(
    post_id: int,
    config: PipelineConfig,
    *,
    credentials: CredentialSource,
    limit: int = 4,
) -> list[Any]:
    """Image bytes of a stored post (`connectors.http.Media`, capped), for image detectors.

    Goes through the account's own connector (same session, host override and size cap). A
    medium that cannot be fetched is logged and skipped; videos give their preview image.
    """
    with session_scope(config.engine) as session:
        post = session.get(Post, post_id)
        if post is None:
            return []
        account = session.get(Account, post.account_id)
        assert account is not None
        snapshot = Account.model_validate(account.model_dump())
        refs = connector_crud.extra_for(session, post_id=post_id).get("media") or []
    urls = [
        m.get("url") or m.get("preview_image_url")
        for m in refs
        if isinstance(m, dict) and (m.get("url") or m.get("preview_image_url"))
    ][:limit]
    if not urls:
        return []
    connector = connector_for(snapshot, config, credentials)
    fetch = getattr(connector, "fetch_media", None)
    if fetch is None:
        return []
    out = []
    for url in urls:
        try:
            out.append(fetch(url))
        except ConnectorError as exc:
            log.warning("post %s: media not fetched: %s", post_id, exc)
    return out
