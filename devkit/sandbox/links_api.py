"""Link shorteners in the sandbox: `bit.ly`-style redirects at `/redirect/{host}/{path}`.

Connectors ask a shortener where a link leads with `HEAD` and read `Location` (see
`connectors.links`); through an overridden API host they ask `{base}/redirect/{host}{path}`.
The dataset's `links.short` maps each short URL to where it redirects (a chain is allowed:
a short URL may redirect to another short URL). Unknown short links are a 404, as a shortener
answers for a code it never issued.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from devkit.sandbox.dataset import DatasetError, need_object, unknown_keys
from devkit.sandbox.routing import Request, Response, Route, json_response


class LinksApi:
    """Serves the dataset's short links as 301 redirects; nothing else."""

    name = "links"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._short: dict[str, str] = {}

    def load(self, section: Mapping[str, Any] | None, source: str) -> None:
        section = need_object(section or {}, "links", source)
        unknown_keys(section, frozenset({"short"}), "links", source)
        short = need_object(section.get("short", {}), "links.short", source)
        for url, target in short.items():
            if not re.match(r"^https?://[^/]+/.+", url) or not isinstance(target, str):
                raise DatasetError(source, f"links.short[{url!r}]: expected a URL to a URL")
        with self._lock:
            self._short = dict(short)

    def add(self, short_url: str, target: str) -> None:
        with self._lock:
            self._short[short_url] = target

    def owns(self, path: str) -> bool:
        return path.startswith("/redirect/")

    def routes(self) -> Sequence[Route]:
        pattern = re.compile(r"^/redirect/(?P<host>[^/]+)(?P<rest>/.*)$")
        return [Route("GET", pattern, self._redirect), Route("HEAD", pattern, self._redirect)]

    def control_routes(self) -> Sequence[Route]:
        return [Route.of("POST", "/_sandbox/links", self._ctl_add)]

    def not_found(self, request: Request) -> Response:
        return Response(404, b"Not Found", {"Content-Type": "text/plain"})

    def fault_response(self, mode: str, *, reset_in: int) -> Response:
        status = {"429": 429, "500": 500, "503": 503, "expired": 403}[mode]
        return Response(status, b"shortener fault", {"Content-Type": "text/plain"})

    def _redirect(self, request: Request, host: str, rest: str) -> Response:
        query = "&".join(f"{k}={v[-1]}" for k, v in request.query.items())
        wanted = [f"https://{host}{rest}", f"http://{host}{rest}"]
        if query:
            wanted = [f"{w}?{query}" for w in wanted] + wanted
        with self._lock:
            target = next((self._short[w] for w in wanted if w in self._short), None)
        if target is None:
            return self.not_found(request)
        return Response(301, b"", {"Location": target, "Content-Type": "text/html"})

    def _ctl_add(self, request: Request) -> Response:
        try:
            body = request.json()
            self.add(str(body["short"]), str(body["target"]))
        except (ValueError, KeyError, TypeError) as exc:
            return json_response(400, {"error": f"expected {{short, target}}: {exc}"})
        return json_response(201, {"short": body["short"]})
