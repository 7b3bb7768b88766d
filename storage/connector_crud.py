"""Keyword-only CRUD for the connectors' tables; the caller owns the transaction."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, delete, select

from storage.connector_models import (
    ConnectorAccount,
    FileStatus,
    InboxFile,
    PostExtra,
    PostKind,
    PullFailure,
)
from storage.models import Account, ItemState, Post, PostCreate, ReviewItem
from storage.types import utcnow

RAW_CAP = 64 * 1024  # bytes of a failed page kept for diagnosis

# PostCreate.extra keys that become columns of `post_extra`; the rest is stored as JSON.
THREAD_KEYS = ("kind", "parent_id", "root_id")


def _json(data: Mapping[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)


def store_page(
    session: Session,
    *,
    account: Account,
    posts: Sequence[PostCreate],
    file: Mapping[str, Any] | None,
    new: int,
) -> None:
    """What a page carries besides posts: per-post extras and, for an export, its file record.

    Runs inside the page's transaction, so the extras, the file record, the posts and the cursor
    commit together or not at all.
    """
    upsert_extras(session, account=account, posts=posts)
    if isinstance(file, Mapping):
        status = FileStatus(file["status"])
        session.add(
            InboxFile(
                account_id=account.id,  # type: ignore[arg-type]
                sha256=file["sha256"],
                name=str(file["name"])[:500],
                status=status,
                error=(str(file["error"])[:2000] if file.get("error") else None),
                posts=new,
            )
        )
        if status == FileStatus.QUARANTINED:
            account.last_error = f"quarantined {file['name']}: {file.get('error')}"[:2000]
            session.add(account)
        session.flush()


def upsert_extras(session: Session, *, account: Account, posts: Iterable[PostCreate]) -> None:
    """One `post_extra` row per post (posts are already flushed by `crud.upsert_posts`)."""
    batch = {p.external_id: p for p in posts}
    if not batch:
        return
    ids = dict(
        session.exec(
            select(Post.external_id, Post.id).where(
                Post.platform == account.platform, col(Post.external_id).in_(list(batch))
            )
        ).all()
    )
    existing = {
        e.post_id: e
        for e in session.exec(
            select(PostExtra).where(col(PostExtra.post_id).in_(list(ids.values())))
        ).all()
    }
    for external_id, pulled in batch.items():
        post_id = ids.get(external_id)
        if post_id is None:
            continue
        extra = dict(pulled.extra)
        kind = PostKind(extra.pop("kind", PostKind.POST))
        parent, root = extra.pop("parent_id", None), extra.pop("root_id", None)
        data = _json(extra)
        row = existing.get(post_id)
        if row is None:
            session.add(
                PostExtra(
                    post_id=post_id,
                    kind=kind,
                    parent_external_id=parent,
                    root_external_id=root,
                    data=data,
                )
            )
        elif (row.kind, row.parent_external_id, row.root_external_id, row.data) != (
            kind,
            parent,
            root,
            data,
        ):
            row.kind, row.parent_external_id, row.root_external_id = kind, parent, root
            row.data, row.updated_at = data, utcnow()
            session.add(row)
    session.flush()


def extra_for(session: Session, *, post_id: int) -> dict[str, Any]:
    """A post's extras as one dict (`kind`, `parent_id`, `root_id`, media...); {} when none."""
    row = session.get(PostExtra, post_id)
    if row is None:
        return {}
    return {
        **json.loads(row.data),
        "kind": str(row.kind),
        "parent_id": row.parent_external_id,
        "root_id": row.root_external_id,
    }


# --- failed pages -------------------------------------------------------------------------------


_SECRETS = re.compile(rb"(access_token=|[Bb]earer\s+|\"access(?:Jwt|_token)\"\s*:\s*\")[^&\"\s<]+")


def redact_secrets(raw: bytes) -> bytes:
    """Tokens an answer may echo (Graph's `paging.next?access_token=`, a session's JWT)."""
    return _SECRETS.sub(rb"\1[REDACTED]", raw)


def record_failure(
    session: Session, *, account_id: int, endpoint: str, error: str, raw: bytes
) -> PullFailure:
    """Keep a page we could not parse, capped at `RAW_CAP` bytes and with any token echoed in
    it redacted (the body may still hold personal data: `purge_pull_failures`)."""
    row = PullFailure(
        account_id=account_id,
        endpoint=endpoint[:500] or "?",
        error=error[:2000],
        raw=redact_secrets(raw[:RAW_CAP]),
        raw_size=len(raw),
    )
    session.add(row)
    session.flush()
    return row


def failures_for(session: Session, *, account_id: int) -> Sequence[PullFailure]:
    return session.exec(
        select(PullFailure)
        .where(PullFailure.account_id == account_id)
        .order_by(col(PullFailure.id))
    ).all()


def purge_pull_failures(session: Session, *, older_than: datetime) -> int:
    """Delete recorded raw pages older than `older_than` (retention); returns how many."""
    result = session.exec(delete(PullFailure).where(col(PullFailure.at) < older_than))
    return int(result.rowcount or 0)


# --- group inboxes --------------------------------------------------------------------------------


def inbox_files(session: Session, *, account_id: int) -> dict[str, tuple[str, str | None]]:
    """sha256 -> (status, error) of every file this account's inbox has seen."""
    rows = session.exec(
        select(InboxFile.sha256, InboxFile.status, InboxFile.error).where(
            InboxFile.account_id == account_id
        )
    ).all()
    return {sha: (str(status), error) for sha, status, error in rows}


def connector_account(session: Session, *, account_id: int) -> ConnectorAccount:
    row = session.get(ConnectorAccount, account_id)
    if row is None:
        row = ConnectorAccount(account_id=account_id)
        session.add(row)
        session.flush()
    return row


def set_inbox_path(session: Session, *, account_id: int, path: str | None) -> None:
    row = connector_account(session, account_id=account_id)
    row.inbox_path = path
    session.add(row)


def inbox_path(session: Session, *, account_id: int) -> str | None:
    row = session.get(ConnectorAccount, account_id)
    return row.inbox_path if row else None


# --- deletions ------------------------------------------------------------------------------------


def deletion_candidates(
    session: Session, *, account: Account, window: timedelta | None, limit: int
) -> list[str]:
    """External ids worth asking about: posts with an open review item, then (when the
    platform's reads are cheap) those created within `window`, newest first, at most `limit`."""
    open_states = [str(ItemState.OPEN), str(ItemState.ESCALATED)]
    reviewed = session.exec(
        select(Post.external_id)
        .join(ReviewItem, col(ReviewItem.post_id) == col(Post.id))
        .where(
            Post.account_id == account.id,
            col(Post.deleted).is_(False),
            col(ReviewItem.state).in_(open_states),
        )
        .order_by(col(Post.created_at).desc())
        .limit(limit)
    ).all()
    ids = list(dict.fromkeys(reviewed))
    if window is not None and len(ids) < limit:
        recent = session.exec(
            select(Post.external_id)
            .where(
                Post.account_id == account.id,
                col(Post.deleted).is_(False),
                col(Post.created_at) >= utcnow() - window,
            )
            .order_by(col(Post.created_at).desc())
            .limit(limit)
        ).all()
        for external_id in recent:
            if len(ids) >= limit:
                break
            if external_id not in ids:
                ids.append(external_id)
    return ids


def mark_deleted(session: Session, *, account: Account, external_ids: Iterable[str]) -> int:
    """Flag posts gone upstream; the rows stay (an open review item may still need them)."""
    wanted = list(external_ids)
    if not wanted:
        return 0
    posts = session.exec(
        select(Post).where(
            Post.account_id == account.id,
            col(Post.external_id).in_(wanted),
            col(Post.deleted).is_(False),
        )
    ).all()
    for post in posts:
        post.deleted, post.updated_at = True, utcnow()
        session.add(post)
    session.flush()
    return len(posts)


def deletions_checked(session: Session, *, account_id: int, at: datetime) -> None:
    row = connector_account(session, account_id=account_id)
    row.deletions_checked_at = at
    session.add(row)


def deletions_checked_at(session: Session, *, account_id: int) -> datetime | None:
    row = session.get(ConnectorAccount, account_id)
    return row.deletions_checked_at if row else None
