"""SIGKILL a running pull at several points, re-run it, and compare with the sandbox: zero lost
posts, zero duplicates, on SQLite and PostgreSQL.

`postwarden accounts pull` runs as a real subprocess against a file database and the sandbox
(in this process, over HTTP). Small pages make every account several pages long. Kill points:

1. mid-transaction: the test holds a write lock (SQLite `BEGIN IMMEDIATE`; PostgreSQL a row lock on
   the first account) so the child blocks inside its first page's transaction, posts written but
   not committed; it is killed there;
2. mid-request: the sandbox holds the Facebook Page's second page (`after=1`, a long delay) and the
   child is killed while waiting for it;
3. between pages: the sandbox holds Bluesky's second page, so page one is committed and the
   cursor sits mid-sweep; killed there;
4. wherever three requests into the next run lands (after new posts arrived upstream).

A final run completes; every platform's stored ids must equal the sandbox's.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from devkit.demo import run as demo
from devkit.sandbox.server import SandboxServer
from postwarden.settings import Settings
from storage.db import session_scope
from storage.models import Account, Post

TOKEN = "demo-sandbox-token"
X_ACCOUNTS = ("1500000000000000001", "1500000000000000002", "1500000000000000003")
FB_PAGE, IG_USER = "104000000000001", "17841400000000002"
BLOG = "https://oakfield.example/blogs/oakfield-news/feed.xml"
BSKY = "did:plc:riversideacademy0001"
PLATFORMS = {
    **dict.fromkeys(X_ACCOUNTS, "x"),
    FB_PAGE: "facebook",
    IG_USER: "instagram",
    BLOG: "blog",
    BSKY: "bluesky",
}
PATHS = {
    X_ACCOUNTS[0]: f"/2/users/{X_ACCOUNTS[0]}/tweets",
    FB_PAGE: f"/v24.0/{FB_PAGE}/posts",
    BSKY: "/xrpc/app.bsky.feed.getAuthorFeed",
}
ROOT = Path(__file__).resolve().parents[2]
POSTWARDEN = str(Path(sys.executable).parent / "postwarden")  # the installed console script


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(tokens={TOKEN}) as sb:
        yield sb


def child_env(settings: Settings, sandbox: SandboxServer) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW_CONN_", "POSTWARDEN_"))
    }
    env.update(
        POSTWARDEN_HOME=str(settings.home),
        POSTWARDEN_DATABASE_URL=settings.resolved_database_url,
        POSTWARDEN_PULL__BACKFILL_DAYS="3650",
        POSTWARDEN_CONNECTORS__X__MAX_RESULTS="5",
        POSTWARDEN_CONNECTORS__GRAPH__PAGE_SIZE="2",
        POSTWARDEN_CONNECTORS__BLUESKY__PAGE_SIZE="2",
        POSTWARDEN_PULL__MAX_PAGES_PER_CYCLE="50",
        POSTWARDEN_CONNECTORS__EXPORTS__SETTLE_SECONDS="0",
        **{f"POSTWARDEN_CONNECTORS__{k}__TIMEOUT_SECONDS": "60" for k in ("X", "GRAPH", "BLUESKY")},
    )
    for conn_id, conn in demo.demo_connections(sandbox.url).items():
        env[f"AIRFLOW_CONN_{conn_id.upper()}"] = json.dumps(conn)
    return env


def start(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [POSTWARDEN, "accounts", "pull"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def wait_for(condition: Callable[[], bool], proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        if proc.poll() is not None:
            out = proc.stdout.read().decode() if proc.stdout else ""
            pytest.fail(f"the pull ended before {what}:\n{out}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


def kill(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=10) == -signal.SIGKILL


def held(sandbox: SandboxServer, path: str) -> Callable[[], bool]:
    return lambda: any(e["fault"] == "timeout" for e in sandbox.requests(path))


def stored(settings: Settings, external_id: str) -> list[str]:
    with Session(settings.engine) as s:
        account = s.exec(select(Account).where(Account.external_id == external_id)).one()
        return list(s.exec(select(Post.external_id).where(Post.account_id == account.id)).all())


class WriteLock:
    """Hold the database so the child blocks inside its page transaction."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.conn: sqlite3.Connection | psycopg.Connection | None = None

    def __enter__(self) -> WriteLock:
        parsed = make_url(self.url)
        if parsed.get_backend_name() == "sqlite":
            conn = sqlite3.connect(parsed.database or "", timeout=30, isolation_level=None)
            conn.execute("BEGIN IMMEDIATE")
            self.conn = conn
        else:
            pg = psycopg.connect(
                parsed.set(drivername="postgresql").render_as_string(hide_password=False)
            )
            pg.execute("SELECT id FROM account WHERE external_id = %s FOR UPDATE", (X_ACCOUNTS[0],))
            self.conn = pg
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.conn is not None
        self.conn.rollback()
        self.conn.close()


def test_sigkill_at_any_point_loses_and_duplicates_nothing(
    settings: Settings, sandbox: SandboxServer
) -> None:
    with session_scope(settings.engine) as session:
        demo.seed(session)
        demo.seed_platforms(session)
    demo.stage_exports(
        session_factory=lambda: session_scope(settings.engine),
        inbox_root=settings.pipeline().inbox_root(),
    )
    env = child_env(settings, sandbox)
    kills: list[str] = []

    # 1. mid-transaction, inside the first page of the first account
    with WriteLock(settings.resolved_database_url):
        proc = start(env)
        wait_for(lambda: sandbox.request_count(PATHS[X_ACCOUNTS[0]]) >= 1, proc, "the first page")
        time.sleep(0.8)  # the child is now blocked on the lock, in its transaction
        assert proc.poll() is None and sandbox.request_count(PATHS[X_ACCOUNTS[0]]) == 1, "blocked"
        kill(proc)
    kills.append("mid-transaction")
    assert stored(settings, X_ACCOUNTS[0]) == [], "the killed transaction left nothing behind"

    # 2. mid-request: Facebook's second page is held until the kill
    sandbox.add_fault(PATHS[FB_PAGE], "timeout", times=1, delay=60, after=1)
    proc = start(env)
    wait_for(held(sandbox, PATHS[FB_PAGE]), proc, "Facebook's second page")
    kill(proc)
    kills.append("mid-request")
    sandbox.clear_faults()
    partial_fb = stored(settings, FB_PAGE)
    assert 0 < len(partial_fb) < len(sandbox.upstream_ids("facebook", FB_PAGE)), "killed mid-sweep"

    # 3. between pages: Bluesky's first page committed, its second held
    sandbox.clear_requests()
    sandbox.add_fault(PATHS[BSKY], "timeout", times=1, delay=60, after=1)
    proc = start(env)
    wait_for(held(sandbox, PATHS[BSKY]), proc, "Bluesky's second page")
    kill(proc)
    kills.append("between pages")
    sandbox.clear_faults()
    assert 0 < len(stored(settings, BSKY)) < len(sandbox.upstream_ids("bluesky", BSKY))

    # New posts arrive while the trust is half-pulled: they must be picked up too.
    sandbox.add_tweet(X_ACCOUNTS[1], "Late news: the fair raised £1,200!")
    sandbox.app.graph.add_comment(
        {"post_id": f"{FB_PAGE}_2006", "text": "Thanks!", "id": "2006_3200"}
    )

    # 4. right after a random number of requests of the next run (a kill wherever it lands)
    sandbox.clear_requests()
    proc = start(env)
    wait_for(lambda: sandbox.request_count() >= 3, proc, "three requests")
    kill(proc)
    kills.append("after 3 requests")

    final = subprocess.run(
        [POSTWARDEN, "accounts", "pull"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert final.returncode == 0, final.stdout + final.stderr
    assert "failed" not in final.stdout and "needs_reauth" not in final.stdout, final.stdout

    for external_id in (*X_ACCOUNTS, FB_PAGE, IG_USER, BLOG, BSKY):
        ids = stored(settings, external_id)
        assert len(ids) == len(set(ids)), f"{external_id}: duplicates"
        assert sorted(ids) == sandbox.upstream_ids(PLATFORMS[external_id], external_id), (
            f"{external_id}: lost posts"
        )
    assert len(stored(settings, "oakfield-staff-room")) == 11
    assert len(stored(settings, "oakfield-staff-social")) == 4
    assert kills == ["mid-transaction", "mid-request", "between pages", "after 3 requests"]
