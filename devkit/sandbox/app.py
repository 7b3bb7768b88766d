"""Everything of the sandbox but the socket: dispatch to the platforms, faults, the request log
and the `/_sandbox/` control API (documented in `devkit.sandbox.server`)."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from devkit.sandbox.bluesky_api import BlueskyApi
from devkit.sandbox.dataset import (
    DEMO_DATASET,
    METADATA_KEYS,
    DatasetError,
    check_top_level,
    read_dataset,
)
from devkit.sandbox.feeds_api import FeedsApi
from devkit.sandbox.graph import GraphApi
from devkit.sandbox.links_api import LinksApi
from devkit.sandbox.media_api import MediaApi
from devkit.sandbox.routing import Request, Response, Route, Router, SandboxPlatform, json_response
from devkit.sandbox.x import XApi

CONTROL_PREFIX = "/_sandbox/"
FAULT_MODES = ("429", "500", "503", "timeout", "malformed", "expired")
DEFAULT_TIMEOUT_DELAY = 15.0  # longer than the product's default 10 s client timeout
DEFAULT_RESET_IN = 900  # X's 15-minute window


@dataclass(slots=True)
class Fault:
    """A fault on every API path starting with `path`, for the next `times` requests (None: all)."""

    path: str
    mode: str
    times: int | None = 1
    delay: float | None = None  # `timeout` only; default: the server's `timeout_delay`
    reset_in: int = DEFAULT_RESET_IN  # `429` only: seconds until `x-rate-limit-reset`
    after: int = 0  # let this many matching requests through first (e.g. fault page 2 only)
    hits: int = 0
    seen: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "mode": self.mode,
            "times": self.times,
            "delay": self.delay,
            "reset_in": self.reset_in,
            "after": self.after,
            "hits": self.hits,
        }

    @classmethod
    def from_body(cls, body: Any) -> Fault:
        """Validate a control-API body; ValueError says what is wrong."""
        if not isinstance(body, Mapping):
            raise ValueError("fault must be a JSON object")
        extra = set(body) - {"path", "mode", "times", "delay", "reset_in", "after"}
        if extra:
            raise ValueError(f"unknown fault field(s): {', '.join(sorted(extra))}")
        path, mode = body.get("path"), body.get("mode")
        if not isinstance(path, str) or not path.startswith("/"):
            raise ValueError("fault 'path' must be a path prefix starting with '/'")
        if path.startswith(CONTROL_PREFIX.rstrip("/")):
            raise ValueError("faults cannot target the /_sandbox/ control API")
        if mode not in FAULT_MODES:
            raise ValueError(f"fault 'mode' must be one of {', '.join(FAULT_MODES)}; got {mode!r}")
        times = body.get("times", 1)
        if times is not None and (
            not isinstance(times, int) or isinstance(times, bool) or times < 1
        ):
            raise ValueError(
                "fault 'times' must be a whole number >= 1, or null for 'until cleared'"
            )
        delay = body.get("delay")
        if delay is not None and (
            not isinstance(delay, int | float) or isinstance(delay, bool) or delay <= 0
        ):
            raise ValueError("fault 'delay' must be a number of seconds > 0")
        reset_in = body.get("reset_in", DEFAULT_RESET_IN)
        if not isinstance(reset_in, int) or isinstance(reset_in, bool) or reset_in < 0:
            raise ValueError("fault 'reset_in' must be a whole number of seconds >= 0")
        after = body.get("after", 0)
        if not isinstance(after, int) or isinstance(after, bool) or after < 0:
            raise ValueError("fault 'after' must be a whole number of requests >= 0")
        return cls(path=path, mode=mode, times=times, delay=delay, reset_in=reset_in, after=after)


class SandboxApp:
    """Everything but the socket: dispatch, faults, log. Thread-safe; one per server."""

    def __init__(
        self,
        dataset: Path | str | Mapping[str, Any] | None = None,
        *,
        tokens: Iterable[str] = (),
        timeout_delay: float = DEFAULT_TIMEOUT_DELAY,
    ) -> None:
        self.dataset = dataset
        self.timeout_delay = timeout_delay
        self.x = XApi(tokens)
        self.graph = GraphApi(tokens)
        self.feeds = FeedsApi(tokens)
        self.bluesky = BlueskyApi()
        self.media = MediaApi()
        self.links = LinksApi()
        self.platforms: tuple[SandboxPlatform, ...] = (
            self.x,
            self.graph,
            self.feeds,
            self.bluesky,
            self.media,
            self.links,
        )
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._log: list[dict[str, Any]] = []
        self._seq = 0
        self.api = Router()
        self.control = Router()
        for platform in self.platforms:
            self.api.add(platform.routes())
            self.control.add(platform.control_routes())
        self.control.add(self._control_routes())
        self.load()

    # -- data -------------------------------------------------------------------------------

    def load(self) -> None:
        """(Re)load the dataset into every platform; raises `DatasetError` naming the file."""
        if isinstance(self.dataset, Mapping):
            source, data = "<dataset>", check_top_level(self.dataset, "<dataset>")
        else:
            path = Path(self.dataset) if self.dataset is not None else DEMO_DATASET
            source, data = str(path), read_dataset(path)
        known = {p.name for p in self.platforms} | METADATA_KEYS
        unknown = sorted(set(data) - known)
        if unknown:
            raise DatasetError(
                source,
                f"unknown top-level section(s) {', '.join(map(repr, unknown))}; "
                f"known: {', '.join(sorted(known))}",
            )
        for platform in self.platforms:
            platform.load(data.get(platform.name), source)

    def reset(self) -> None:
        self.load()
        self.clear_faults()
        self.clear_requests()

    # -- faults -----------------------------------------------------------------------------

    def add_fault(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> int:
        with self._lock:
            n, self._faults = len(self._faults), []
        return n

    def faults(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.as_dict() for f in self._faults]

    def _take_fault(self, path: str) -> Fault | None:
        """The first fault matching `path`, counted down (and dropped when used up)."""
        with self._lock:
            for fault in self._faults:
                if path.startswith(fault.path):
                    fault.seen += 1
                    if fault.seen <= fault.after:
                        continue
                    fault.hits += 1
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times == 0:
                            self._faults.remove(fault)
                    return fault
        return None

    # -- request log ------------------------------------------------------------------------

    def requests(self, path_prefix: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            entries = [dict(e) for e in self._log]
        if path_prefix is None:
            return entries
        return [e for e in entries if e["path"].startswith(path_prefix)]

    def clear_requests(self) -> int:
        with self._lock:
            n, self._log = len(self._log), []
        return n

    def _record(self, request: Request) -> dict[str, Any]:
        """Log an API request (never its headers: they carry the bearer token)."""
        with self._lock:
            self._seq += 1
            entry: dict[str, Any] = {
                "seq": self._seq,
                "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "method": request.method,
                "path": request.path,
                "query": {k: v[-1] for k, v in request.query.items()},
                "status": None,
                "fault": None,
            }
            self._log.append(entry)
        return entry

    # -- dispatch ---------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        if request.path.startswith(CONTROL_PREFIX) or request.path == CONTROL_PREFIX.rstrip("/"):
            return self.control.dispatch(request, _control_not_found)
        entry = self._record(request)
        platform = next((p for p in self.platforms if p.owns(request.path)), None)
        fault = self._take_fault(request.path)
        if fault is not None:
            entry["fault"] = fault.mode
        response = self._respond(request, platform, fault)
        with self._lock:
            entry["status"] = response.status
        return response

    def _respond(
        self, request: Request, platform: SandboxPlatform | None, fault: Fault | None
    ) -> Response:
        def normal() -> Response:
            if platform is None:
                return json_response(404, {"error": f"no sandbox platform serves {request.path}"})
            return self.api.dispatch(request, platform.not_found)

        if fault is None:
            return normal()
        if fault.mode == "timeout":
            # Wait past the client's timeout; a stopping server wakes us so stop() is prompt.
            self.stopping.wait(fault.delay if fault.delay is not None else self.timeout_delay)
            return normal()
        if fault.mode == "malformed":
            response = normal()
            response.status = 200
            response.body = response.body[: max(1, len(response.body) // 2)]
            return response
        if platform is None:
            return json_response(int(fault.mode) if fault.mode.isdigit() else 401, {})
        return platform.fault_response(fault.mode, reset_in=fault.reset_in)

    # -- control API ------------------------------------------------------------------------

    def _control_routes(self) -> list[Route]:
        return [
            Route.of("GET", "/_sandbox/health", self._ctl_health),
            Route.of(
                "GET", "/_sandbox/faults", lambda r: json_response(200, {"faults": self.faults()})
            ),
            Route.of("POST", "/_sandbox/faults", self._ctl_add_fault),
            Route.of(
                "DELETE",
                "/_sandbox/faults",
                lambda r: json_response(200, {"cleared": self.clear_faults()}),
            ),
            Route.of("GET", "/_sandbox/requests", self._ctl_requests),
            Route.of(
                "DELETE",
                "/_sandbox/requests",
                lambda r: json_response(200, {"cleared": self.clear_requests()}),
            ),
            Route.of("POST", "/_sandbox/reset", self._ctl_reset),
        ]

    def _ctl_health(self, request: Request) -> Response:
        return json_response(200, {"status": "ok", "platforms": [p.name for p in self.platforms]})

    def _ctl_add_fault(self, request: Request) -> Response:
        try:
            fault = self.add_fault(Fault.from_body(request.json()))
        except ValueError as exc:
            return json_response(400, {"error": str(exc)})
        return json_response(201, {"fault": fault.as_dict()})

    def _ctl_requests(self, request: Request) -> Response:
        entries = self.requests(request.arg("path"))
        return json_response(200, {"count": len(entries), "requests": entries})

    def _ctl_reset(self, request: Request) -> Response:
        try:
            self.reset()
        except DatasetError as exc:
            return json_response(500, {"error": str(exc)})
        return json_response(200, {"status": "reset"})


def _control_not_found(request: Request) -> Response:
    return json_response(404, {"error": f"no control endpoint {request.method} {request.path}"})
