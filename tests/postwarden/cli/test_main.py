"""The CLI as IT uses it: set-up, approval (section 4), listing, and the detection contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from postwarden.cli.main import app
from postwarden.settings import Settings, get_settings
from storage.db import session_scope
from storage.models import Account, Person

runner = CliRunner()


def ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_it_sets_up_a_school_and_an_approved_account(settings: Settings) -> None:
    ok("init")
    ok("schools", "add", "Oakfield Primary School", "--urn", "100001")
    ok(
        "people",
        "add",
        "--name",
        "Helen Marsh",
        "--role",
        "headteacher",
        "--email",
        "head@oakfield.example",
        "--school",
        "Oakfield Primary School",
    )
    ok(
        "people",
        "add",
        "--name",
        "Owen Hughes",
        "--role",
        "staff",
        "--email",
        "o.hughes@oakfield.example",
        "--school",
        "Oakfield Primary School",
        "--handle",
        "x:MrHughesPE",
    )
    out = ok(
        "accounts",
        "add",
        "--platform",
        "x",
        "--external-id",
        "1500000000000000003",
        "--handle",
        "MrHughesPE",
        "--kind",
        "work_site",
        "--school",
        "Oakfield Primary School",
        "--creator",
        "o.hughes@oakfield.example",
        "--conn-id",
        "x_mrhughes_pe",
    )
    assert "awaiting approval" in out
    assert "NO" in ok("accounts", "list")
    ok("accounts", "approve", "1", "--headteacher", "head@oakfield.example", "--on", "2026-09-01")
    assert "2026-09-01" in ok("accounts", "list")
    with session_scope(get_settings().engine) as s:
        account = s.get(Account, 1)
        assert account is not None and account.is_approved
        hughes = s.get(Person, account.creator_id)
        assert hughes is not None and hughes.name == "Owen Hughes"
    assert "no review items" in ok("review", "list")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["accounts", "approve", "99", "--headteacher", "nobody@example.org"], "no account 99"),
        (["people", "add", "--name", "X", "--role", "staff", "--school", "Nowhere"], "no school"),
        (
            ["people", "add", "--name", "X", "--role", "staff", "--handle", "myspace:x"],
            "x:SomeHandle",
        ),
    ],
)
def test_bad_input_is_a_clear_error(settings: Settings, args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.output


def test_only_a_headteacher_can_approve(settings: Settings) -> None:
    ok("people", "add", "--name", "Owen Hughes", "--role", "staff", "--email", "o@x.example")
    ok(
        "accounts",
        "add",
        "--platform",
        "x",
        "--external-id",
        "1",
        "--handle",
        "h",
        "--kind",
        "official",
        "--conn-id",
        "c",
    )
    result = runner.invoke(app, ["accounts", "approve", "1", "--headteacher", "o@x.example"])
    assert result.exit_code == 2 and "not a headteacher" in result.output


def test_detect_contract_end_to_end(tmp_path: Path, sqlite_settings: Settings) -> None:
    src = tmp_path / "posts.jsonl"
    src.write_text(
        "\n".join(
            [
                json.dumps({"id": "a", "text": "Call Mrs Jones on 07700 900123", "lang": "en"}),
                "{not json",
                json.dumps({"id": "b", "text": "Year 5 loved their trip"}),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "findings.jsonl"
    result = runner.invoke(app, ["detect", "--input", str(src), "--output", str(out)])
    assert result.exit_code == 1, "a malformed line makes the exit code say so"
    assert "line 2" in result.output
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [x["id"] for x in lines] == ["a", "b"]
    phone = [f for f in lines[0]["findings"] if f["type"] == "PHONE_NUMBER"]
    assert phone and set(phone[0]) == {
        "type",
        "start",
        "end",
        "score",
        "section",
        "severity",
        "explanation",
    }
    text = "Call Mrs Jones on 07700 900123"
    assert text[phone[0]["start"] : phone[0]["end"]].replace(" ", "") == "07700900123"
