"""The sandbox's small HTTP vocabulary: requests, responses, routes and the platform protocol.

Kept free of `http.server` so a platform module (X today; Graph, RSS, Bluesky later) is plain
functions over `Request` -> `Response` that tests can call without a socket.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

JSON_CONTENT_TYPE = "application/json; charset=utf-8"


@dataclass(frozen=True, slots=True)
class Request:
    """One HTTP request as the sandbox sees it (query values keep repeats, like the wire)."""

    method: str
    path: str
    query: Mapping[str, Sequence[str]] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    def arg(self, name: str) -> str | None:
        """The last value of a query parameter, or None when absent."""
        values = self.query.get(name)
        return values[-1] if values else None

    def header(self, name: str) -> str | None:
        """A header, case-insensitively (HTTP header names are)."""
        lowered = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lowered:
                return value
        return None

    def json(self) -> Any:
        """The body as JSON; ValueError (with the reason) when it is not."""
        if not self.body:
            raise ValueError("request body is empty; expected a JSON object")
        try:
            return json.loads(self.body)
        except json.JSONDecodeError as exc:
            raise ValueError(f"request body is not JSON: {exc}") from exc


@dataclass(slots=True)
class Response:
    """A response to send; mutable so the fault layer can truncate or re-head it."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Response:
    """A JSON response with the content type real APIs send.

    Raw UTF-8 like X sends; text that cannot be UTF-8 (a lone surrogate a test planted) goes out
    as a `\\udcff` escape instead, which is still valid JSON.
    """
    try:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        body = json.dumps(payload).encode("ascii")
    return Response(
        status=status,
        body=body,
        headers={"Content-Type": JSON_CONTENT_TYPE, **(headers or {})},
    )


Handler = Callable[..., Response]


@dataclass(frozen=True, slots=True)
class Route:
    """`method` + a path regex with named groups; the groups become the handler's kwargs."""

    method: str
    pattern: re.Pattern[str]
    handler: Handler

    @classmethod
    def of(cls, method: str, template: str, handler: Handler) -> Route:
        """Build from a template like `/2/users/{id}/tweets` (`{name}` matches one segment)."""
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
        return cls(method.upper(), re.compile(f"^{regex}$"), handler)


class Router:
    """First matching route wins; a path that matches with another method is a 405."""

    def __init__(self, routes: Sequence[Route] = ()) -> None:
        self._routes: list[Route] = list(routes)

    def add(self, routes: Sequence[Route]) -> None:
        self._routes.extend(routes)

    def dispatch(self, request: Request, not_found: Callable[[Request], Response]) -> Response:
        allowed: list[str] = []
        for route in self._routes:
            match = route.pattern.match(request.path)
            if match is None:
                continue
            if route.method != request.method:
                allowed.append(route.method)
                continue
            return route.handler(request, **match.groupdict())
        if allowed:
            return json_response(
                405,
                {"error": f"{request.method} not allowed on {request.path}"},
                {"Allow": ", ".join(sorted(set(allowed)))},
            )
        return not_found(request)


class SandboxPlatform(Protocol):
    """What a platform module gives the server: data, public routes, control routes, faults."""

    name: str  # its section in the dataset and its control prefix: /_sandbox/<name>/

    def load(self, section: Mapping[str, Any] | None, source: str) -> None:
        """Replace all state from the dataset section; raise `DatasetError` naming the problem."""
        ...

    def owns(self, path: str) -> bool:
        """Whether a public API path belongs to this platform (for faults and 404 shapes)."""
        ...

    def routes(self) -> Sequence[Route]:
        """The platform's public API."""
        ...

    def control_routes(self) -> Sequence[Route]:
        """Test/operator endpoints under /_sandbox/<name>/."""
        ...

    def not_found(self, request: Request) -> Response:
        """The platform's own 404 body."""
        ...

    def fault_response(self, mode: str, *, reset_in: int) -> Response:
        """A 429/500/503/401 shaped exactly like the platform's own error bodies and headers."""
        ...
