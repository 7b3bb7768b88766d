"""`postwarden` command line: set-up for IT, one-off cycles, the review queue, the sandbox.

Commands that need a heavy subsystem (the detector stack, the sandbox, the demo, the pipeline)
import it when they run, so `postwarden --help` and the quick IT commands start fast.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session, select

from postwarden.cli.accounts import register as register_account_commands
from postwarden.cli.evaluate import eval_command
from postwarden.cli.ops import ops_app
from postwarden.cli.review import register_people_commands, review_tasks, serve, users_app
from postwarden.cli.roster import allowlist_app, roster_app
from postwarden.settings import get_settings
from review.domain.listing import item_lines
from storage import crud
from storage.db import migrate, session_scope
from storage.models import (
    Account,
    AccountKind,
    ItemState,
    Person,
    Platform,
    Role,
    School,
)

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False)
people_app = typer.Typer(help="People and their roles.", no_args_is_help=True)
accounts_app = typer.Typer(help="Connected accounts (section 4 approvals).", no_args_is_help=True)
review_app = typer.Typer(help="Review items.", no_args_is_help=True)
schools_app = typer.Typer(help="Schools of the trust.", no_args_is_help=True)
app.add_typer(people_app, name="people")
app.add_typer(accounts_app, name="accounts")
app.add_typer(review_app, name="review")
app.add_typer(schools_app, name="schools")
register_account_commands(accounts_app)  # postwarden/cli/accounts.py: health, pull, inbox
register_people_commands(people_app)  # postwarden/cli/review.py: people role
app.add_typer(ops_app, name="ops")  # postwarden/cli/ops.py
app.command("eval")(eval_command)
app.add_typer(users_app, name="users")  # postwarden/cli/review.py
app.add_typer(roster_app, name="roster")  # postwarden/cli/roster.py
app.add_typer(allowlist_app, name="allowlist")
app.command("serve")(serve)
app.command("review-tasks")(review_tasks)


def _fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code=2)


def _person_by_email(session: Session, email: str) -> Person:
    person = session.exec(select(Person).where(Person.email == email)).first()
    if person is None:
        raise _fail(f"no person with e-mail {email!r} (add them with `postwarden people add`)")
    return person


def _school_by_name(session: Session, name: str | None) -> School | None:
    if name is None:
        return None
    school = session.exec(select(School).where(School.name == name)).first()
    if school is None:
        raise _fail(f"no school named {name!r} (add it with `postwarden schools add`)")
    return school


@app.command()
def init() -> None:
    """Create or upgrade the database schema (Alembic) for the configured database."""
    url = get_settings().resolved_database_url
    migrate(url)
    typer.echo(f"database ready: {url.split('@')[-1]}")


@schools_app.command("add")
def schools_add(name: str, urn: Annotated[str | None, typer.Option()] = None) -> None:
    """Add a school (idempotent by name)."""
    with session_scope(get_settings().engine) as session:
        school = crud.get_or_create_school(session, name=name, urn=urn)
        typer.echo(f"school {school.id}: {school.name}")


@people_app.command("add")
def people_add(
    name: Annotated[str, typer.Option()],
    role: Annotated[Role, typer.Option()],
    email: Annotated[str | None, typer.Option()] = None,
    school: Annotated[str | None, typer.Option(help="school name")] = None,
    handle: Annotated[
        list[str] | None, typer.Option(help="platform:handle the person posts as, repeatable")
    ] = None,
) -> None:
    """Add a person with a role; handles let routing recognise their posts (section 5)."""
    with session_scope(get_settings().engine) as session:
        sch = _school_by_name(session, school)
        person = crud.create_person(
            session, name=name, role=role, email=email, school_id=sch.id if sch else None
        )
        for item in handle or []:
            platform, _, value = item.partition(":")
            if not value or platform not in {p.value for p in Platform}:
                raise _fail(f"handle {item!r} must look like x:SomeHandle")
            crud.add_handle(
                session,
                person_id=person.id,  # type: ignore[arg-type]
                platform=Platform(platform),
                handle=value,
            )
        typer.echo(f"person {person.id}: {person.name} ({person.role})")


@accounts_app.command("add")
def accounts_add(
    platform: Annotated[Platform, typer.Option()],
    external_id: Annotated[str, typer.Option(help="the platform's id of the account")],
    handle: Annotated[str, typer.Option()],
    kind: Annotated[AccountKind, typer.Option()],
    conn_id: Annotated[
        str,
        typer.Option(
            help="Airflow Connection with the credentials (X, Facebook, Instagram; optional for "
            "blogs and Bluesky; none for group exports)"
        ),
    ] = "",
    school: Annotated[str | None, typer.Option(help="school name")] = None,
    creator: Annotated[str | None, typer.Option(help="creator's e-mail")] = None,
) -> None:
    """Connect an account. It is not pulled until a Headteacher's approval is recorded."""
    from connectors.registry import needs_connection

    if not conn_id and needs_connection(platform):
        raise _fail(f"a {platform} account needs --conn-id (the Airflow Connection with its token)")
    with session_scope(get_settings().engine) as session:
        sch = _school_by_name(session, school)
        person = _person_by_email(session, creator) if creator else None
        account = crud.create_account(
            session,
            platform=platform,
            external_id=external_id,
            handle=handle,
            kind=kind,
            conn_id=conn_id,
            school_id=sch.id if sch else None,
            creator_id=person.id if person else None,
        )
        typer.echo(f"account {account.id}: {platform}/{handle} (awaiting approval)")


@accounts_app.command("approve")
def accounts_approve(
    account_id: int,
    headteacher: Annotated[str, typer.Option(help="approving Headteacher's e-mail")],
    on: Annotated[
        str | None, typer.Option(help="approval date, YYYY-MM-DD (default today)")
    ] = None,
) -> None:
    """Record the Headteacher's approval (section 4)."""
    with session_scope(get_settings().engine) as session:
        account = session.get(Account, account_id)
        if account is None:
            raise _fail(f"no account {account_id}")
        head = _person_by_email(session, headteacher)
        try:
            when = date.fromisoformat(on) if on else date.today()
            crud.approve_account(session, account=account, headteacher=head, on=when)
        except ValueError as exc:
            raise _fail(str(exc)) from None
        typer.echo(f"account {account_id} approved by {head.name} on {when.isoformat()}")


@accounts_app.command("list")
def accounts_list() -> None:
    """Every connected account with its approval and health."""
    with Session(get_settings().engine) as session:
        rows = session.exec(select(Account).order_by(Account.id)).all()  # type: ignore[arg-type]
        typer.echo(f"{'id':>3}  {'platform':9} {'handle':20} {'kind':15} {'approved':10} state")
        for a in rows:
            approved = a.approved_on.isoformat() if a.is_approved and a.approved_on else "NO"
            active = "" if a.active else " (inactive)"
            typer.echo(
                f"{a.id:>3}  {a.platform:9} {a.handle:20} {a.kind:15} {approved:10} "
                f"{a.state}{active}"
            )


@app.command()
def run() -> None:
    """One monitoring cycle without the scheduler (credentials from AIRFLOW_CONN_* variables)."""
    from pipeline.cycle import run_cycle

    run_cycle(get_settings().pipeline(), progress=typer.echo)


@review_app.command("list")
def review_list(
    all_states: Annotated[bool, typer.Option("--all", help="include closed items")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="one JSON object per item and line, for scripts")
    ] = False,
) -> None:
    """Review items, most urgent first."""
    from postwarden.cli.json_lines import dumps, item_records

    states = list(ItemState) if all_states else [ItemState.OPEN, ItemState.ESCALATED]
    with Session(get_settings().engine) as session:
        items = crud.list_items(session, states=states)
        if as_json:
            for record in item_records(session, items):
                typer.echo(dumps(record))
            return
        for line in item_lines(session, items):
            typer.echo(line)


@app.command()
def sandbox(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8765,
    data: Annotated[Path | None, typer.Option(help="dataset JSON (default: demo trust)")] = None,
) -> None:
    """Serve the local platform sandbox (X API v2 and friends) until interrupted."""
    from devkit.sandbox.server import serve

    serve(host, port, data)


@app.command()
def detect(
    input: Annotated[Path, typer.Option("--input", help="JSONL of {id, text}; - for stdin")],
    output: Annotated[Path, typer.Option("--output", help="JSONL of {id, findings}; - stdout")],
) -> None:
    """Score posts with every detector (the stable detection contract)."""
    from detectors.stack import DetectorStack
    from pipeline.detect_file import run_detect

    report = run_detect(input, output, stack=DetectorStack.build(get_settings().detection))
    typer.echo(
        f"{report.scored} scored, {report.errors} malformed line(s) of {report.lines_read}",
        err=True,
    )
    if report.errors:
        raise typer.Exit(code=1)


@app.command()
def demo(
    keep_sandbox: Annotated[
        bool, typer.Option(help="leave the sandbox serving after the cycle")
    ] = False,
    serve: Annotated[bool, typer.Option(help="then serve the review UI until Ctrl-C")] = True,
) -> None:
    """Seed the demo trust, start the sandbox, run one cycle through Airflow, list review items,
    print a log-in for every role and serve the review UI."""
    from devkit.demo.run import run_demo

    sys.exit(run_demo(keep_sandbox=keep_sandbox, serve=serve))
