"""Graph accounts, posts and comments of the sandbox, and the small formats Graph uses."""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from devkit.sandbox.dataset import DatasetError, need_str

DEMO_GRAPH_TOKEN = "demo-sandbox-token"  # noqa: S105 (nobody's secret)
GRAPH = "https://graph.facebook.com"
VERSION = r"v\d{1,2}\.\d{1,2}"
DEFAULT_LIMIT, MAX_LIMIT = 25, 100
APP_CALL_BUDGET = 2000  # calls per hour before X-App-Usage reads 100


def graph_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _cursor(key: tuple[int, str]) -> str:
    return base64.urlsafe_b64encode(f"{key[0]}:{key[1]}".encode()).decode().rstrip("=")


def _uncursor(value: str) -> tuple[int, str] | None:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        stamp, _, ident = raw.partition(":")
        return int(stamp), ident
    except (ValueError, UnicodeDecodeError):
        return None


# --- the model -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GraphAccount:
    id: str
    kind: str  # "page" | "instagram"
    name: str
    username: str | None = None
    paging: str = "cursor"  # "time": time-based paging links (until/__paging_token), no cursors


@dataclass(frozen=True, slots=True)
class GraphPost:
    id: str
    owner: str
    text: str
    created: datetime
    updated: datetime
    images: tuple[Mapping[str, Any], ...] = ()
    link: Mapping[str, Any] | None = None  # a shared link: url, title, description
    media_type: str = "IMAGE"
    note: str | None = None

    def key(self) -> tuple[int, str]:
        return int(self.created.timestamp()), self.id


@dataclass(frozen=True, slots=True)
class GraphComment:
    id: str
    post_id: str
    parent_id: str | None
    text: str
    created: datetime
    author_id: str | None = None
    author_name: str | None = None
    note: str | None = None


ACCOUNT_KEYS = frozenset({"id", "kind", "name", "username", "paging"})
POST_KEYS = frozenset(
    {"id", "owner", "text", "created_time", "updated_time", "images", "link", "media_type", "note"}
)
COMMENT_KEYS = frozenset(
    {"id", "post_id", "parent_id", "text", "created_time", "author_id", "author_name", "note"}
)


def _graph_id(obj: Mapping[str, Any], key: str, where: str, source: str) -> str:
    value = need_str(obj, key, where, source)
    if not re.fullmatch(r"[0-9]{1,30}(_[0-9]{1,30})?", value):
        raise DatasetError(source, f"{where}.{key}: {value!r} is not a Graph id")
    return value


def _now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()
