"""Failures a connector reports, each telling the pipeline what to do with the account."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any


class ConnectorError(Exception):
    """Base: names the endpoint so IT can tell which call failed."""

    def __init__(self, message: str, *, endpoint: str = "") -> None:
        super().__init__(message)
        self.endpoint = endpoint

    def __str__(self) -> str:
        base = super().__str__()
        return f"{base} [{self.endpoint}]" if self.endpoint else base


class RateLimited(ConnectorError):
    """429 or quota headers: defer this account until `reset_at`; others carry on."""

    def __init__(self, message: str, *, reset_at: datetime, endpoint: str = "") -> None:
        super().__init__(message, endpoint=endpoint)
        self.reset_at = reset_at


class AuthExpired(ConnectorError):
    """401 / Graph error 190: the account needs re-authorisation by IT."""


class TransientError(ConnectorError):
    """5xx, timeouts, connection resets: worth a bounded retry."""


class MalformedPayload(ConnectorError):
    """The platform answered something we cannot parse; keep the raw body for diagnosis."""

    def __init__(self, message: str, *, raw: str | bytes = b"", endpoint: str = "") -> None:
        super().__init__(message, endpoint=endpoint)
        self.raw = raw if isinstance(raw, bytes) else raw.encode("utf-8", "replace")

    @classmethod
    def from_payload(
        cls, platform: str, problem: str, payload: Any, *, endpoint: str
    ) -> MalformedPayload:
        """A parsed page we cannot use, re-serialised as the raw body kept for diagnosis."""
        try:
            raw = json.dumps(payload, ensure_ascii=False, default=repr)
        except (TypeError, ValueError):
            raw = repr(payload)
        return cls(f"malformed {platform} page: {problem}", raw=raw, endpoint=endpoint)
