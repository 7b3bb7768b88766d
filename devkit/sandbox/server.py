"""The sandbox HTTP server: platform routes, switchable faults, a request log and a control API.

Platforms: X API v2 (`/2/`), the Graph API for Facebook Pages and Instagram (`/v24.0/`), blog
feeds (`/blogs/`), Bluesky XRPC (`/xrpc/`), generated media (`/media/`) and link shorteners
(`/redirect/`).

Tests run it in-process (`with SandboxServer() as sb:`); `postwarden sandbox` runs `serve()`.
Platform modules (X today) provide data, routes and error shapes; this module owns everything
platform-neutral: the socket, `/_sandbox/` control endpoints, faults and the request log.

Control API (no auth; it binds 127.0.0.1 by default and is a test double, not a service):
    GET    /_sandbox/health                     {"status": "ok", "platforms": [...]}
    GET    /_sandbox/faults                     {"faults": [fault, ...]}
    POST   /_sandbox/faults                     {"path", "mode", "times"?, "delay"?, "reset_in"?,
                                                 "after"?}
    DELETE /_sandbox/faults                     {"cleared": n}
    GET    /_sandbox/requests[?path=<prefix>]   {"count": n, "requests": [entry, ...]}
    DELETE /_sandbox/requests                   {"cleared": n}
    POST   /_sandbox/reset                      reload the dataset, clear faults and the log
    ...plus each platform's own, e.g. /_sandbox/x/tweets (see `x.api.XApi.control_routes`),
    /_sandbox/graph/..., /_sandbox/feeds/..., /_sandbox/bluesky/...
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Iterable, Mapping
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from devkit.sandbox.app import (
    CONTROL_PREFIX,
    DEFAULT_RESET_IN,
    DEFAULT_TIMEOUT_DELAY,
    FAULT_MODES,
    Fault,
    SandboxApp,
)
from devkit.sandbox.dataset import DEMO_DATASET, DatasetError
from devkit.sandbox.routing import Request, json_response

log = logging.getLogger(__name__)


class _Handler(BaseHTTPRequestHandler):
    """Adapts `http.server` to `SandboxApp.handle`."""

    # One request per connection: a client that timed out cannot leave a keep-alive thread behind.
    protocol_version = "HTTP/1.0"
    server_version = "postwarden-sandbox/1"
    server: _Server

    def _handle(self) -> None:
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        request = Request(
            method=self.command,
            path=split.path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers=dict(self.headers.items()),
            body=self.rfile.read(length) if length else b"",
        )
        try:
            response = self.server.app.handle(request)
        except Exception as exc:  # a sandbox bug must surface as a 500, not a hung client
            log.exception("sandbox failed on %s %s", request.method, request.path)
            response = json_response(500, {"error": f"sandbox bug: {type(exc).__name__}: {exc}"})
        try:
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            log.debug("client went away before %s %s was answered", request.method, request.path)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    app: SandboxApp


class SandboxServer:
    """The sandbox on a background thread, for tests and the demo.

    `with SandboxServer() as sb:` serves the demo dataset on 127.0.0.1 at a free port (`sb.url`).
    """

    def __init__(
        self,
        dataset: Path | str | Mapping[str, Any] | None = None,
        *,
        tokens: Iterable[str] = (),
        host: str = "127.0.0.1",
        port: int = 0,
        timeout_delay: float = DEFAULT_TIMEOUT_DELAY,
    ) -> None:
        self.app = SandboxApp(dataset, tokens=tokens, timeout_delay=timeout_delay)
        self._host, self._port = host, port
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> Self:
        if self._httpd is not None:
            raise RuntimeError("sandbox already started")
        self.app.stopping.clear()
        httpd = _Server((self._host, self._port), _Handler)
        httpd.app = self.app
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.01},  # stop() waits up to one poll
            name=f"postwarden-sandbox:{httpd.server_address[1]}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port; idempotent."""
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        self.app.stopping.set()
        httpd.shutdown()
        httpd.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._httpd = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """`http://127.0.0.1:<port>`, no trailing slash (a connector's `base_url`)."""
        if self._httpd is None:
            raise RuntimeError("sandbox not started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    # -- the control API as methods ---------------------------------------------------------

    def add_fault(
        self,
        path: str,
        mode: str,
        times: int | None = 1,
        *,
        delay: float | None = None,
        reset_in: int = DEFAULT_RESET_IN,
        after: int = 0,
    ) -> dict[str, Any]:
        body = {
            "path": path,
            "mode": mode,
            "times": times,
            "delay": delay,
            "reset_in": reset_in,
            "after": after,
        }
        return self.app.add_fault(Fault.from_body(body)).as_dict()

    def clear_faults(self) -> int:
        return self.app.clear_faults()

    def faults(self) -> list[dict[str, Any]]:
        return self.app.faults()

    def add_tweet(
        self,
        author_id: str,
        text: str,
        *,
        tweet_id: str | None = None,
        created_at: datetime | str | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Post as `author_id`; `fields` are the dataset's (media, referenced_tweets, lang...)."""
        record = {"author_id": author_id, "text": text, "id": tweet_id, "created_at": created_at}
        return self.app.x.add_tweet({**record, **fields})

    def delete_tweet(self, tweet_id: str) -> bool:
        return self.app.x.delete_tweet(tweet_id)

    def edit_tweet(self, tweet_id: str, text: str) -> dict[str, Any]:
        """X's edit: a new id whose `edit_history_tweet_ids` lists the old ones."""
        return self.app.x.edit_tweet(tweet_id, text)

    def tweets_of(self, user_id: str) -> list[dict[str, Any]]:
        return self.app.x.tweets_of(user_id)

    def upstream_ids(self, platform: str, external_id: str) -> list[str]:
        """Sorted ids a complete pull of this account must store (posts, comments, items)."""
        if platform == "x":
            return sorted(t["id"] for t in self.tweets_of(external_id))
        if platform in ("facebook", "instagram"):
            return self.app.graph.ids_of(external_id)
        if platform == "blog":
            slug = external_id.rstrip("/").split("/")[-2]  # .../blogs/<slug>/feed.xml
            return sorted(i["guid"] for i in self.app.feeds.items_of(slug))
        if platform == "bluesky":
            return self.app.bluesky.uris_of(external_id)
        raise ValueError(f"the sandbox does not serve {platform!r}")

    def requests(self, path_prefix: str | None = None) -> list[dict[str, Any]]:
        return self.app.requests(path_prefix)

    def request_count(self, path_prefix: str | None = None) -> int:
        return len(self.app.requests(path_prefix))

    def clear_requests(self) -> int:
        return self.app.clear_requests()

    def reset(self) -> None:
        self.app.reset()


def serve(host: str, port: int, dataset_path: Path | None) -> None:
    """Serve until Ctrl-C or SIGTERM (the `postwarden sandbox` command).

    The handlers are installed explicitly: a process started in the background by a
    non-interactive shell inherits SIGINT as ignored, and `docker stop` sends SIGTERM.
    """

    def stop(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    server: SandboxServer | None = None
    # Everything after the handlers is inside the try: a signal that lands while the banner is
    # still being printed (a client may already be served) stops the server as cleanly.
    try:
        server = SandboxServer(dataset_path, host=host, port=port).start()
        source = dataset_path or DEMO_DATASET
        print(
            f"postwarden sandbox: X API v2, Graph API, blog feeds and Bluesky at {server.url} "
            f"(dataset {source})",
            flush=True,
        )
        print(f"control API: {server.url}/_sandbox/health ; Ctrl-C to stop", flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        if server is not None:
            server.stop()
        print("postwarden sandbox: stopped", flush=True)


__all__ = [
    "CONTROL_PREFIX",
    "DEMO_DATASET",
    "FAULT_MODES",
    "DatasetError",
    "Fault",
    "SandboxApp",
    "SandboxServer",
    "serve",
]
