"""Structured logs: JSON lines with ids, never a token or post text, even from tweepy's DEBUG."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from connectors.base import Credentials
from devkit.demo import run as demo
from devkit.sandbox.server import SandboxServer
from pipeline import pull
from postwarden import logging_setup
from postwarden.settings import Settings
from storage.db import session_scope
from tests.support import pipeline_config

TOKEN = "s3cr3t-Bearer-T0ken-for-the-log-test"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Postwarden's logging set up at DEBUG into a buffer; the root logger restored after."""
    root = logging.getLogger()
    saved = (root.level, list(root.handlers), logging.getLogger("tweepy").level)
    stream = io.StringIO()
    logging_setup.configure(fmt="json", level="DEBUG", stream=stream)
    yield stream
    for handler in [h for h in root.handlers if h not in saved[1]]:
        root.removeHandler(handler)
    root.setLevel(saved[0])
    logging.getLogger("tweepy").setLevel(saved[2])


def test_a_real_pull_logs_ids_and_neither_the_token_nor_post_text(
    captured: io.StringIO, sqlite_settings: Settings
) -> None:
    with session_scope(sqlite_settings.engine) as session:
        demo.seed(session)
    cfg = pipeline_config(sqlite_settings, pull={"backfill_days": 3650})
    with SandboxServer(tokens={TOKEN}) as sandbox:

        def creds(conn_id: str) -> Credentials:
            return Credentials(conn_id=conn_id, secret=TOKEN, host=sandbox.url)

        ids = pull.list_accounts(cfg)
        result = pull.pull_shard(ids, cfg, credentials=creds)
        texts = [t["text"] for user in sandbox.app.x.users() for t in sandbox.tweets_of(user["id"])]
    assert result.ok == 3 and result.new > 0

    out = captured.getvalue()
    lines = [json.loads(line) for line in out.splitlines()]
    tweepy_lines = [r for r in lines if r["logger"].startswith("tweepy")]
    assert any("Authorization" in r["event"] for r in tweepy_lines), "tweepy logged its headers"
    assert any("Content: [withheld" in r["event"] for r in tweepy_lines), "and the responses"
    assert TOKEN not in out
    leaked = [t for t in texts if t[:40] in out]
    assert leaked == [], "post text never reaches a log line"
    shard = [r for r in lines if r["event"] == "shard pulled"]
    assert shard and shard[0]["accounts"] == 3 and shard[0]["new"] == result.new
    assert all({"event", "level", "logger", "timestamp"} <= r.keys() for r in lines)


@pytest.mark.parametrize(
    ("raw", "secret"),
    [
        ("Headers: {'Authorization': 'Bearer abcDEF123'}", "abcDEF123"),
        ('{"authorization": "Bearer abcDEF123"}', "abcDEF123"),
        ("retrying with Bearer abcDEF123 now", "abcDEF123"),
        ("GET /me?access_token=abcDEF123&fields=id", "abcDEF123"),
        ("password: 'abcDEF123'", "abcDEF123"),
        ("client_secret=abcDEF123", "abcDEF123"),
        ("postgresql+psycopg://postwarden:abcDEF123@postgres/postwarden", "abcDEF123"),
        ("Received API response: 200 OK\nHeaders: {}\nContent: b'Amelia in Year 4'", "Amelia"),
    ],
)
def test_redact_removes_every_credential_shape(raw: str, secret: str) -> None:
    once = logging_setup.redact(raw)
    assert secret not in once
    assert logging_setup.redact(once) == once, "idempotent: two filters never mangle a line"


def test_structured_fields_carry_ids_and_counts_but_not_content(captured: io.StringIO) -> None:
    log = logging.getLogger("postwarden.test")
    body = "Well done Amelia Watson in Year 4! " * 10
    log.info("post scanned", extra=logging_setup.ids(post_id=7, account_id=3, findings=2))
    log.warning("bad post", extra={"post_id": 8, "text": body, "token": "Bearer abcDEF123"})
    first, second = (json.loads(line) for line in captured.getvalue().splitlines())
    assert (first["post_id"], first["account_id"], first["findings"]) == (7, 3, 2)
    assert second["post_id"] == 8 and second["text"] == f"<str dropped, {len(body)} long>"
    assert "abcDEF123" not in captured.getvalue() and "Amelia" not in captured.getvalue()


def test_configure_rejects_an_unknown_format() -> None:
    with pytest.raises(ValueError, match="json"):
        logging_setup.configure(fmt="xml")


def test_install_redaction_guards_handlers_someone_else_set_up() -> None:
    root = logging.getLogger()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root.addHandler(handler)
    try:
        logging_setup.install_redaction()
        logging_setup.install_redaction()
        assert sum(isinstance(f, logging_setup.SecretsFilter) for f in handler.filters) == 1
        logging.getLogger("anything").warning("token=abcDEF123")
    finally:
        root.removeHandler(handler)
    assert "abcDEF123" not in stream.getvalue() and "[REDACTED]" in stream.getvalue()
