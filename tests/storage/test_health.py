"""`postwarden accounts health|pull|inbox` and the re-authorisation hook, after a faulty cycle."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from devkit.demo import run as demo
from devkit.sandbox.server import SandboxServer
from postwarden.cli.main import app
from postwarden.settings import Settings
from storage.db import session_scope
from storage.health import needing_reauth

runner = CliRunner()


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(tokens={"demo-sandbox-token"}) as sb:
        yield sb


def test_health_shows_every_account_after_a_cycle_with_faults(
    settings: Settings, sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = settings.engine
    with session_scope(engine) as session:
        demo.seed(session)
        demo.seed_platforms(session)
    demo.stage_exports(
        session_factory=lambda: session_scope(engine), inbox_root=settings.pipeline().inbox_root()
    )
    for conn_id, conn in demo.demo_connections(sandbox.url).items():
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(conn))
    monkeypatch.setenv("POSTWARDEN_PULL__BACKFILL_DAYS", "3650")
    monkeypatch.setenv("POSTWARDEN_CONNECTORS__EXPORTS__SETTLE_SECONDS", "0")
    from postwarden.settings import get_settings

    get_settings.cache_clear()
    sandbox.add_fault("/v24.0/104000000000001/posts", "expired")
    sandbox.add_fault("/blogs/oakfield-news/feed.xml", "malformed")

    pulled = runner.invoke(app, ["accounts", "pull"])
    assert pulled.exit_code == 0, pulled.output
    assert "needs_reauth" in pulled.output and "MalformedPayload" in pulled.output

    result = runner.invoke(app, ["accounts", "health"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == [
        "id",
        "platform",
        "handle",
        "state",
        "last",
        "pull",
        "(UTC)",
        "posts",
        "reads",
        "last",
        "error",
    ]
    by_handle = {line.split()[2]: line for line in lines[1:] if line[:3].strip().isdigit()}
    assert (
        " ok " in by_handle["OakfieldPrimary"] and " 15 " in by_handle["OakfieldPrimary"]
    )  # its demo posts
    facebook = next(line for line in lines if line.split()[1:2] == ["facebook"])
    assert "needs_reauth" in facebook and "190" in facebook
    blog = next(line for line in lines if "Oakfield Primary News" in line)
    assert "failed" in blog and "1 failed page(s) recorded" in blog
    assert "new*" in by_handle["OakfieldDrama"] and "never" in by_handle["OakfieldDrama"]
    assert "awaiting Headteacher approval" in result.output

    with Session(engine) as session:
        (reauth,) = needing_reauth(session)
    assert (reauth.platform, reauth.handle) == ("facebook", "Oakfield Primary School")
    assert "190" in (reauth.last_error or "")

    staff_room = next(line.split()[0] for line in lines if "Staff Room" in line)
    folder = runner.invoke(app, ["accounts", "inbox", staff_room])
    assert folder.output.strip().endswith("inboxes/whatsapp_export/oakfield-staff-room")
    moved = runner.invoke(
        app, ["accounts", "inbox", staff_room, "--path", "/srv/exports/staff-room"]
    )
    assert moved.output.strip() == "/srv/exports/staff-room"
    refused = runner.invoke(app, ["accounts", "inbox", "1"])
    assert refused.exit_code == 2 and "not a group export" in refused.output
