"""`postwarden accounts health|pull|inbox`: IT's view of connections, registered on `accounts`."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlmodel import Session

from connectors.base import Access
from postwarden.settings import get_settings
from storage import connector_crud
from storage.db import session_scope
from storage.health import account_health
from storage.models import Account


def _when(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else "never"  # type: ignore[attr-defined]


def health(
    as_json: Annotated[
        bool, typer.Option("--json", help="one JSON object per account and line, for scripts")
    ] = False,
) -> None:
    """State, last pull, posts pulled, reads spent and last error of every account."""
    from postwarden.cli.json_lines import dumps, health_records

    with Session(get_settings().engine) as session:
        rows = account_health(session)
    if as_json:
        for record in health_records(rows):
            typer.echo(dumps(record))
        return
    if not rows:
        typer.echo("no accounts")
        return
    typer.echo(
        f"{'id':>3}  {'platform':21} {'handle':30} {'state':12} {'last pull (UTC)':16} "
        f"{'posts':>6} {'reads':>7}  last error"
    )
    for h in rows:
        state = h.state if h.approved and h.active else f"{h.state}*"
        note = h.last_error or ""
        if h.deferred_until is not None and h.state == "deferred":
            note = f"until {_when(h.deferred_until)} — {note}"
        extras = []
        if h.failed_pages:
            extras.append(f"{h.failed_pages} failed page(s) recorded")
        if h.quarantined_files:
            extras.append(f"{h.quarantined_files} export file(s) quarantined")
        if extras:
            note = "; ".join([*extras, note] if note else extras)
        typer.echo(
            f"{h.account_id:>3}  {h.platform:21} {h.handle[:30]:30} {state:12} "
            f"{_when(h.last_pull_at):16} {h.posts_pulled:>6} {h.reads_spent:>7}  {note[:160]}"
        )
    if any(not (h.approved and h.active) for h in rows):
        typer.echo("* not pulled: awaiting Headteacher approval (section 4) or inactive")


def pull(
    account_id: Annotated[
        list[int] | None, typer.Argument(help="account ids (default: every approved account)")
    ] = None,
) -> None:
    """Pull now, without scanning (credentials from AIRFLOW_CONN_* variables)."""
    from pipeline.pull import list_accounts, pull_account

    config = get_settings().pipeline()
    for i in account_id or list_accounts(config):
        r = pull_account(i, config)
        typer.echo(
            f"account {i}: {r.state} (+{r.new} new, {r.changed} edited, {r.pages} page(s), "
            f"{r.reads} read(s))" + (f" — {r.error}" if r.error else "")
        )


def inbox(
    account_id: int,
    path: Annotated[str | None, typer.Option(help="set the export inbox folder")] = None,
) -> None:
    """Show (or set) the folder a group's creator drops its exports into (section 12)."""
    from connectors.registry import plugin_for
    from pipeline.pull_steps import default_inbox

    settings = get_settings()
    with session_scope(settings.engine) as session:
        account = session.get(Account, account_id)
        if account is None or plugin_for(account.platform).access is not Access.NONE:
            typer.secho(f"error: account {account_id} is not a group export", err=True, fg="red")
            raise typer.Exit(code=2)
        if path is not None:
            connector_crud.set_inbox_path(session, account_id=account_id, path=path)
        folder = connector_crud.inbox_path(session, account_id=account_id) or str(
            default_inbox(settings.pipeline().inbox_root(), account)
        )
    typer.echo(folder)


def register(accounts_app: typer.Typer) -> None:
    """Add these commands to the `accounts` group of `postwarden.cli.main`."""
    accounts_app.command("health")(health)
    accounts_app.command("pull")(pull)
    accounts_app.command("inbox")(inbox)
