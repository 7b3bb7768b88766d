"""HTTP plumbing the connectors share: a session that reaches a stand-in host, and media download.

Platform SDKs hard-code their hosts (tweepy `https://api.twitter.com`, facebook-sdk
`https://graph.facebook.com/`). `RewritingSession` sends those to `base_url` (the sandbox, a
proxy) and adds the timeout the SDKs omit. When the API host is overridden, media URLs on the
platform's CDN are fetched through the same host as `{base_url}/media/{cdn host}/{path}`, which
is where the sandbox serves its generated images.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests

from connectors.errors import AuthExpired, ConnectorError, RateLimited, TransientError

MEDIA_PREFIX = "/media/"


@dataclass(frozen=True, slots=True)
class Media:
    """Bytes of one image (or video preview) a post carries, for image detectors."""

    url: str
    content_type: str
    data: bytes


class RewritingSession(requests.Session):
    """Requests for any of `hosts` go to `base_url` instead; every request gets a timeout."""

    def __init__(self, base_url: str, timeout: float, hosts: Sequence[str] = ()) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.hosts = tuple(h.rstrip("/") for h in hosts)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        if isinstance(url, str):
            for host in self.hosts:
                if url.startswith(host + "/") and host != self.base_url:
                    url = self.base_url + url[len(host) :]
                    break
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().request(method, url, *args, **kwargs)

    @property
    def overridden(self) -> bool:
        """True when the API host is not the platform's own (sandbox, proxy)."""
        return bool(self.hosts) and self.base_url not in self.hosts


def media_url(session: RewritingSession, url: str) -> str:
    """Where to fetch `url` from: the CDN itself, or through an overridden API host."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConnectorError(f"not a media URL: {url!r}")
    if not session.overridden or url.startswith(session.base_url + "/"):
        return url
    return f"{session.base_url}{MEDIA_PREFIX}{parts.netloc}{parts.path}"


def download(
    session: requests.Session, url: str, *, max_bytes: int, endpoint: str = "GET media"
) -> Media:
    """One media file, refusing more than `max_bytes`; failures become `ConnectorError`s."""
    try:
        with session.get(url, stream=True) as response:
            status = response.status_code
            if status in (401, 403):
                raise AuthExpired(f"media refused with HTTP {status}", endpoint=endpoint)
            if status == 429:
                raise RateLimited(
                    "media rate-limited", reset_at=retry_after(response.headers), endpoint=endpoint
                )
            if status >= 500:
                raise TransientError(f"media server error HTTP {status}", endpoint=endpoint)
            if status != 200:
                raise ConnectorError(f"media answered HTTP {status}", endpoint=endpoint)
            declared = int(response.headers.get("Content-Length") or 0)
            if declared > max_bytes:
                raise ConnectorError(
                    f"media is {declared} bytes, over the {max_bytes} byte cap", endpoint=endpoint
                )
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise ConnectorError(
                        f"media exceeds the {max_bytes} byte cap", endpoint=endpoint
                    )
                chunks.append(chunk)
            content_type = response.headers.get("Content-Type", "application/octet-stream")
    except requests.Timeout as exc:
        raise TransientError("media download timed out", endpoint=endpoint) from exc
    except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
        raise TransientError(
            f"cannot reach media host: {type(exc).__name__}", endpoint=endpoint
        ) from exc
    return Media(url=url, content_type=content_type.split(";")[0].strip(), data=b"".join(chunks))


def retry_after(headers: Mapping[str, Any], default_seconds: int = 900) -> datetime:
    """A 429's reset time from `ratelimit-reset` / `x-rate-limit-reset` (epoch seconds) or
    `Retry-After` (seconds), else `default_seconds` from now."""
    lowered = {str(k).lower(): str(v) for k, v in headers.items()}
    now = datetime.now(UTC)
    reset = lowered.get("ratelimit-reset") or lowered.get("x-rate-limit-reset")
    if reset and reset.isdigit() and int(reset) > 0:
        return datetime.fromtimestamp(int(reset), UTC)
    after = lowered.get("retry-after")
    if after and after.isdigit():
        return now + timedelta(seconds=int(after))
    return now + timedelta(seconds=default_seconds)


def as_mapping(value: object) -> Mapping[str, Any]:
    """`value` if a platform sent an object there, else an empty one (payloads are untrusted)."""
    return value if isinstance(value, Mapping) else {}
