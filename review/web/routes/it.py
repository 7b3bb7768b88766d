"""IT pages (Director of IT only): schools, people and roles, connected accounts and their health,
the pupil roster, and the audit log (read-only: no route edits or deletes it)."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from detectors.roster import RosterFileError, read_roster
from review.domain import knowledge
from review.domain.users import UserError, create_user, set_password
from review.web.deps import Cfg, Db, ItUser, flash, require_it, roster_key
from review.web.deps import render as page
from storage import crud, detector_crud
from storage.detector_models import RosterImport
from storage.models import (
    Account,
    AccountKind,
    Person,
    Platform,
    ReviewEvent,
    Role,
    School,
)
from storage.review_crud import audit, audit_entries, user_for_person
from storage.review_models import UserAccount

# Every route under /it requires the Director of IT, whatever each handler asks for itself.
router = APIRouter(prefix="/it", dependencies=[Depends(require_it)])

Text = Annotated[str, Form(max_length=320)]


def _back(request: Request, path: str, message: str, kind: str = "ok") -> Response:
    flash(request, message, kind)
    return RedirectResponse(path, status_code=303)


@router.get("")
def it_home() -> Response:
    return RedirectResponse("/it/accounts", status_code=303)


# --- schools -----------------------------------------------------------------------------------


@router.get("/schools")
def schools(request: Request, db: Db, user: ItUser) -> Response:
    rows = db.exec(select(School).order_by(col(School.name))).all()
    return page(request, "it_schools.html", {"schools": rows})


@router.post("/schools")
def add_school(
    request: Request,
    db: Db,
    user: ItUser,
    name: Annotated[str, Form(min_length=2, max_length=200)],
    urn: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    school = crud.get_or_create_school(db, name=name.strip(), urn=urn.strip() or None)
    audit(db, actor_id=user.id, action="school_added", object_type="school", object_id=school.id)
    db.commit()
    return _back(request, "/it/schools", f"School saved: {school.name}.")


# --- people ------------------------------------------------------------------------------------


@router.get("/people")
def people(request: Request, db: Db, user: ItUser) -> Response:
    rows = db.exec(select(Person).order_by(col(Person.name))).all()
    logins = {u.person_id: u for u in db.exec(select(UserAccount)).all()}
    schools = {s.id: s for s in db.exec(select(School)).all()}
    return page(
        request,
        "it_people.html",
        {"people": rows, "logins": logins, "schools": schools, "roles": list(Role)},
    )


@router.post("/people")
def add_person(
    request: Request,
    db: Db,
    user: ItUser,
    name: Annotated[str, Form(min_length=2, max_length=200)],
    email: Text,
    role: Annotated[Role, Form()],
    school_id: Annotated[int | None, Form()] = None,
) -> Response:
    if school_id is not None and db.get(School, school_id) is None:
        raise HTTPException(422, "Unknown school.")
    try:
        person = crud.create_person(
            db, name=name.strip(), role=role, email=email.strip().lower(), school_id=school_id
        )
        audit(
            db,
            actor_id=user.id,
            action="person_added",
            object_type="person",
            object_id=person.id,
            detail=f"role {role}",
        )
        db.commit()
    except IntegrityError:
        db.rollback()
        return _back(request, "/it/people", "Someone with that e-mail address exists.", "error")
    return _back(request, "/it/people", f"Added {person.name}.")


def _person(db: Db, person_id: int) -> Person:
    person = db.get(Person, person_id)
    if person is None:
        raise HTTPException(404, "No such person.")
    return person


@router.post("/people/{person_id}/role")
def change_role(
    request: Request, person_id: int, db: Db, user: ItUser, role: Annotated[Role, Form()]
) -> Response:
    person = _person(db, person_id)
    if person.id == user.id:
        return _back(request, "/it/people", "You cannot change your own role.", "error")
    before = person.role
    person.role = role
    db.add(person)
    audit(
        db,
        actor_id=user.id,
        action="role_changed",
        object_type="person",
        object_id=person.id,
        detail=f"{before} -> {role}",
    )
    db.commit()
    return _back(request, "/it/people", f"{person.name} is now {role}.")


@router.post("/people/{person_id}/active")
def set_active(
    request: Request, person_id: int, db: Db, user: ItUser, active: Annotated[bool, Form()]
) -> Response:
    person = _person(db, person_id)
    if person.id == user.id and not active:
        return _back(request, "/it/people", "You cannot deactivate yourself.", "error")
    person.active = active
    db.add(person)
    login = user_for_person(db, person_id=person_id)
    if login is not None and not active:
        login.session_epoch += 1  # signs them out everywhere at once
        db.add(login)
    audit(
        db,
        actor_id=user.id,
        action="person_activated" if active else "person_deactivated",
        object_type="person",
        object_id=person.id,
    )
    db.commit()
    return _back(request, "/it/people", f"{person.name} is {'active' if active else 'inactive'}.")


@router.post("/people/{person_id}/login")
def create_login(
    request: Request,
    person_id: int,
    db: Db,
    user: ItUser,
    method: Annotated[str, Form(pattern="^(password|sso)$")] = "password",
) -> Response:
    """A log-in for a person: single sign-on only, or a one-time password shown once, here."""
    person = _person(db, person_id)
    existing = user_for_person(db, person_id=person_id)
    password = secrets.token_urlsafe(12) if method == "password" else None
    try:
        if existing is None:
            create_user(db, person=person, password=password, actor_id=user.id)
        elif password:
            set_password(db, user=existing, password=password, actor_id=user.id)
        else:
            return _back(request, "/it/people", f"{person.name} already has a log-in.", "error")
    except UserError as exc:
        db.rollback()
        return _back(request, "/it/people", str(exc), "error")
    db.commit()
    return page(request, "it_login_created.html", {"person": person, "password": password})


# --- connected accounts ------------------------------------------------------------------------


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
    if school_id is not None and db.get(School, school_id) is None:
        raise HTTPException(422, "Unknown school.")
    if creator_id is not None and db.get(Person, creator_id) is None:
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
        audit(
            db,
            actor_id=user.id,
            action="account_added",
            object_type="account",
            object_id=account.id,
            detail=f"{platform}/{account.handle}",
        )
        db.commit()
    except IntegrityError:
        db.rollback()
        return _back(request, "/it/accounts/new", "That account is already connected.", "error")
    return _back(
        request,
        "/it/accounts",
        f"Connected {platform}/{account.handle}. It is not monitored until a Headteacher's "
        "approval is recorded (section 4).",
    )


def _account(db: Db, account_id: int) -> Account:
    account = db.get(Account, account_id)
    if account is None:
        raise HTTPException(404, "No such account.")
    return account


@router.post("/accounts/{account_id}/approve")
def approve(
    request: Request,
    account_id: int,
    db: Db,
    user: ItUser,
    headteacher_id: Annotated[int, Form()],
    approved_on: Annotated[date, Form()],
) -> Response:
    account = _account(db, account_id)
    head = _person(db, headteacher_id)
    if approved_on > date.today():
        return _back(request, "/it/accounts", "An approval cannot be dated in the future.", "error")
    try:
        crud.approve_account(db, account=account, headteacher=head, on=approved_on)
    except ValueError as exc:
        db.rollback()
        return _back(request, "/it/accounts", str(exc), "error")
    audit(
        db,
        actor_id=user.id,
        action="account_approved",
        object_type="account",
        object_id=account.id,
        detail=f"by person {head.id} on {approved_on.isoformat()}",
    )
    db.commit()
    return _back(request, "/it/accounts", f"Approval by {head.name} recorded for {account.handle}.")


@router.post("/accounts/{account_id}/active")
def account_active(
    request: Request, account_id: int, db: Db, user: ItUser, active: Annotated[bool, Form()]
) -> Response:
    account = _account(db, account_id)
    account.active = active
    db.add(account)
    audit(
        db,
        actor_id=user.id,
        action="account_activated" if active else "account_deactivated",
        object_type="account",
        object_id=account.id,
    )
    db.commit()
    state = "will be monitored again" if active else "is deactivated: no longer pulled"
    return _back(request, "/it/accounts", f"{account.handle} {state}.")


# --- pupil roster ------------------------------------------------------------------------------

ROSTER_MAX_BYTES = 10 * 1024 * 1024


def _roster_status(db: Db, key: bytes | None) -> list[tuple[School, RosterImport | None, bool]]:
    out = []
    for school in db.exec(select(School).order_by(col(School.name))).all():
        record = detector_crud.roster_import_for(db, school_id=school.id)  # type: ignore[arg-type]
        out.append((school, record, knowledge.roster_is_stale(record, key)))
    return out


@router.get("/roster")
def roster(request: Request, db: Db, user: ItUser, settings: Cfg) -> Response:
    key, problem = roster_key(settings)
    return page(
        request,
        "it_roster.html",
        {"status": _roster_status(db, key), "key_problem": problem, "result": None},
    )


@router.post("/roster")
async def roster_import(
    request: Request,
    db: Db,
    user: ItUser,
    settings: Cfg,
    school_id: Annotated[int, Form()],
    file: Annotated[UploadFile, File()],
) -> Response:
    """Replace a school's roster from an MIS export. Names are hashed in memory and never stored,
    logged or shown; problems are reported by row number only."""
    key, problem = roster_key(settings)
    school = db.get(School, school_id)
    if school is None:
        raise HTTPException(422, "Unknown school.")
    if key is None:
        return _back(request, "/it/roster", problem or "No roster key.", "error")
    data = await file.read(ROSTER_MAX_BYTES + 1)
    if len(data) > ROSTER_MAX_BYTES:
        return _back(request, "/it/roster", "That file is larger than 10 MB.", "error")
    try:
        parsed = read_roster(data, key)
    except RosterFileError as exc:
        return _back(request, "/it/roster", f"The file could not be read: {exc}.", "error")
    try:
        outcome = knowledge.import_roster(db, school_id=school_id, parsed=parsed, key=key)
    except ValueError:
        return _back(
            request,
            "/it/roster",
            "No usable pupil rows: the existing roster is unchanged.",
            "error",
        )
    record, rejected = outcome.record, outcome.rejected
    audit(
        db,
        actor_id=user.id,
        action="roster_imported",
        object_type="school",
        object_id=school_id,
        detail=f"{record.pupils_kept} pupils, {rejected} rows skipped",
    )
    db.commit()
    return page(
        request,
        "it_roster.html",
        {
            "status": _roster_status(db, key),
            "key_problem": None,
            "result": {
                "school": school.name,
                "kept": record.pupils_kept,
                "skipped": rejected,
                "digests": record.digests,
                "problems": [str(p) for p in parsed.problems[:50]],
                "more": max(0, len(parsed.problems) - 50),
            },
        },
    )


# --- audit -------------------------------------------------------------------------------------


@router.get("/audit")
def audit_log(request: Request, db: Db, user: ItUser) -> Response:
    people = {p.id: p for p in db.exec(select(Person)).all()}
    events = db.exec(select(ReviewEvent).order_by(col(ReviewEvent.id).desc()).limit(200)).all()
    return page(
        request,
        "it_audit.html",
        {"entries": audit_entries(db), "events": events, "people": people},
    )
