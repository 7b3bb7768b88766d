"""IT: the audit log, read-only, filtered like the items: the Director of IT never sees who
viewed or acted on an item they may not open (one about themselves or their line manager)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import col, select

from review.domain import authz
from review.domain.context import load_contexts
from review.web.deps import Db, ItUser
from review.web.deps import render as page
from storage.models import Person, ReviewEvent, ReviewItem
from storage.review_crud import audit_entries

router = APIRouter()

SHOWN = 200
BATCH = 500


def visible_events(db: Db, user: ItUser) -> list[ReviewEvent]:
    """The latest `SHOWN` item events whose item `user` may see, newest first."""
    out: list[ReviewEvent] = []
    allowed: dict[int, bool] = {}
    before: int | None = None
    while len(out) < SHOWN:
        stmt = select(ReviewEvent).order_by(col(ReviewEvent.id).desc()).limit(BATCH)
        if before is not None:
            stmt = stmt.where(col(ReviewEvent.id) < before)
        batch = db.exec(stmt).all()
        if not batch:
            break
        unknown = sorted({e.item_id for e in batch} - set(allowed))
        items = db.exec(select(ReviewItem).where(col(ReviewItem.id).in_(unknown))).all()
        for ctx in load_contexts(db, items):
            allowed[ctx.item.id] = authz.can_view(user, ctx)  # type: ignore[index]
        out += [e for e in batch if allowed.get(e.item_id, False)]
        before = batch[-1].id
    return out[:SHOWN]


@router.get("/audit")
def audit_log(request: Request, db: Db, user: ItUser) -> Response:
    people = {p.id: p for p in db.exec(select(Person)).all()}
    return page(
        request,
        "it_audit.html",
        {"entries": audit_entries(db), "events": visible_events(db, user), "people": people},
    )
