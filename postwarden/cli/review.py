"""`postwarden serve`, `postwarden users ...`, `postwarden people role` and `postwarden
review-tasks`: the review UI's CLI.

Commands run on the server, by whoever holds the database anyway, so they are the trusted way in:
a role change made here needs no second person. Even here nobody sets or sees anyone's password:
`users create` and `users reset` print a one-time sign-in link for the person to choose their own.
"""

from __future__ import annotations

from typing import Annotated

import typer
from sqlmodel import Session, select

from postwarden.settings import get_settings
from review.domain import roles
from review.domain.account_mail import RoleEvent, role_change_mails, send_now
from review.domain.users import CODE_HOURS, UserError, create_user, issue_code
from storage.db import session_scope
from storage.models import Person, Role
from storage.review_crud import audit, end_sessions, person_by_email, user_by_username
from storage.review_models import UserAccount

users_app = typer.Typer(
    help="Log-ins to the review UI (people must exist first).", no_args_is_help=True
)


def _fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code=2)


def serve(
    host: Annotated[str | None, typer.Option(help="bind address (default: settings)")] = None,
    port: Annotated[int | None, typer.Option(help="port (default: settings)")] = None,
) -> None:
    """Serve the review web UI until interrupted."""
    import uvicorn

    from review.web.app import create_app

    settings = get_settings()
    app = create_app(settings)
    host, port = host or settings.web.host, port or settings.web.port
    typer.echo(f"review UI at http://{host}:{port}/ (Ctrl-C to stop)")
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        proxy_headers=True,  # believed only from POSTWARDEN_WEB__FORWARDED_ALLOW_IPS
        forwarded_allow_ips=settings.web.forwarded_allow_ips,
    )


def _print_code(email: str, code: str) -> None:
    link = get_settings().review.link(f"/login/code?c={code}")
    typer.echo(
        f"one-time sign-in link for {email} (valid for {CODE_HOURS} hours, works once; hand it to "
        f"them only):\n  {link}\n  code: {code}\nWith it they choose their own password."
    )


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Option(help="the person's e-mail on record")],
    sso: Annotated[bool, typer.Option(help="single sign-on only, never a password")] = False,
) -> None:
    """Give a person on record a log-in: single sign-on only (linked on their first sign-in), or
    a one-time link with which they choose their own password."""
    with session_scope(get_settings().engine) as session:
        person = person_by_email(session, email=email)
        if person is None:
            raise _fail(f"no person with e-mail {email!r} (add them with `postwarden people add`)")
        try:
            user = create_user(session, person=person, sso=sso)
            code = None if sso else issue_code(session, user=user, actor_id=None)
        except UserError as exc:
            raise _fail(str(exc)) from None
        typer.echo(f"log-in {user.id} for {person.name} ({user.username})")
    if code is not None:
        _print_code(user.username, code)


@users_app.command("reset")
def users_reset(email: Annotated[str, typer.Option(help="the log-in's e-mail")]) -> None:
    """A new one-time link for a password log-in; the current password works until it is used.
    Single sign-on log-ins have no password here to reset."""
    with session_scope(get_settings().engine) as session:
        user = user_by_username(session, username=email)
        if user is None:
            raise _fail(f"no log-in for {email!r}")
        try:
            code = issue_code(session, user=user, actor_id=None)
        except UserError as exc:
            raise _fail(str(exc)) from None
    _print_code(user.username, code)


@users_app.command("list")
def users_list() -> None:
    """Every log-in, its person, role and method."""
    with Session(get_settings().engine) as session:
        rows = session.exec(
            select(UserAccount, Person).join(Person, Person.id == UserAccount.person_id)  # type: ignore[arg-type]
        ).all()
        for user, person in rows:
            if user.sso:
                how = "sso" if user.oidc_subject else "sso (unused)"
            else:
                how = "password" if user.password_hash else "password (not yet chosen)"
            active = "" if (user.active and person.active) else " (inactive)"
            typer.echo(f"{user.id:>3}  {user.username:40} {person.role:13} {how}{active}")


@users_app.command("deactivate")
def users_deactivate(email: Annotated[str, typer.Option()]) -> None:
    """End a log-in and every session it has."""

    with session_scope(get_settings().engine) as session:
        user = user_by_username(session, username=email)
        if user is None:
            raise _fail(f"no log-in for {email!r}")
        user.active = False
        end_sessions(session, user=user)
        audit(
            session,
            actor_id=None,
            action="user_deactivated",
            object_type="user_account",
            object_id=user.id,
            detail="via command line",
        )
        typer.echo(f"log-in {user.id} deactivated")


def people_role(
    email: Annotated[str, typer.Option(help="the person's e-mail on record")],
    role: Annotated[Role, typer.Option(help="the new role")],
) -> None:
    """Change a person's role at once (on the server no second person confirms it); the person is
    told by mail, and the change is in the audit log."""
    settings = get_settings()
    with session_scope(settings.engine) as session:
        person = person_by_email(session, email=email)
        if person is None:
            raise _fail(f"no person with e-mail {email!r}")
        try:
            before = roles.change_from_server(session, person=person, to_role=role)
        except roles.RoleChangeError as exc:
            raise _fail(str(exc)) from None
        mails = role_change_mails(
            session, person=person, change=None, event=RoleEvent.MADE, config=settings.review
        )
        problem = send_now(session, mails, settings.smtp)
        typer.echo(f"{person.name}: {before} -> {role}")
    if problem:
        typer.echo(f"{problem}: tell {person.name} yourself")


def register_people_commands(people_app: typer.Typer) -> None:
    """`postwarden people role` lives here with the other review commands."""
    people_app.command("role")(people_role)


def review_tasks() -> None:
    """Once: alert safeguarding leads, hand overdue items to the Director of IT, send due mail."""
    from review.domain.after_cycle import after_cycle

    settings = get_settings()
    result = after_cycle(settings.engine, config=settings.review, smtp=settings.smtp)
    typer.echo(
        f"{result.safeguarding_alerts} safeguarding alert(s), {result.overdue_escalated} overdue "
        f"item(s) escalated, {result.mails_sent} mail(s) sent"
        + (f"; mail failed: {result.mail_error}" if result.mail_error else "")
    )
    if result.mail_error:
        raise typer.Exit(code=1)
