"""Keeping X's bearer token out of logs: tweepy logs every request's headers at DEBUG."""

from __future__ import annotations

import logging
import re

_AUTH_VALUE = re.compile(r"""(['"]?authorization['"]?\s*[:=]\s*)(['"])(?:(?!\2).)*\2""", re.I)
_BEARER = re.compile(r"(bearer\s+)[^\s'\",;}\]]+", re.I)
REDACTED = "[REDACTED]"


def redact(text: str) -> str:
    """Replace Authorization header values and `Bearer <token>` with a marker."""
    text = _AUTH_VALUE.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}{m.group(2)}", text)
    return _BEARER.sub(lambda m: f"{m.group(1)}{REDACTED}", text)


class RedactAuthorization(logging.Filter):
    """tweepy logs every request's headers at DEBUG, bearer token included: rewrite the record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install_log_redaction() -> None:
    """Attach the filter to tweepy's loggers once (a logger filter runs before any handler)."""
    for name in ("tweepy.client", "tweepy"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactAuthorization) for f in logger.filters):
            logger.addFilter(RedactAuthorization())


install_log_redaction()
