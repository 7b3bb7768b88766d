"""Connector steps of `pipeline.pull_account` that are not the page loop itself.

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
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from connectors.base import Page, PulledPost
from connectors.errors import ConnectorError, MalformedPayload
from postwarden.settings import Settings
from storage import connector_crud, crud
from storage.db import get_engine, session_scope
from storage.models import Account, Post
from storage.types import utcnow

log = logging.getLogger(__name__)


def adopt_edits(session: Session, *, account: Account, posts: tuple[PulledPost, ...]) -> int:
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
    adopt_edits(session, account=account, posts=page.posts)
    new, changed = crud.upsert_posts(session, account=account, posts=page.posts)
    connector_crud.store_page(session, account=account, page=page, new=new)
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


def check_deletions(connector: Any, account_id: int, engine: Engine, settings: Settings) -> int:
    """Mark stored posts the platform no longer has; returns how many. Never raises for the
    platform: a failed check is logged and tried again next time."""
    lookup = getattr(connector, "lookup", None)
    if lookup is None or settings.deletion_check_max == 0:
        return 0
    window_days = getattr(connector, "deletion_window", None)
    now = utcnow()
    with session_scope(engine) as session:
        account = session.get(Account, account_id)
        assert account is not None
        last = connector_crud.deletions_checked_at(session, account_id=account_id)
        if last is not None and now - last < timedelta(minutes=settings.deletion_check_minutes):
            return 0
        candidates = connector_crud.deletion_candidates(
            session,
            account=account,
            window=window_days if isinstance(window_days, timedelta) else None,
            limit=settings.deletion_check_max,
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
    *,
    settings: Settings,
    credentials: Any,
    limit: int = 4,
) -> list[Any]:
    """Image bytes of a stored post (`connectors.http.Media`, capped), for image detectors.

    Goes through the account's own connector (same session, host override and size cap). A
    medium that cannot be fetched is logged and skipped; videos give their preview image.
    """
    from connectors.registry import build_connector, resolve_credentials

    engine = _engine_of(settings)
    with session_scope(engine) as session:
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
    connector = build_connector(snapshot, resolve_credentials(snapshot, credentials), settings)
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


def _engine_of(settings: Settings) -> Engine:
    return get_engine(settings.resolved_database_url)
