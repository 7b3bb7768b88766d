"""`postwarden ops ...`: what IT runs around the scheduler (pools, shards, purges)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session

from postwarden.settings import get_settings

ops_app = typer.Typer(help="Operations: Airflow pools, shard plan, retention purges.")


@ops_app.callback()
def _logging() -> None:
    """Structured (JSON) log lines for these commands, as in every Postwarden process."""
    from postwarden.logging_setup import configure

    configure(fmt=get_settings().log_format, level="WARNING")


@ops_app.command("pools")
def pools(
    output: Annotated[
        Path | None, typer.Option(help="write here (default stdout) for `airflow pools import`")
    ] = None,
) -> None:
    """One Airflow pool per platform (`postwarden_<platform>`) that the monitor DAG pulls in."""
    from pipeline.sharding import pools as make_pools

    text = json.dumps(make_pools(get_settings().pull.pool_slots_per_platform), indent=2)
    if output is None:
        typer.echo(text)
    else:
        output.write_text(text + "\n")
        typer.echo(f"{output}: import with `airflow pools import {output}`")


@ops_app.command("shards")
def shards(
    max_map_length: Annotated[int, typer.Option(help="Airflow's [core] max_map_length")] = 1024,
) -> None:
    """The shard plan the next cycle would map (counts per platform, no ids)."""
    from pipeline.sharding import plan_shards

    settings = get_settings()
    plan = plan_shards(
        settings.engine, shard_size=settings.pull.shard_size, max_map_length=max_map_length
    )
    for platform, platform_shards in plan.items():
        if platform_shards:
            sizes = [len(s) for s in platform_shards]
            typer.echo(
                f"{platform:22} {sum(sizes):6} account(s) in {len(sizes):4} shard(s) "
                f"of {min(sizes)}-{max(sizes)}"
            )


@ops_app.command("purge")
def purge(
    retention_days: Annotated[
        int | None, typer.Option(help="override POSTWARDEN_RETENTION__DAYS_CLOSED for this run")
    ] = None,
) -> None:
    """Purge text and evidence of items closed longer ago than the retention period."""
    from pipeline.retention import purge as run_purge

    settings = get_settings()
    if retention_days is not None and retention_days < 0:
        raise typer.BadParameter("must be 0 or more", param_hint="--retention-days")
    days = settings.retention.days_closed if retention_days is None else retention_days
    result = run_purge(settings.engine, days_closed=days, trigger="cli")
    typer.echo(
        f"purge run {result.run_id}: items closed before {result.cutoff:%Y-%m-%d %H:%M} UTC: "
        f"{result.items_purged} item(s), {result.posts_purged} post text(s), "
        f"{result.findings_purged} finding(s), {result.notes_purged} note(s); "
        f"{result.unflagged_texts_dropped} unflagged post text(s) dropped"
    )


@ops_app.command("purges")
def purges(limit: Annotated[int, typer.Option(min=1)] = 10) -> None:
    """The last purge runs and what each removed."""
    from pipeline.retention import recent_runs

    with Session(get_settings().engine) as session:
        runs = recent_runs(session, limit=limit)
        if not runs:
            typer.echo("no purge has run yet")
        for r in runs:
            typer.echo(
                f"#{r.id} {r.started_at:%Y-%m-%d %H:%M} ({r.trigger}) "
                f"retention {r.retention_days}d: "
                f"{r.items_purged} item(s), {r.posts_purged} text(s), {r.findings_purged} "
                f"finding(s), {r.notes_purged} note(s), {r.unflagged_texts_dropped} unflagged"
            )


def ensure_database(url: str) -> bool:
    """Create the PostgreSQL database `url` names when it does not exist; True if created.

    Connects to the server's `postgres` maintenance database with the same credentials. SQLite
    creates its file on first use, so there is nothing to do for it.
    """
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    target = make_url(url)
    if not target.drivername.startswith("postgresql"):
        return False
    if not target.database:
        raise ValueError("the database URL names no database")
    admin = target.set(drivername="postgresql", database="postgres")
    conninfo = admin.render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (target.database,)
        ).fetchone()
        if exists:
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(target.database)))
    return True


@ops_app.command("create-database")
def create_database() -> None:
    """Create Postwarden's PostgreSQL database if it is missing (compose's airflow-init)."""
    url = get_settings().resolved_database_url
    created = ensure_database(url)
    where = url.rsplit("/", 1)[-1]
    typer.echo(f"database {where}: {'created' if created else 'exists already'}")
