"""The detection contract's I/O: JSONL posts in, JSONL findings out, independent of the CLI.

Input lines are `{"id": str, "text": str}` (other keys allowed); each valid line gives one output
line `{"id": str, "findings": [...]}` in the same order. A malformed line is reported on `err`
by line number and skipped, so one bad export row never costs the rest of the file. Input is
streamed in batches, so a large export never has to fit in memory.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from detectors.stack import DetectorStack

STDIO: str = "-"
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class DetectReport:
    """What a run did: `lines_read` non-blank lines = `scored` + `errors`."""

    lines_read: int
    scored: int
    errors: int


class _LineError(ValueError):
    """One input line is not a valid post; the message says why, never what it contained."""


def run_detect(
    input_path: Path,
    output_path: Path,
    *,
    stack: DetectorStack,
    err: TextIO | None = None,
    batch_size: int | None = None,
) -> DetectReport:
    """Score every valid line of `input_path` into `output_path` ("-" means stdin/stdout).

    `batch_size` defaults to the stack's (the `detect_batch_size` setting). `err` defaults to the
    stderr of the moment of the call (not of import), so a redirected stderr gets the errors.
    """
    err = err if err is not None else sys.stderr
    size = batch_size or stack.batch_size
    if size < 1:
        raise ValueError("batch_size must be at least 1")
    if _same_file(input_path, output_path):
        raise ValueError(f"input and output are the same file: {input_path}")
    source_name = "<stdin>" if str(input_path) == STDIO else str(input_path)

    lines_read = scored = errors = 0
    pending: list[tuple[str, str]] = []
    with _open_input(input_path) as src, _open_output(output_path) as dst:

        def flush() -> None:
            nonlocal scored
            results = stack.detect_many([text for _, text in pending])
            for (post_id, _), findings in zip(pending, results, strict=True):
                record = {"id": post_id, "findings": [f.to_contract() for f in findings]}
                dst.write(_dumps(record).encode("utf-8") + b"\n")
            scored += len(pending)
            pending.clear()

        for lineno, raw in enumerate(src, start=1):
            if not raw.strip():
                continue
            lines_read += 1
            try:
                pending.append(_parse_line(raw, first=lineno == 1))
            except _LineError as exc:
                errors += 1
                err.write(f"{source_name}: line {lineno}: {exc}\n")
                continue
            if len(pending) >= size:
                flush()
        if pending:
            flush()
        dst.flush()
    return DetectReport(lines_read=lines_read, scored=scored, errors=errors)


def _parse_line(raw: bytes, *, first: bool) -> tuple[str, str]:
    """(id, text) of one non-blank line, or `_LineError` naming the problem."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _LineError(f"not valid UTF-8 (byte {exc.start + 1})") from None
    if first:
        line = line.removeprefix("\ufeff")  # a BOM from spreadsheet exports
    try:
        obj: Any = json.loads(line)
    except json.JSONDecodeError as exc:
        raise _LineError(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(obj, dict):
        raise _LineError(f'expected a JSON object {{"id": ..., "text": ...}}, got {_kind(obj)}')
    if "id" not in obj:
        raise _LineError('missing "id"')
    if not isinstance(obj["id"], str):
        raise _LineError(f'"id" must be a string, got {_kind(obj["id"])}')
    if "text" not in obj:
        raise _LineError('missing "text"')
    if not isinstance(obj["text"], str):
        raise _LineError(f'"text" must be a string, got {_kind(obj["text"])}')
    return obj["id"], obj["text"]


def _kind(value: object) -> str:
    """The JSON name of a value's type, for error messages that must not echo the value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _dumps(record: dict[str, Any]) -> str:
    """One output line; ASCII escapes only when the id holds a lone surrogate (not UTF-8-able)."""
    line = json.dumps(record, ensure_ascii=False)
    if _SURROGATE.search(line):
        line = json.dumps(record, ensure_ascii=True)
    return line


def _same_file(a: Path, b: Path) -> bool:
    if STDIO in (str(a), str(b)):
        return False
    try:
        return a.exists() and b.exists() and a.samefile(b)
    except OSError:
        return False


@contextmanager
def _open_input(path: Path) -> Iterator[BinaryIO]:
    """Bytes, so one badly encoded line is an error for that line, not for the file."""
    if str(path) == STDIO:
        yield sys.stdin.buffer
        return
    with path.open("rb") as f:
        yield f


@contextmanager
def _open_output(path: Path) -> Iterator[BinaryIO]:
    """UTF-8 bytes whatever the locale; stdout is flushed, never closed."""
    if str(path) == STDIO:
        yield sys.stdout.buffer
        return
    with path.open("wb") as f:
        yield f
