"""`postwarden roster ...` and `postwarden allowlist ...`: pupil rosters and reviewers' allowlists.

Roster files hold pupils' names: they are read in memory, hashed with POSTWARDEN_ROSTER_KEY and
never copied, logged or echoed (problems are reported by row number only).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import select

from detectors.hashing import MissingRosterKeyError
from detectors.roster import RosterFileError, read_roster
from postwarden.settings import get_settings
from review.domain import knowledge
from storage import detector_crud
from storage.db import session_scope
from storage.models import Account, School

roster_app = typer.Typer(help="Pupil rosters, stored as keyed hashes only.", no_args_is_help=True)
allowlist_app = typer.Typer(help="Phrases reviewers allowlisted per account.", no_args_is_help=True)


def _fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code=2)


def _key() -> bytes:
    try:
        key = get_settings().roster_key_bytes
    except ValueError as exc:
        raise _fail(str(exc)) from None
    if key is None:
        raise _fail(str(MissingRosterKeyError("Importing a roster")))
    return key


def _school(name: str) -> School:
    with session_scope(get_settings().engine) as session:
        school = session.exec(select(School).where(School.name == name)).first()
    if school is None:
        raise _fail(f"no school named {name!r} (add it with `postwarden schools add`)")
    return school


@roster_app.command("import")
def roster_import(
    file: Annotated[Path, typer.Argument(help="CSV export of the school's pupils from the MIS")],
    school: Annotated[str, typer.Option(help="school name, as in `postwarden schools add`")],
) -> None:
    """Replace a school's roster with the pupils in FILE (only keyed hashes are stored)."""
    key = _key()
    target = _school(school)
    if not file.is_file():
        raise _fail(f"no such file: {file}")
    try:
        parsed = read_roster(file, key)
    except (RosterFileError, OSError) as exc:
        raise _fail(f"{file.name}: {exc}") from None
    for problem in parsed.problems:
        typer.secho(f"{file.name}: {problem}", fg=typer.colors.YELLOW, err=True)
    try:
        with session_scope(get_settings().engine) as session:
            outcome = knowledge.import_roster(
                session,
                school_id=target.id,  # type: ignore[arg-type]
                parsed=parsed,
                key=key,
            )
    except ValueError as exc:
        raise _fail(f"{file.name}: {exc}") from None
    record = outcome.record
    typer.echo(
        f"{target.name}: roster replaced: {record.pupils_kept} pupil(s) kept, "
        f"{outcome.rejected} row(s) skipped, {record.digests} keyed hashes stored (no names)"
    )


@roster_app.command("status")
def roster_status() -> None:
    """When each school's roster was imported, and with which key."""
    key = get_settings().roster_key_bytes
    with session_scope(get_settings().engine) as session:
        for school in session.exec(select(School).order_by(School.name)).all():
            record = detector_crud.roster_import_for(session, school_id=school.id)  # type: ignore[arg-type]
            if record is None:
                typer.echo(f"{school.name}: no roster")
                continue
            warning = ""
            if knowledge.roster_is_stale(record, key):
                warning = " — imported with a different key: re-import it"
            typer.echo(
                f"{school.name}: {record.pupils_kept} pupil(s), imported "
                f"{record.imported_at:%Y-%m-%d %H:%M} UTC{warning}"
            )


@roster_app.command("delete")
def roster_delete(school: Annotated[str, typer.Option(help="school name")]) -> None:
    """Forget a school's roster entirely."""
    target = _school(school)
    with session_scope(get_settings().engine) as session:
        n = detector_crud.delete_roster(session, school_id=target.id)  # type: ignore[arg-type]
    typer.echo(f"{target.name}: roster deleted ({n} keyed hashes)")


@roster_app.command("add-handle")
def roster_add_handle(
    handle: Annotated[str, typer.Argument(help="a pupil's @handle")],
    school: Annotated[str, typer.Option(help="school name")],
) -> None:
    """Record a pupil's social handle, so posts tagging it are flagged (section 8.4)."""
    key = _key()
    target = _school(school)
    with session_scope(get_settings().engine) as session:
        knowledge.add_pupil_handle(session, school_id=target.id, handle=handle, key=key)  # type: ignore[arg-type]
    typer.echo(f"{target.name}: handle recorded (as a keyed hash)")


@allowlist_app.command("list")
def allowlist_list(account_id: int) -> None:
    """Allowlist entries of one account (their phrases are hashed and cannot be shown)."""
    with session_scope(get_settings().engine) as session:
        if session.get(Account, account_id) is None:
            raise _fail(f"no account {account_id}")
        entries = detector_crud.allowlist_for(session, account_id=account_id)
        if not entries:
            typer.echo("no allowlist entries")
        for e in entries:
            typer.echo(
                f"#{e.id} {e.finding_type} added {e.created_at:%Y-%m-%d}"
                + (f" — {e.note}" if e.note else "")
            )


@allowlist_app.command("remove")
def allowlist_remove(entry_id: int) -> None:
    """Remove an allowlist entry: its phrase is flagged again from the next cycle."""
    with session_scope(get_settings().engine) as session:
        if not detector_crud.allowlist_remove(session, entry_id=entry_id):
            raise _fail(f"no allowlist entry {entry_id}")
    typer.echo(f"allowlist entry {entry_id} removed")
