"""IT: connected accounts, their section 4 approval by a Headteacher, and their health."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from review.web.deps import Db, ItUser, commit_audited
from review.web.deps import render as page
from review.web.routes.it.common import account_or_404, back, known, person_or_404
from storage import crud
from storage.models import Account, AccountKind, Person, Platform, Role, School

router = APIRouter()


@router.get("/accounts")
def accounts(request: Request, db: Db, user: ItUser) -> Response:
    rows = db.exec(select(Account).order_by(col(Account.id))).all()
    people = {p.id: p for p in db.exec(select(Person)).all()}
    schools = {s.id: s for s in db.exec(select(School)).all()}
    heads = [p for p in people.values() if p.role == Role.HEADTEACHER and p.active]
    return page(
        request,
        "it_accounts.html",
        {
            "accounts": rows,
            "people": people,
            "schools": schools,
            "heads": heads,
            "today": date.today(),
        },
    )


@router.get("/accounts/new")
def new_account(request: Request, db: Db, user: ItUser) -> Response:
    return page(
        request,
        "it_account_new.html",
        {
            "schools": db.exec(select(School).order_by(col(School.name))).all(),
            "people": db.exec(
                select(Person).where(col(Person.active).is_(True)).order_by(col(Person.name))
            ).all(),
            "platforms": list(Platform),
            "kinds": list(AccountKind),
        },
    )


@router.post("/accounts")
def add_account(
    request: Request,
    db: Db,
    user: ItUser,
    platform: Annotated[Platform, Form()],
    external_id: Annotated[str, Form(min_length=1, max_length=200)],
    handle: Annotated[str, Form(min_length=1, max_length=200)],
    kind: Annotated[AccountKind, Form()],
    conn_id: Annotated[str, Form(min_length=1, max_length=250, pattern=r"^[A-Za-z0-9_.-]+$")],
    school_id: Annotated[int | None, Form()] = None,
    creator_id: Annotated[int | None, Form()] = None,
) -> Response:
    if school_id is not None and known(db, School, school_id) is None:
        raise HTTPException(422, "Unknown school.")
    if creator_id is not None and known(db, Person, creator_id) is None:
        raise HTTPException(422, "Unknown creator.")
    try:
        account = crud.create_account(
            db,
            platform=platform,
            external_id=external_id.strip(),
            handle=handle.strip().lstrip("@"),
            kind=kind,
            conn_id=conn_id,
            school_id=school_id,
            creator_id=creator_id,
        )
        commit_audited(
            db,
            actor=user,
            action="account_added",
            object_type="account",
            object_id=account.id,
            detail=f"{platform}/{account.handle}",
        )
    except IntegrityError:
        db.rollback()
        return back(request, "/it/accounts/new", "That account is already connected.", "error")
    return back(
        request,
        "/it/accounts",
        f"Connected {platform}/{account.handle}. It is not monitored until a Headteacher's "
        "approval is recorded (section 4).",
    )


@router.post("/accounts/{account_id}/approve")
def approve(
    request: Request,
    account_id: int,
    db: Db,
    user: ItUser,
    headteacher_id: Annotated[int, Form()],
    approved_on: Annotated[date, Form()],
) -> Response:
    account = account_or_404(db, account_id)
    head = person_or_404(db, headteacher_id)
    if approved_on > date.today():
        return back(request, "/it/accounts", "An approval cannot be dated in the future.", "error")
    try:
        crud.approve_account(db, account=account, headteacher=head, on=approved_on)
    except ValueError as exc:
        db.rollback()
        return back(request, "/it/accounts", str(exc), "error")
    commit_audited(
        db,
        actor=user,
        action="account_approved",
        object_type="account",
        object_id=account.id,
        detail=f"by person {head.id} on {approved_on.isoformat()}",
    )
    return back(request, "/it/accounts", f"Approval by {head.name} recorded for {account.handle}.")


@router.post("/accounts/{account_id}/active")
def account_active(
    request: Request, account_id: int, db: Db, user: ItUser, active: Annotated[bool, Form()]
) -> Response:
    account = account_or_404(db, account_id)
    account.active = active
    db.add(account)
    commit_audited(
        db,
        actor=user,
        action="account_activated" if active else "account_deactivated",
        object_type="account",
        object_id=account.id,
    )
    state = "will be monitored again" if active else "is deactivated: no longer pulled"
    return back(request, "/it/accounts", f"{account.handle} {state}.")
