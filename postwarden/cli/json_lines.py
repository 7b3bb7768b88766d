"""One JSON object per line for `review list --json` and `accounts health --json`, so scripts and
tests read fields instead of parsing the tables. No post text: where to look and why, as the
tables show (a finding's explanation already says which part of a post it was in)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session

from connectors.parts import part_at
from storage import connector_crud, crud
from storage.health import AccountHealth
from storage.models import Account, Person, Post, ReviewItem


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def dumps(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, sort_keys=True)


def item_records(session: Session, items: Sequence[ReviewItem]) -> Iterator[dict[str, Any]]:
    """Each review item with its account, post id, url, posted time and findings."""
    for item in items:
        post = session.get(Post, item.post_id)
        assert post is not None
        account = session.get(Account, post.account_id)
        assignee = session.get(Person, item.assignee_id) if item.assignee_id else None
        parts = connector_crud.extra_for(session, post_id=post.id).get("parts") or []  # type: ignore[arg-type]
        findings = []
        for f in crud.findings_for(session, post_id=post.id):  # type: ignore[arg-type]
            part = part_at(parts, f.start, f.end) if isinstance(parts, list) else None
            findings.append(
                {
                    "type": f.type,
                    "section": f.section,
                    "severity": str(f.severity),
                    "score": round(float(f.score), 4),
                    "start": f.start,
                    "end": f.end,
                    "part": part.get("kind") if part else "body",
                    "explanation": f.explanation,
                }
            )
        yield {
            "item_id": item.id,
            "state": str(item.state),
            "severity": str(item.severity),
            "due_at": _iso(item.due_at),
            "assignee": assignee.name if assignee else None,
            "route_reason": item.route_reason,
            "account": {
                "id": account.id if account else None,
                "platform": str(account.platform) if account else None,
                "handle": account.handle if account else None,
            },
            "post_id": post.external_id,
            "url": post.url,
            "posted_at": _iso(post.created_at),
            "author": post.author_handle,
            "deleted": post.deleted,
            "findings": findings,
        }


def health_records(rows: Sequence[AccountHealth]) -> Iterator[dict[str, Any]]:
    """Each account's state, last pull, counts and last error (as `accounts health` shows)."""
    for h in rows:
        yield {
            "account_id": h.account_id,
            "platform": str(h.platform),
            "handle": h.handle,
            "state": str(h.state),
            "approved": h.approved,
            "active": h.active,
            "pulled": h.approved and h.active,
            "last_pull_at": _iso(h.last_pull_at),
            "posts_pulled": h.posts_pulled,
            "reads_spent": h.reads_spent,
            "deferred_until": _iso(h.deferred_until),
            "failed_pages": h.failed_pages,
            "quarantined_files": h.quarantined_files,
            "last_error": h.last_error,
        }
