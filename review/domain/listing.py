"""Review items as plain text lines: the CLI's `review list` and the demo print these.

No post text: only where to look, who holds it and why (the explanations never quote a post).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sqlmodel import Session

from core.findings import Severity
from core.sections import sort_key
from storage import crud
from storage.models import Account, FindingRow, Person, Post, ReviewItem


def item_lines(session: Session, items: Sequence[ReviewItem]) -> Iterator[str]:
    if not items:
        yield "no review items"
        return
    for item in items:
        post = session.get(Post, item.post_id)
        assert post is not None
        account = session.get(Account, post.account_id)
        assignee = session.get(Person, item.assignee_id) if item.assignee_id else None
        findings = crud.findings_for(session, post_id=post.id)  # type: ignore[arg-type]
        sections = sorted({f.section for f in findings}, key=sort_key)
        where = f"{account.platform}/{account.handle}" if account else "?"
        yield (
            f"#{item.id} [{item.severity.upper()}] {item.state} · {where} · "
            f"due {item.due_at:%Y-%m-%d %H:%M} UTC"
        )
        yield f"    reviewer: {assignee.name if assignee else 'unassigned'} — {item.route_reason}"
        yield f"    sections: {', '.join(sections)} · {post.url or ''}"
        for f in most_severe(findings):
            yield f"    - {f.type} ({f.section}, {f.severity}): {f.explanation}"


def most_severe(findings: Sequence[FindingRow], n: int = 3) -> list[FindingRow]:
    """The `n` most severe findings, earliest first within a severity."""
    return sorted(findings, key=lambda f: (-Severity(f.severity).rank, f.start))[:n]
