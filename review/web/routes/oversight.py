"""Role changes waiting for a second person (section 5): the CEO and the Trustees confirm or
refuse what the Director of IT asked for, and see the changes decided lately."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import select

from review.domain import authz, roles
from review.domain.account_mail import RoleEvent, role_change_mails, send_now
from review.web.deps import Cfg, Db, User, flash
from review.web.deps import render as page
from review.web.security import valid_id
from storage.models import Person
from storage.review_crud import recent_role_changes
from storage.review_models import RoleChange, RoleChangeState


def require_overseer(user: User) -> Person:
    if user.role not in authz.OVERSEERS:
        raise HTTPException(403, "Only the CEO and the Trustees confirm role changes.")
    return user


router = APIRouter(prefix="/role-changes", dependencies=[Depends(require_overseer)])


@router.get("")
def role_changes(request: Request, db: Db, user: User) -> Response:
    people = {p.id: p for p in db.exec(select(Person)).all()}
    return page(
        request,
        "role_changes.html",
        {
            "pending": roles.pending_for(db, user),
            "recent": recent_role_changes(db, limit=50),
            "people": people,
        },
    )


def _decide(
    request: Request, db: Db, user: User, settings: Cfg, change_id: int, *, confirm: bool
) -> Response:
    change = db.get(RoleChange, valid_id(change_id))
    if change is None:
        raise HTTPException(404, "No such role change.")
    if not authz.may_confirm_role_change(user, change):
        raise HTTPException(403, "This role change is not yours to decide.")
    if change.state != RoleChangeState.PENDING:
        raise HTTPException(409, f"This role change was already {change.state}.")
    try:
        if confirm:
            person = roles.confirm(db, change=change, actor=user)
        else:
            person = roles.refuse(db, change=change, actor=user)
    except roles.RoleChangeError as exc:
        db.rollback()
        flash(request, str(exc), "error")
        return RedirectResponse("/role-changes", status_code=303)
    db.commit()
    event = RoleEvent.CONFIRMED if confirm else RoleEvent.REFUSED
    mails = role_change_mails(db, person=person, change=change, event=event, config=settings.review)
    problem = send_now(db, mails, settings.smtp)
    db.commit()
    done = "confirmed: the new role is in effect" if confirm else "refused: nothing changed"
    told = f" ({problem}: tell them yourself)" if problem else f" {person.name} was told by mail."
    flash(request, f"Role change for {person.name} {done}.{told}", "error" if problem else "ok")
    return RedirectResponse("/role-changes", status_code=303)


@router.post("/{change_id}/confirm")
def confirm(request: Request, change_id: int, db: Db, user: User, settings: Cfg) -> Response:
    return _decide(request, db, user, settings, change_id, confirm=True)


@router.post("/{change_id}/refuse")
def refuse(request: Request, change_id: int, db: Db, user: User, settings: Cfg) -> Response:
    return _decide(request, db, user, settings, change_id, confirm=False)
