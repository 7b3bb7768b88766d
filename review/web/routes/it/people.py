"""IT: people, their roles and their log-ins.

The Director of IT never sees or sets a password (section 5: they could then sign in as the CEO):
a new log-in or a reset mails the person a one-time link to choose their own, and without mail it
is done on the server instead (`postwarden users create/reset`). Role changes that touch section
5 wait for the CEO or a Trustee (review.domain.roles); the person affected is told by mail.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from review.domain import roles
from review.domain.account_mail import RoleEvent, role_change_mails, send_now, sign_in_link
from review.domain.users import CODE_HOURS, UserError, create_user, issue_code
from review.web.deps import Cfg, Db, ItUser, commit_audited
from review.web.deps import render as page
from review.web.routes.it.common import Text, back, known, person_or_404
from storage.models import Person, Role, School
from storage.review_crud import end_sessions, pending_role_changes, user_for_person
from storage.review_models import RoleChange, UserAccount

router = APIRouter()


@router.get("/people")
def people(request: Request, db: Db, user: ItUser) -> Response:
    rows = db.exec(select(Person).order_by(col(Person.name))).all()
    logins = {u.person_id: u for u in db.exec(select(UserAccount)).all()}
    schools = {s.id: s for s in db.exec(select(School)).all()}
    pending = {c.person_id: c for c in pending_role_changes(db)}
    return page(
        request,
        "it_people.html",
        {
            "people": rows,
            "logins": logins,
            "schools": schools,
            "roles": list(Role),
            "pending": pending,
        },
    )


def _asked(
    request: Request, db: Db, settings: Cfg, person: Person, change: RoleChange | None, done: str
) -> Response:
    """After a role request: tell the person (and who may confirm), then say what happens."""
    if change is None:
        event, what = RoleEvent.MADE, f"{done} {person.name} is now {person.role}."
    else:
        top = {change.from_role, change.to_role} & {Role.CEO, Role.TRUSTEE}
        who = "a Trustee" if top else "the CEO or a Trustee"
        event = RoleEvent.REQUESTED
        what = (
            f"{done} The change of {person.name} to {change.to_role} awaits confirmation by {who}."
        ).strip()
    mails = role_change_mails(
        db,
        person=person,
        change=change,
        event=event,
        config=settings.review,
        people=roles.overseers(db),
    )
    problem = send_now(db, mails, settings.smtp)
    db.commit()
    if problem:
        return back(request, "/it/people", f"{what} ({problem}: nobody was told by mail.)", "error")
    return back(request, "/it/people", what)


@router.post("/people")
def add_person(
    request: Request,
    db: Db,
    user: ItUser,
    settings: Cfg,
    name: Annotated[str, Form(min_length=2, max_length=200)],
    email: Text,
    role: Annotated[Role, Form()],
    school_id: Annotated[int | None, Form()] = None,
) -> Response:
    if school_id is not None and known(db, School, school_id) is None:
        raise HTTPException(422, "Unknown school.")
    try:
        person, change = roles.add_person(
            db,
            name=name.strip(),
            email=email.strip().lower(),
            role=role,
            school_id=school_id,
            actor=user,
        )
        db.flush()
    except IntegrityError:
        db.rollback()
        return back(request, "/it/people", "Someone with that e-mail address exists.", "error")
    if change is None:
        db.commit()
        return back(request, "/it/people", f"Added {person.name}.")
    return _asked(request, db, settings, person, change, f"Added {person.name} as staff.")


@router.post("/people/{person_id}/role")
def change_role(
    request: Request,
    person_id: int,
    db: Db,
    user: ItUser,
    settings: Cfg,
    role: Annotated[Role, Form()],
) -> Response:
    person = person_or_404(db, person_id)
    try:
        change = roles.request_change(db, person=person, to_role=role, actor=user)
    except roles.RoleChangeError as exc:
        db.rollback()
        return back(request, "/it/people", str(exc), "error")
    return _asked(request, db, settings, person, change, "")


@router.post("/people/{person_id}/active")
def set_active(
    request: Request, person_id: int, db: Db, user: ItUser, active: Annotated[bool, Form()]
) -> Response:
    person = person_or_404(db, person_id)
    if person.id == user.id and not active:
        return back(request, "/it/people", "You cannot deactivate yourself.", "error")
    person.active = active
    db.add(person)
    login = user_for_person(db, person_id=person_id)
    if login is not None and not active:
        end_sessions(db, user=login)  # signs them out everywhere at once
    commit_audited(
        db,
        actor=user,
        action="person_activated" if active else "person_deactivated",
        object_type="person",
        object_id=person.id,
    )
    return back(request, "/it/people", f"{person.name} is {'active' if active else 'inactive'}.")


@router.post("/people/{person_id}/login")
def create_login(
    request: Request,
    person_id: int,
    db: Db,
    user: ItUser,
    settings: Cfg,
    method: Annotated[str, Form(pattern="^(password|sso)$")] = "password",
) -> Response:
    """A single sign-on log-in, or a password log-in (new, or reset) whose password the person
    chooses through a one-time link mailed to them. Nothing here shows a password or a code."""
    person = person_or_404(db, person_id)
    existing = user_for_person(db, person_id=person.id)  # type: ignore[arg-type]
    if method == "sso" or (existing is not None and existing.sso):
        if existing is not None:
            why = (
                f"{person.name} signs in with single sign-on: the identity provider holds that "
                "password (and its MFA), so Postwarden gives none."
                if existing.sso
                else f"{person.name} already has a log-in."
            )
            return back(request, "/it/people", why, "error")
        try:
            create_user(db, person=person, sso=True, actor_id=user.id)
        except UserError as exc:
            db.rollback()
            return back(request, "/it/people", str(exc), "error")
        db.commit()
        return back(request, "/it/people", f"{person.name} can sign in with single sign-on.")
    if not settings.smtp.host:
        command = "create" if existing is None else "reset"
        return back(
            request,
            "/it/people",
            "Mail is off, so a sign-in link could only reach "
            f"{person.name} through you. On the server, run: postwarden users {command} "
            f"--email {person.email} and hand them what it prints.",
            "error",
        )
    try:
        login = existing or create_user(db, person=person, actor_id=user.id)
        code = issue_code(db, user=login, actor_id=user.id)
        mail = sign_in_link(
            person,
            code=code,
            first=login.password_hash is None,
            hours=CODE_HOURS,
            config=settings.review,
        )
    except (UserError, ValueError) as exc:
        db.rollback()
        return back(request, "/it/people", str(exc), "error")
    problem = send_now(db, [mail], settings.smtp)
    if problem:
        db.rollback()  # no code anyone could use is left behind
        return back(request, "/it/people", f"No sign-in link was sent: {problem}.", "error")
    db.commit()
    return back(
        request,
        "/it/people",
        f"A sign-in link was sent to {person.name}'s e-mail address. It works once, within "
        f"{CODE_HOURS} hours; with it they choose their own password, which nobody else sees.",
    )
