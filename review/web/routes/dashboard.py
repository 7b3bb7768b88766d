"""Dashboard: findings over time per school and per policy section, and how long the queue waits.

Every figure is computed from the items the viewer may see, drawn as SVG on the server.
"""

from __future__ import annotations

from collections import Counter

from fastapi import APIRouter, Request
from fastapi.responses import Response

from review.domain import authz
from review.web import charts
from review.web.deps import Db, User
from review.web.deps import render as page
from storage.models import ItemState
from storage.types import utcnow

router = APIRouter()
SVG = "image/svg+xml"


@router.get("/dashboard")
def dashboard(request: Request, db: Db, user: User) -> Response:
    now = utcnow()
    contexts = authz.visible_contexts(db, user)
    live = [c for c in contexts if not ItemState(c.item.state).is_closed]
    return page(
        request,
        "dashboard.html",
        {
            "by_school": charts.findings_over_time(contexts, by="school", now=now),
            "by_section": charts.findings_over_time(contexts, by="section", now=now),
            "age": charts.queue_age(contexts, now=now),
            "states": Counter(str(c.item.state) for c in contexts),
            "overdue": sum(1 for c in live if c.item.due_at < now),
            "live": len(live),
        },
    )


@router.get("/dashboard/findings.svg")
def findings_svg(db: Db, user: User, by: str = "school") -> Response:
    contexts = authz.visible_contexts(db, user)
    fig = charts.findings_over_time(
        contexts, by="section" if by == "section" else "school", now=utcnow()
    )
    return Response(charts.bar_svg(fig), media_type=SVG)


@router.get("/dashboard/queue-age.svg")
def queue_age_svg(db: Db, user: User) -> Response:
    fig = charts.queue_age(authz.visible_contexts(db, user), now=utcnow())
    return Response(charts.bar_svg(fig), media_type=SVG)
