"""Structured logs: one JSON object per line, carrying ids and counts, never post text or tokens.

Postwarden's own log calls pass ids as `extra` (`log.info("account pulled", extra=ids(account_id=
3, new=2))`) and keep text out of messages. Two guards back that discipline up, for every logger
including third-party ones (tweepy logs each request's headers at DEBUG, bearer token included):

- `SecretsFilter` rewrites Authorization headers, `Bearer <token>`, `token=`/`password=` style
  pairs and URL passwords in the message and in every string field before a handler sees the
  record, and withholds the payload tweepy appends to its DEBUG lines (post text).
- `scalars_only` keeps structured fields to numbers, booleans and short strings: a post body
  handed over as a field is replaced by a note of its length, never printed.

`configure()` is for Postwarden's own processes (CLI, review service, benchmarks). Inside an
Airflow task, Airflow owns logging (its task logs are structured already): the DAGs call
`install_redaction()` to add the same filter to whatever handlers Airflow set up.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any, TextIO

import structlog

MAX_FIELD_CHARS = 120  # longer strings in structured fields are not ids: dropped
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
_SECRET_PAIR = re.compile(
    r"""(?P<key>\b(?:access_token|refresh_token|token|password|passwd|secret|api_key|apikey|"""
    r"""client_secret)\b['"]?\s*[:=]\s*)(?P<quote>['"]?)(?!\[REDACTED\])(?P<value>[^\s'",;&}\]]+)""",
    re.I,
)
_URL_PASSWORD = re.compile(
    r"(?P<scheme>\b[a-z][a-z0-9+.-]*://[^:/@\s]+:)(?!\[REDACTED\]@)(?P<pw>[^@\s/]+)@", re.I
)
REDACTED = "[REDACTED]"
_AUTH_VALUE = re.compile(r"""(['"]?authorization['"]?\s*[:=]\s*)(['"])(?:(?!\2).)*\2""", re.I)
_BEARER = re.compile(r"(bearer\s+)(?!\[REDACTED\])[^\s'\",;}\]]+", re.I)
# tweepy's DEBUG lines end with the request body or the response content: post text, withheld.
_PAYLOAD = re.compile(r"(\n(?:Content|Body): )(?!\[withheld)(.+)\Z", re.S)


def redact(text: str) -> str:
    """Every credential shape we know of, replaced by a marker (idempotent)."""
    text = _AUTH_VALUE.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}{m.group(2)}", text)
    text = _BEARER.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    text = _SECRET_PAIR.sub(lambda m: f"{m.group('key')}{m.group('quote')}{REDACTED}", text)
    text = _URL_PASSWORD.sub(lambda m: f"{m.group('scheme')}{REDACTED}@", text)
    return _PAYLOAD.sub(lambda m: f"{m.group(1)}[withheld: {len(m.group(2))} chars]", text)


def ids(**fields: Any) -> dict[str, Any]:
    """`extra=` for a log call: ids and counts as structured fields (a readable call site)."""
    return fields


class SecretsFilter(logging.Filter):
    """Redacts the formatted message and string extras of every record passing a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad %-format in someone's log call: keep the raw template
            message = str(record.msg)
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, redact(value))
        return True


def scalars_only(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> Mapping[str, Any]:
    """structlog processor: structured fields carry ids and counts, not content."""
    for key, value in list(event.items()):
        if key in ("event", "exception", "timestamp", "level", "logger"):
            continue
        if value is None or isinstance(value, bool | int | float):
            continue
        if isinstance(value, str) and len(value) <= MAX_FIELD_CHARS:
            continue
        if isinstance(value, list | tuple) and all(isinstance(v, int) for v in value):
            continue
        size = len(value) if isinstance(value, str | bytes | list | tuple | dict) else None
        event[key] = f"<{type(value).__name__} dropped" + (f", {size} long>" if size else ">")
    return event


def redact_event(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> Mapping[str, Any]:
    """structlog processor: the rendered traceback too (exception messages may echo a URL)."""
    for key in ("event", "exception"):
        if isinstance(event.get(key), str):
            event[key] = redact(event[key])
    return event


def json_formatter() -> logging.Formatter:
    """stdlib records -> JSON lines through structlog's processors (no global structlog state)."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.stdlib.ExtraAdder(),
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            scalars_only,
            redact_event,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
    )


def console_formatter() -> logging.Formatter:
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.stdlib.add_log_level,
            structlog.processors.TimeStamper(fmt="%H:%M:%S", utc=True),
            structlog.stdlib.ExtraAdder(),
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            scalars_only,
            redact_event,
            structlog.dev.ConsoleRenderer(colors=False),
        ],
    )


def configure(
    *, fmt: str = "json", level: int | str = logging.INFO, stream: TextIO | None = None
) -> logging.Handler:
    """Root logging for a Postwarden process: one handler, JSON (or console) lines, redacted.

    Replaces a handler an earlier call installed (not others'), so calling it twice is harmless.
    tweepy and urllib3 stay at WARNING unless `level` is DEBUG.
    """
    if fmt not in ("json", "console"):
        raise ValueError(f"log format must be 'json' or 'console', got {fmt!r}")
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_postwarden", False)]:
        root.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler._postwarden = True  # type: ignore[attr-defined]
    handler.setFormatter(json_formatter() if fmt == "json" else console_formatter())
    handler.addFilter(SecretsFilter())
    root.addHandler(handler)
    numeric = level if isinstance(level, int) else logging.getLevelNamesMapping()[level.upper()]
    root.setLevel(numeric)
    for noisy in ("tweepy", "urllib3", "httpx", "presidio-analyzer"):
        # A second call at DEBUG must undo an earlier call's WARNING (one process, two configs).
        logging.getLogger(noisy).setLevel(logging.WARNING if numeric > logging.DEBUG else 0)
    return handler


def install_redaction() -> None:
    """Inside someone else's logging (an Airflow task): add the filter to every root handler."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, SecretsFilter) for f in handler.filters):
            handler.addFilter(SecretsFilter())
