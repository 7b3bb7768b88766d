"""Graph's error bodies and usage headers, as a mixin of `GraphApi`."""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Mapping
from typing import Any

from devkit.sandbox.graph.model import APP_CALL_BUDGET
from devkit.sandbox.routing import Request, Response, json_response


class GraphErrors:
    """Fault responses, `{"error": ...}` bodies and `X-App-Usage` headers."""

    _lock: threading.RLock
    _calls: list[float]
    _forced_usage: tuple[int, int] | None

    def not_found(self, request: Request) -> Response:
        return self._error(400, "Unknown path components: " + request.path, "OAuthException", 2500)

    def fault_response(self, mode: str, *, reset_in: int) -> Response:
        if mode == "429":
            minutes = max(1, math.ceil(reset_in / 60))
            return self._error(
                400,
                "(#80001) There have been too many calls to this Page account. "
                "Wait a bit and try again.",
                "OAuthException",
                80001,
                headers=self._usage_headers(usage=(100, minutes)),
            )
        if mode == "500":
            return self._error(
                500, "An unknown error has occurred.", "OAuthException", 1, transient=True
            )
        if mode == "503":
            return Response(
                503, b"<html><body>Service Unavailable</body></html>", {"Content-Type": "text/html"}
            )
        return self._token_error()

    # -- errors and headers ---------------------------------------------------------------------

    def _error(
        self,
        status: int,
        message: str,
        kind: str,
        code: int,
        subcode: int | None = None,
        *,
        transient: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        error: dict[str, Any] = {"message": message, "type": kind, "code": code}
        if subcode is not None:
            error["error_subcode"] = subcode
        if transient:
            error["is_transient"] = True
        error["fbtrace_id"] = "AsandboxTrace0001"
        return json_response(status, {"error": error}, headers)

    def _token_error(self) -> Response:
        return self._error(
            400,
            "Error validating access token: Session has expired on Tuesday, 24-Nov-26 "
            "09:00:00 PST. The current time is Wednesday, 25-Nov-26 01:00:00 PST.",
            "OAuthException",
            190,
            463,
        )

    def _missing(self, obj: str) -> Response:
        return self._error(
            400,
            f"Unsupported get request. Object with ID '{obj}' does not exist, cannot be loaded due "
            "to missing permissions, or does not support this operation. Please read the Graph "
            "API documentation at https://developers.facebook.com/docs/graph-api",
            "GraphMethodException",
            100,
            33,
        )

    def _usage_headers(self, usage: tuple[int, int] | None = None) -> dict[str, str]:
        now = time.time()
        with self._lock:
            self._calls = [t for t in self._calls if now - t < 3600] + [now]
            calls = len(self._calls)
            forced = usage or self._forced_usage
        percent, regain = forced if forced else (min(100, calls * 100 // APP_CALL_BUDGET), 0)
        app = {
            "call_count": percent,
            "total_cputime": max(1, percent // 2),
            "total_time": max(1, percent // 2),
        }
        buc = {
            "sandbox": [
                {
                    "type": "pages",
                    "call_count": percent,
                    "total_cputime": 1,
                    "total_time": 1,
                    "estimated_time_to_regain_access": regain,
                }
            ]
        }
        return {"X-App-Usage": json.dumps(app), "X-Business-Use-Case-Usage": json.dumps(buc)}

    # -- public endpoints -------------------------------------------------------------------
