"""My queue, the item page, the four actions and the export of one item.

Acts and exports are POSTs (so they carry the CSRF token): a link on another site cannot make a
signed-in browser write to an item's record. Every act goes through `_perform`, the one place that
commits it or, on an `ActionError`, rolls it back and says why.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import col, select

from core.findings import Severity
from review.domain import actions as acts
from review.domain import authz, export, post_view, render, routing
from review.domain.actions import ActionError, EscalateTo, ResolveOutcome
from review.domain.context import ItemContext, load_context
from review.web import policy_text
from review.web.deps import Cfg, Db, User, flash, roster_key
from review.web.deps import render as page
from review.web.security import valid_id
from storage import connector_crud, crud
from storage.models import FindingRow, ItemState, Person, Post, ReviewItem, Role
from storage.review_models import ReferralTarget

router = APIRouter()

STATE_FILTERS = {
    "active": [ItemState.OPEN, ItemState.ESCALATED],
    "open": [ItemState.OPEN],
    "escalated": [ItemState.ESCALATED],
    "dismissed": [ItemState.DISMISSED],
    "resolved": [ItemState.RESOLVED],
    "all": list(ItemState),
}
SEVERITIES = tuple(s.value for s in Severity.most_severe_first())
NOTE = Annotated[str, Form(max_length=acts.NOTE_MAX + 100)]


def _item_or_404(db: Db, user: Person, item_id: int) -> ItemContext:
    """The item, if this person may see it; otherwise the same 404 as for a missing item."""
    item = db.get(ReviewItem, valid_id(item_id))
    if item is None:
        raise HTTPException(404, "No such item, or it is not yours to see.")
    ctx = load_context(db, item)
    if not authz.can_view(user, ctx):
        raise HTTPException(404, "No such item, or it is not yours to see.")
    return ctx


def _actable(db: Db, user: Person, item_id: int) -> ItemContext:
    ctx = _item_or_404(db, user, item_id)
    if not authz.can_act(user, ctx):
        raise HTTPException(403, "You may see this item but not act on it (comments are open).")
    return ctx


# --- queue -------------------------------------------------------------------------------------


@router.get("/")
def home() -> Response:
    return RedirectResponse("/queue", status_code=303)


@router.get("/queue")
def queue(
    request: Request,
    db: Db,
    user: User,
    state: str = "active",
    severity: str = "",
    school: Annotated[str, Query(max_length=12)] = "",
    account: Annotated[str, Query(max_length=12)] = "",
    section: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    # Empty choices arrive as "" from the filter form (and from HTMX): they mean "any".
    school_id = int(school) if school.isdigit() else None
    account_id = int(account) if account.isdigit() else None
    stmt = authz.candidate_query(user)
    if severity in SEVERITIES:
        stmt = stmt.where(col(ReviewItem.severity) == severity)
    if section:
        with_section = select(FindingRow.post_id).where(
            (col(FindingRow.section) == section) | col(FindingRow.section).like(f"{section}.%")
        )
        stmt = stmt.where(col(Post.id).in_(with_section))
    visible = authz.visible_contexts(db, user, stmt)
    # Filter choices come from what the person may see anyway, never from the whole trust.
    everything = visible if not (school_id or account_id) else None
    if school_id:
        visible = [c for c in visible if c.school_id == school_id]
    if account_id:
        visible = [c for c in visible if c.account.id == account_id]
    counts = Counter(str(c.item.state) for c in visible)
    wanted = {str(s) for s in STATE_FILTERS.get(state, STATE_FILTERS["active"])}
    rows = [c for c in visible if str(c.item.state) in wanted]
    source = everything if everything is not None else authz.visible_contexts(db, user)
    schools = sorted({(c.school.id, c.school.name) for c in source if c.school}, key=lambda s: s[1])
    accounts = sorted(
        {(c.account.id, f"{c.account.platform}/{c.account.handle}") for c in source},
        key=lambda a: a[1].lower(),
    )
    sections = sorted({f.section for c in source for f in c.findings}, key=_section_key)
    context = {
        "rows": rows[:500],
        "truncated": len(rows) > 500,
        "counts": counts,
        "filters": {
            "state": state if state in STATE_FILTERS else "active",
            "severity": severity,
            "school": school_id,
            "account": account_id,
            "section": section,
        },
        "schools": schools,
        "accounts": accounts,
        "sections": sections,
        "severities": SEVERITIES,
        "state_filters": list(STATE_FILTERS),
        "safeguarding": {c.item.id for c in rows if c.safeguarding},
    }
    template = "_queue_rows.html" if request.headers.get("hx-request") else "queue.html"
    return page(request, template, context)


def _section_key(section: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in section.split("."))


# --- item page ---------------------------------------------------------------------------------


def _people_by_id(db: Db) -> dict[int | None, Person]:
    return {p.id: p for p in db.exec(select(Person)).all()}


def _escalation_preview(db: Db, user: Person, ctx: ItemContext) -> dict[str, object]:
    """Whom each escalation choice would reach, named on the form before anyone clicks."""

    def with_role(role: Role) -> list[Person]:
        return list(crud.people_with_role(db, role=role))

    chain = acts.chain_route(db, ctx=ctx, actor=user)
    leads = [
        p
        for p in routing.safeguarding_leads(
            school_id=ctx.school_id, subjects=ctx.subjects, people_with_role=with_role
        )
        if p.id != user.id
    ]
    return {
        "chain": db.get(Person, chain.assignee_id) if chain.assignee_id else None,
        "chain_reason": chain.reason,
        "dsl": leads[0] if leads else None,
    }


def _phrase(text: str | None, finding: Any) -> tuple[render.Token, ...]:
    phrase = render.excerpt(text, finding)
    if len(phrase) > post_view.PHRASE_MAX:
        phrase = phrase[: post_view.PHRASE_MAX] + "…"
    return render.tokens(phrase)


@router.get("/items/{item_id}")
def item_page(request: Request, item_id: int, db: Db, user: User, settings: Cfg) -> Response:
    ctx = _item_or_404(db, user, item_id)
    acts.record_view(db, ctx=ctx, actor=user)
    db.commit()
    people = _people_by_id(db)
    text = ctx.post.text or ""
    parts = post_view.parts_of(text, connector_crud.extra_for(db, post_id=ctx.post.id))  # type: ignore[arg-type]
    return page(
        request,
        "item.html",
        {
            "ctx": ctx,
            "post": post_view.view(text, ctx.findings, parts),
            "findings": [
                {
                    "n": n,
                    "row": f,
                    "policy": policy_text.section_text(settings, f.section),
                    "phrase": _phrase(ctx.post.text, f),
                }
                for n, f in enumerate(ctx.findings[: post_view.FINDINGS_SHOWN], start=1)
            ],
            "more_findings": max(0, len(ctx.findings) - post_view.FINDINGS_SHOWN),
            "link": render.safe_link(ctx.post.url),
            "author_tokens": render.tokens(ctx.post.author_handle or ""),
            **_history(db, item_id, people),
            "referrals": [(r, people.get(r.made_by_id)) for r in export.referrals(db, item_id)],
            "approver": people.get(ctx.account.approved_by_id),
            "can_act": authz.can_act(user, ctx),
            "can_comment": authz.can_comment(user, ctx),
            "preview": _escalation_preview(db, user, ctx),
            "referral_targets": list(ReferralTarget),
            "outcomes": list(ResolveOutcome),
            "policy_configured": bool(policy_text.sections(settings)),
        },
    )


LOOKS = ("viewed", "exported_print", "exported_json", "exported_pdf")


def _history(db: Db, item_id: int, people: dict[int | None, Person]) -> dict[str, object]:
    """Acts in order; looks (views and exports) summed up per person, to keep the page short."""
    events: list[tuple[Any, Person | None, Person | None]] = []
    looks: dict[str, tuple[int, datetime]] = {}
    for e in export.history(db, item_id):
        if e.action in LOOKS:
            name = people[e.actor_id].name if e.actor_id in people else "unknown"
            count, _ = looks.get(name, (0, e.at))
            looks[name] = (count + 1, e.at)
        else:
            events.append((e, people.get(e.actor_id), people.get(e.assignee_id)))
    return {"events": events, "looks": sorted(looks.items(), key=lambda kv: kv[1][1], reverse=True)}


def _perform(
    request: Request, db: Db, item_id: int, act: Callable[[], object], done: str
) -> Response:
    """Do one act: commit it and say `done`, or on an `ActionError` undo everything it did and
    show why. Either way, back to the item."""
    try:
        act()
    except ActionError as exc:
        db.rollback()
        flash(request, str(exc), "error")
    else:
        db.commit()
        flash(request, done)
    return RedirectResponse(f"/items/{item_id}", status_code=303)


@router.post("/items/{item_id}/dismiss")
def dismiss(
    request: Request,
    item_id: int,
    db: Db,
    user: User,
    settings: Cfg,
    note: NOTE,
    allowlist: Annotated[list[int], Form()] = [],  # noqa: B006  (FastAPI reads, never mutates)
) -> Response:
    ctx = _actable(db, user, item_id)
    extra = f" {len(allowlist)} phrase(s) allowlisted for this account." if allowlist else ""
    return _perform(
        request,
        db,
        item_id,
        lambda: acts.dismiss(
            db,
            ctx=ctx,
            actor=user,
            note=note,
            allowlist_finding_ids=allowlist,
            key=roster_key(settings)[0],
        ),
        "Dismissed as a false positive." + extra,
    )


@router.post("/items/{item_id}/resolve")
def resolve(
    request: Request,
    item_id: int,
    db: Db,
    user: User,
    note: NOTE,
    outcome: Annotated[ResolveOutcome, Form()] = ResolveOutcome.REMOVED,
) -> Response:
    ctx = _actable(db, user, item_id)
    return _perform(
        request,
        db,
        item_id,
        lambda: acts.resolve(db, ctx=ctx, actor=user, note=note, outcome=outcome),
        "Resolved.",
    )


@router.post("/items/{item_id}/escalate")
def escalate(
    request: Request,
    item_id: int,
    db: Db,
    user: User,
    settings: Cfg,
    note: NOTE,
    to: Annotated[EscalateTo, Form()] = EscalateTo.CHAIN,
    referral: Annotated[str, Form()] = "",
    reference: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    ctx = _actable(db, user, item_id)
    try:
        target = ReferralTarget(referral) if referral else None
    except ValueError:
        raise HTTPException(422, "Unknown referral.") from None
    referred = f" Referral recorded: {target.label}." if target else ""
    return _perform(
        request,
        db,
        item_id,
        lambda: acts.escalate(
            db,
            ctx=ctx,
            actor=user,
            note=note,
            to=to,
            referral=target,
            reference=reference,
            config=settings.review,
        ),
        "Escalated." + referred,
    )


@router.post("/items/{item_id}/comment")
def comment(request: Request, item_id: int, db: Db, user: User, note: NOTE) -> Response:
    ctx = _item_or_404(db, user, item_id)
    return _perform(
        request,
        db,
        item_id,
        lambda: acts.comment(db, ctx=ctx, actor=user, note=note),
        "Comment added.",
    )


# --- export ------------------------------------------------------------------------------------


def _export(db: Db, user: Person, item_id: int, what: str) -> dict[str, object]:
    ctx = _item_or_404(db, user, item_id)
    acts.record_view(db, ctx=ctx, actor=user, what=what)
    data = export.record(db, ctx, exported_by=user)
    db.commit()
    return data


@router.post("/items/{item_id}/print")
def print_view(request: Request, item_id: int, db: Db, user: User) -> Response:
    data = _export(db, user, item_id, "exported_print")
    return page(request, "print.html", {"data": export.capped(data), "render": render})


@router.post("/items/{item_id}/export.json")
def export_json(item_id: int, db: Db, user: User) -> Response:
    data = _export(db, user, item_id, "exported_json")
    return Response(
        json.dumps(data, ensure_ascii=True, indent=2),
        media_type="application/json",
        headers={"content-disposition": f'attachment; filename="postwarden-item-{item_id}.json"'},
    )


@router.post("/items/{item_id}/export.pdf")
def export_pdf(item_id: int, db: Db, user: User) -> Response:
    data = _export(db, user, item_id, "exported_pdf")
    return Response(
        export.pdf(data),
        media_type="application/pdf",
        headers={"content-disposition": f'attachment; filename="postwarden-item-{item_id}.pdf"'},
    )
