"""The facebook-sdk adapter: `facebook.GraphAPI` made fit for a current Graph API, unforked.

facebook-sdk 3.1.0 is the maintained client's last release and shows its age in three places this
adapter covers, and nowhere else:

- its constructor refuses versions above 3.1, so the configured current version (`v24.0`) is set
  on the `version` attribute after construction;
- `get_all_connections` raises `KeyError: 'access_token'` when a `paging.next` link carries no
  token (Graph omits it on some nested edges): `all_connections` does the same walk without it;
- it hides the response: the session records it, so Graph's usage headers (`X-App-Usage`,
  `X-Business-Use-Case-Usage`) and HTTP status reach the error mapping.

Every failure leaves as a `ConnectorError`: error 190 is `AuthExpired`; throttling codes (4, 17,
32, 613, 80001...) and usage at or over `USAGE_DEFER_PERCENT` are `RateLimited` until the time the
headers give; code 1 ("reduce the amount of data") is `ReduceData`, which the edge sweep answers
with a smaller request; 5xx, code 2 and `is_transient` are `TransientError`; an unparseable body is
`MalformedPayload`; error 100 on an object is `GraphNotFound` (the deletion check's signal).
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import facebook
import requests
from pydantic import Field

from connectors.base import ConnectorConfig
from connectors.errors import (
    AuthExpired,
    ConnectorError,
    MalformedPayload,
    RateLimited,
    TransientError,
)
from connectors.http import RewritingSession, as_mapping

GRAPH_HOST = "https://graph.facebook.com"
VERSION_RE = re.compile(r"^v\d{1,2}\.\d{1,2}$")
THROTTLE_CODES = frozenset({4, 17, 32, 341, 368, 613, 80001, 80002, 80004, 80005, 80006})
TRANSIENT_CODES = frozenset({2})
REDUCE_DATA_CODE = 1
AUTH_CODES = frozenset({190, 102})
NOT_FOUND_CODE = 100
USAGE_DEFER_PERCENT = 95  # Graph throttles at 100: stop just before, not after
APP_WINDOW = timedelta(hours=1)  # X-App-Usage is a rolling hour and carries no reset time


_TOKEN_IN_URL = re.compile(r"(access_token=)[^&\s\"']+")


class RedactAccessToken(logging.Filter):
    """urllib3 logs request lines at DEBUG, and facebook-sdk puts the token in the query."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "access_token=" in message:
            record.msg, record.args = _TOKEN_IN_URL.sub(r"\1[REDACTED]", message), None
        return True


_urllib3_log = logging.getLogger("urllib3.connectionpool")
if not any(isinstance(f, RedactAccessToken) for f in _urllib3_log.filters):
    _urllib3_log.addFilter(RedactAccessToken())


class GraphNotFound(ConnectorError):
    """Graph error 100 on an object: deleted, or never visible to this token."""


class ReduceData(TransientError):
    """Graph error 1: the same request will fail again; ask for less (fewer posts, comments)."""


def _usage_percent(value: Any) -> int:
    numbers = [v for k, v in value.items() if k != "estimated_time_to_regain_access"]
    return max((int(v) for v in numbers if isinstance(v, int | float)), default=0)


def usage_from_headers(headers: Mapping[str, str]) -> tuple[int, timedelta | None]:
    """(highest usage percent, time to regain access) from Graph's usage headers."""
    lowered = {k.lower(): v for k, v in headers.items()}
    highest, regain = 0, None
    raw_app = lowered.get("x-app-usage")
    if raw_app:
        try:
            highest = max(highest, _usage_percent(json.loads(raw_app)))
        except (ValueError, AttributeError):
            pass
    raw_buc = lowered.get("x-business-use-case-usage")
    if raw_buc:
        try:
            for entries in json.loads(raw_buc).values():
                for entry in entries:
                    highest = max(highest, _usage_percent(entry))
                    minutes = entry.get("estimated_time_to_regain_access")
                    if isinstance(minutes, int | float) and minutes > 0:
                        wait = timedelta(minutes=minutes)
                        regain = max(regain, wait) if regain else wait
        except (ValueError, AttributeError, TypeError):
            pass
    return highest, regain


class _GraphSession(RewritingSession):
    """facebook-sdk's fixed `https://graph.facebook.com/` to `base_url`; keeps the last answer."""

    def __init__(self, base_url: str, timeout: float) -> None:
        super().__init__(base_url, timeout, hosts=(GRAPH_HOST,))
        self.last: requests.Response | None = None

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        self.last = None
        response = super().request(method, url, *args, **kwargs)
        self.last = response
        return response


class GraphClient:
    """One token's view of the Graph API through `facebook.GraphAPI` (see the module doc)."""

    def __init__(
        self,
        access_token: str,
        *,
        version: str,
        base_url: str = GRAPH_HOST,
        timeout: float = 10.0,
    ) -> None:
        if not VERSION_RE.match(version):
            raise ValueError(f"Graph API version must look like v24.0, got {version!r}")
        if not re.match(r"^https?://[^/\s]+", base_url):
            raise ValueError(f"base_url must be an http(s) URL, got {base_url!r}")
        self.session = _GraphSession(base_url, timeout)
        self.api = facebook.GraphAPI(
            access_token=access_token, timeout=timeout, session=self.session
        )
        self.api.version = version  # the constructor only knows up to 3.1
        self.version = version
        self.throttled_until: datetime | None = None
        self.calls = 0

    def __repr__(self) -> str:
        return f"GraphClient(version={self.version!r}, base_url={self.session.base_url!r})"

    # -- calls ------------------------------------------------------------------------------

    def get(self, path: str, endpoint: str, **args: Any) -> dict[str, Any]:
        """GET `/{version}/{path}` with `args`; the decoded JSON object."""
        return self._call(lambda: self.api.request(f"{self.version}/{path}", args), endpoint)

    def all_connections(self, next_url: str, endpoint: str) -> Iterator[dict[str, Any]]:
        """Every item from a `paging.next` link onwards, token or no token in the link.

        `GraphAPI.get_all_connections` would `del args["access_token"]` and fail when the link
        has none; the session adds our token to every request anyway.
        """
        url: str | None = next_url
        while url:
            parts = urlsplit(url)
            path = re.sub(r"^/v\d+\.\d+/", "", parts.path).lstrip("/")
            args = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            args.pop("access_token", None)
            page = self.get(path, endpoint, **args)
            data = page.get("data")
            if not isinstance(data, list):
                raise MalformedPayload(
                    "a connection page has no `data` list", raw=json.dumps(page), endpoint=endpoint
                )
            yield from data
            paging = page.get("paging")
            url = paging.get("next") if isinstance(paging, Mapping) else None

    # -- error mapping ----------------------------------------------------------------------

    def _call(self, send: Any, endpoint: str) -> dict[str, Any]:
        now = datetime.now(UTC)
        if self.throttled_until and self.throttled_until > now:
            raise RateLimited(
                f"Graph usage near its limit; waiting until {self.throttled_until.isoformat()}",
                reset_at=self.throttled_until,
                endpoint=endpoint,
            )
        self.calls += 1
        try:
            result = send()
        except facebook.GraphAPIError as exc:
            raise self._translate(exc, endpoint) from exc
        except requests.JSONDecodeError as exc:
            raise MalformedPayload(
                f"Graph answered invalid JSON: {exc.msg} at char {exc.pos}",
                raw=exc.doc if isinstance(exc.doc, str | bytes) else b"",
                endpoint=endpoint,
            ) from exc
        except KeyError as exc:  # facebook-sdk reads headers["content-type"] unguarded
            raise MalformedPayload(
                f"Graph answered without {exc}", raw=self._raw(), endpoint=endpoint
            ) from exc
        except requests.Timeout as exc:
            raise TransientError("Graph did not answer in time", endpoint=endpoint) from exc
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            raise TransientError(
                f"cannot reach Graph at {self.session.base_url}: {type(exc).__name__}",
                endpoint=endpoint,
            ) from exc
        except requests.RequestException as exc:
            raise ConnectorError(f"request to Graph failed: {exc}", endpoint=endpoint) from exc
        status = self.session.last.status_code if self.session.last is not None else 200
        if status >= 500:
            raise TransientError(f"Graph server error HTTP {status}", endpoint=endpoint)
        if not isinstance(result, dict):
            raise MalformedPayload(
                f"Graph answered {type(result).__name__}, expected an object",
                raw=self._raw(),
                endpoint=endpoint,
            )
        self._watch_usage(now)
        return result

    def _watch_usage(self, now: datetime) -> None:
        """Defer the account's next call when the headers say the budget is nearly spent."""
        if self.session.last is None:
            return
        percent, regain = usage_from_headers(self.session.last.headers)
        if percent >= USAGE_DEFER_PERCENT:
            self.throttled_until = now + (regain or APP_WINDOW)

    def _raw(self) -> bytes:
        return self.session.last.content if self.session.last is not None else b""

    def _translate(self, exc: facebook.GraphAPIError, endpoint: str) -> ConnectorError:
        result = exc.result if isinstance(exc.result, Mapping) else {}
        error = as_mapping(result.get("error"))
        code = error.get("code") if isinstance(error.get("code"), int) else None
        subcode = error.get("error_subcode")
        status = self.session.last.status_code if self.session.last is not None else 0
        message = str(error.get("message") or exc)
        detail = (
            f"Graph error {code}" + (f"/{subcode}" if subcode else "") + f": {message}"
            if code is not None
            else f"HTTP {status}: {message}"
        )
        if code in AUTH_CODES:
            return AuthExpired(f"Graph refused the access token ({detail})", endpoint=endpoint)
        if code in THROTTLE_CODES or status == 429:
            headers = self.session.last.headers if self.session.last is not None else {}
            _, regain = usage_from_headers(headers)
            reset = datetime.now(UTC) + (regain or APP_WINDOW)
            return RateLimited(
                f"Graph rate limit ({detail}); resets about {reset.isoformat()}",
                reset_at=reset,
                endpoint=endpoint,
            )
        if code == REDUCE_DATA_CODE:
            return ReduceData(f"Graph asks for less data ({detail})", endpoint=endpoint)
        if code in TRANSIENT_CODES or error.get("is_transient") is True or status >= 500:
            return TransientError(f"Graph server trouble ({detail})", endpoint=endpoint)
        if code == NOT_FOUND_CODE and status in (400, 404):
            return GraphNotFound(detail, endpoint=endpoint)
        if code is None and status >= 400:
            return MalformedPayload(
                f"Graph answered HTTP {status} without an error object",
                raw=self._raw(),
                endpoint=endpoint,
            )
        return ConnectorError(f"Graph rejected the request ({detail})", endpoint=endpoint)


def parse_graph_time(value: Any) -> datetime | None:
    """Graph's `2026-11-03T15:42:00+0000` (or ISO with a colon) as aware UTC; None if not."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else None


def epoch(value: datetime) -> int:
    return math.floor(value.timestamp())


class GraphConfig(ConnectorConfig):
    """Facebook Pages and Instagram share the Graph API and these settings."""

    base_url: str = Field(default=GRAPH_HOST, description="Graph API host (Facebook, Instagram).")
    version: str = Field(
        default="v24.0", pattern=r"^v\d{1,2}\.\d{1,2}$", description="Graph API version to call."
    )
    page_size: int = Field(default=25, ge=1, le=100, description="Graph posts per page.")
    revisit_days: int = Field(
        default=3, ge=0, description="Days of posts re-read each cycle for new comments and edits."
    )
    deletion_window_days: int = Field(
        default=2, ge=0, description="Recent posts re-checked for deletion."
    )
