"""`postwarden users ...`, `postwarden serve`, `postwarden review-tasks` and the demo's log-ins."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from typer.testing import CliRunner

from devkit.demo import run as demo
from devkit.demo.logins import ensure_logins, review_demo
from postwarden.cli.main import app
from postwarden.settings import Settings, get_settings
from review.web.app import create_app
from storage.db import session_scope
from storage.models import Person, Role
from storage.review_models import AuditLog, UserAccount
from tests.review.conftest import Browser

runner = CliRunner()


def _seed(settings: Settings) -> None:
    with session_scope(settings.engine) as s:
        demo.seed(s)


def _can_sign_in(settings: Settings, username: str, password: str) -> bool:
    b = Browser(TestClient(create_app(settings), base_url="http://testserver"))
    b.get("/login")
    return b.post("/login", {"username": username, "password": password}).status_code == 303


CODE = re.compile(r"/login/code\?c=([A-Z0-9-]+)")


def _choose_password(settings: Settings, code: str, password: str) -> int:
    b = Browser(TestClient(create_app(settings), base_url="http://testserver"))
    b.get(f"/login/code?c={code}")
    r = b.post(
        "/login/code", {"code": code, "new_password": password, "confirm_password": password}
    )
    return r.status_code


def test_users_create_list_reset_deactivate(sqlite_settings: Settings) -> None:
    """Log-ins made on the server start with a one-time link: the operator never learns, and never
    sets, anyone's password."""
    _seed(sqlite_settings)
    r = runner.invoke(app, ["users", "create", "--email", "head@oakfield.example"])
    assert r.exit_code == 0, r.output
    assert "log-in 1 for Helen Marsh" in r.output and "password:" not in r.output.lower()
    code = CODE.search(r.output)
    assert code and "valid for 72 hours" in r.output
    assert _choose_password(sqlite_settings, code.group(1), "short") == 400
    assert _choose_password(sqlite_settings, code.group(1), "tidal-marble-fennel-7") == 303
    assert _can_sign_in(sqlite_settings, "head@oakfield.example", "tidal-marble-fennel-7")
    r = runner.invoke(app, ["users", "create", "--email", "ceo@demo-trust.example", "--sso"])
    assert r.exit_code == 0 and not CODE.search(r.output)

    out = runner.invoke(app, ["users", "list"]).output
    assert "head@oakfield.example" in out and "password" in out and "sso (unused)" in out
    for args, message in [
        (["users", "create", "--email", "nobody@x.example"], "no person with e-mail"),
        (["users", "create", "--email", "head@oakfield.example"], "already has a log-in"),
        (["users", "create", "--email", "b.fox@riverside.example"], "not active"),
        (["users", "reset", "--email", "ceo@demo-trust.example"], "single sign-on"),
        (["users", "reset", "--email", "nobody@x.example"], "no log-in"),
    ]:
        r = runner.invoke(app, args)
        assert r.exit_code == 2 and message in r.output, r.output
    r = runner.invoke(app, ["users", "create", "--email", "dsl@oakfield.example", "--generate"])
    assert r.exit_code == 2, "no option prints or takes a password"

    r = runner.invoke(app, ["users", "reset", "--email", "head@oakfield.example"])
    assert r.exit_code == 0, r.output
    fresh = CODE.search(r.output)
    assert fresh and fresh.group(1) != code.group(1)
    assert _can_sign_in(sqlite_settings, "head@oakfield.example", "tidal-marble-fennel-7"), (
        "the old password works until the person chooses a new one"
    )
    assert _choose_password(sqlite_settings, fresh.group(1), "copper-violet-orchard-3") == 303
    assert not _can_sign_in(sqlite_settings, "head@oakfield.example", "tidal-marble-fennel-7")
    assert (
        runner.invoke(app, ["users", "deactivate", "--email", "head@oakfield.example"]).exit_code
        == 0
    )
    assert not _can_sign_in(sqlite_settings, "head@oakfield.example", "copper-violet-orchard-3")


def test_people_role_is_made_on_the_server_at_once(sqlite_settings: Settings) -> None:
    _seed(sqlite_settings)
    r = runner.invoke(
        app, ["people", "role", "--email", "head@oakfield.example", "--role", "cluster_lead"]
    )
    assert r.exit_code == 0, r.output
    assert "headteacher -> cluster_lead" in r.output and "mail is off" in r.output
    with Session(sqlite_settings.engine) as s:
        person = s.exec(select(Person).where(Person.email == "head@oakfield.example")).one()
        assert person.role == Role.CLUSTER_LEAD
        detail = s.exec(select(AuditLog.detail).where(AuditLog.action == "role_changed")).one()
    assert "command line on the server" in detail
    r = runner.invoke(app, ["people", "role", "--email", "nobody@x.example", "--role", "ceo"])
    assert r.exit_code == 2 and "no person" in r.output


def test_serve_trusts_the_configured_proxies(sqlite_settings: Settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import uvicorn

    seen: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda _app, **kw: seen.update(kw))
    monkeypatch.setenv("POSTWARDEN_WEB__FORWARDED_ALLOW_IPS", "10.0.0.5,10.0.0.6")
    get_settings.cache_clear()
    try:
        assert runner.invoke(app, ["serve"]).exit_code == 0
    finally:
        get_settings.cache_clear()
    assert seen["proxy_headers"] is True and seen["forwarded_allow_ips"] == "10.0.0.5,10.0.0.6"


def test_demo_prints_a_working_log_in_for_every_role(sqlite_settings: Settings, capsys) -> None:  # type: ignore[no-untyped-def]
    _seed(sqlite_settings)
    assert review_demo(sqlite_settings, serve=False) == 0
    out = capsys.readouterr().out
    rows = re.findall(r"^  (\S.*?) {2,}(\S.*?) {2,}(\S+@\S+) +(\S+)$", out, re.M)
    roles = {r[0].strip() for r in rows}
    assert roles >= {
        "Director of IT",
        "Headteacher",
        "Designated Safeguarding Lead",
        "Staff",
        "Cluster Lead",
        "Executive Team",
        "CEO",
        "Trustee",
    }
    assert "Ben Fox" in out and "(inactive: cannot sign in)" in out
    for _, _, username, password in rows:
        assert _can_sign_in(sqlite_settings, username, password), username
    before = len(ensure_logins(sqlite_settings))
    assert len(ensure_logins(sqlite_settings)) == before, "idempotent"
    with Session(sqlite_settings.engine) as s:
        assert len(s.exec(select(UserAccount)).all()) == len(rows)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_runs_the_ui_until_interrupted(sqlite_settings: Settings) -> None:
    port = _free_port()
    env = {**os.environ, "POSTWARDEN_WEB__PORT": str(port)}
    exe = Path(sys.executable).parent / "postwarden"
    proc = subprocess.Popen([str(exe), "serve"], env=env, stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, "serve did not start"
                time.sleep(0.2)
        assert r.text == "ok" and "content-security-policy" in r.headers
        assert httpx.get(f"http://127.0.0.1:{port}/queue").status_code == 303
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0
    assert f"review UI at http://127.0.0.1:{port}/" in proc.stdout.read()  # type: ignore[union-attr]


def test_review_tasks_command(sqlite_settings: Settings) -> None:
    _seed(sqlite_settings)
    r = runner.invoke(app, ["review-tasks"])
    assert r.exit_code == 0, r.output
    assert "0 safeguarding alert(s), 0 overdue item(s) escalated, 0 mail(s) sent" in r.output
