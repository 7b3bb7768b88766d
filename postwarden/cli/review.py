"""`postwarden serve`, `postwarden users ...` and `postwarden review-tasks`: the review UI's CLI."""

from __future__ import annotations

import secrets
import sys
from typing import Annotated

import typer
from sqlmodel import Session, select

from postwarden.settings import get_settings
from review.domain.users import UserError, create_user
from storage.db import session_scope
from storage.models import Person
from storage.review_crud import audit, person_by_email, user_by_username
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
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False)


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Option(help="the person's e-mail on record")],
    sso: Annotated[bool, typer.Option(help="single sign-on only, no password")] = False,
    generate: Annotated[bool, typer.Option(help="generate a password and print it once")] = False,
    password_stdin: Annotated[bool, typer.Option(help="read the password from stdin")] = False,
) -> None:
    """Give a person on record a log-in: a password (argon2), or single sign-on only (linked on
    their first sign-in). Without --generate or --password-stdin the password is prompted for."""

    password: str | None = None
    if generate:
        password = secrets.token_urlsafe(12)
    elif password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif not sso:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with session_scope(get_settings().engine) as session:
        person = person_by_email(session, email=email)
        if person is None:
            raise _fail(f"no person with e-mail {email!r} (add them with `postwarden people add`)")
        try:
            user = create_user(session, person=person, password=password)
        except (UserError, ValueError) as exc:
            raise _fail(str(exc)) from None
        typer.echo(f"log-in {user.id} for {person.name} ({user.username})")
    if generate:
        typer.echo(f"password (shown once): {password}")


@users_app.command("list")
def users_list() -> None:
    """Every log-in, its person, role and method."""
    with Session(get_settings().engine) as session:
        rows = session.exec(
            select(UserAccount, Person).join(Person, Person.id == UserAccount.person_id)  # type: ignore[arg-type]
        ).all()
        for user, person in rows:
            how = " + ".join(
                m for m, on in (("password", user.password_hash), ("sso", user.oidc_subject)) if on
            )
            active = "" if (user.active and person.active) else " (inactive)"
            typer.echo(
                f"{user.id:>3}  {user.username:40} {person.role:13} {how or 'sso (unused)'}{active}"
            )


@users_app.command("deactivate")
def users_deactivate(email: Annotated[str, typer.Option()]) -> None:
    """End a log-in and every session it has."""

    with session_scope(get_settings().engine) as session:
        user = user_by_username(session, username=email)
        if user is None:
            raise _fail(f"no log-in for {email!r}")
        user.active = False
        user.session_epoch += 1
        session.add(user)
        audit(
            session,
            actor_id=None,
            action="user_deactivated",
            object_type="user_account",
            object_id=user.id,
            detail="via command line",
        )
        typer.echo(f"log-in {user.id} deactivated")


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
