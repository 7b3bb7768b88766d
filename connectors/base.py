"""The connector contract, after Airbyte's `HttpStream`: pure request/parse/cursor, one I/O method.

A pull repeats `request(cursor, page_token)` -> `fetch(request)` (the only I/O) ->
`parse_page(payload)` -> `advance(cursor, page)` while a page has a `next_page` token. The pipeline
stores each page's posts and the cursor `advance` returned for it in one transaction, so a cursor
must be resumable mid-pagination (X: `since_id` plus the `until_id` still to read). A crash
re-pulls at most one page (at least once) and the idempotent upsert duplicates nothing.

Two optional I/O methods sit beside `fetch`: `lookup(ids)` (`DeletionAware`: which stored posts
the platform no longer has) and `fetch_media(url)` (`MediaAware`: an image's bytes, capped, for
the image detectors). `PulledPost.extra` keys `kind`, `parent_id` and `root_id` place a comment
in its thread, and `previous_ids` names the posts an edit replaces (see `storage.connector_crud`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from core.platforms import Platform


@dataclass(frozen=True, slots=True)
class Cursor:
    """A small frozen position in a platform's timeline; serialised into `account.cursor`."""

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, raw: str | None) -> Self:
        """An empty cursor for a never-pulled account; a corrupt one is an error, not a reset."""
        if not raw:
            return cls()
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError(f"cursor must be a JSON object, got {type(data).__name__}")
        return cls(**data)


C = TypeVar("C", bound=Cursor)


@dataclass(frozen=True, slots=True)
class PulledPost:
    """One post as the platform gave it, reduced to what monitoring needs."""

    external_id: str
    text: str
    created_at: datetime
    author_id: str | None = None
    author_handle: str | None = None
    url: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Page:
    """A parsed page: its posts, the token for the next page (None on the last) and reads spent."""

    posts: tuple[PulledPost, ...]
    next_page: str | None = None
    reads: int = 0
    meta: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Credentials:
    """What an Airflow Connection gives a connector. `repr` never shows the secret."""

    conn_id: str
    secret: str = field(repr=False)
    host: str | None = None
    login: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, slots=True)
class Lookup:
    """What asking the platform about stored posts found: the ids it no longer has."""

    missing: frozenset[str] = frozenset()
    reads: int = 0
    requests: int = 0


class Connector(Protocol, Generic[C]):
    """What the pipeline calls; implementations keep everything but `fetch` free of I/O."""

    platform: ClassVar[str]
    cursor_type: ClassVar[type[Cursor]]

    def request(self, cursor: C, page_token: str | None) -> Mapping[str, Any]:
        """Build the request for one page (pure)."""
        ...

    def fetch(self, request: Mapping[str, Any]) -> Any:
        """Do the I/O for one page; translate platform failures into `ConnectorError`s."""
        ...

    def parse_page(self, payload: Any) -> Page:
        """Turn a raw page into posts (pure); raise `MalformedPayload` on anything unexpected."""
        ...

    def advance(self, cursor: C, page: Page) -> C:
        """The cursor once this page is stored (pure)."""
        ...


class DeletionAware(Protocol):
    """A connector that can tell which stored posts are gone upstream.

    `deletion_window`: how far back posts are re-checked besides those with an open review item
    (None: only those, for platforms that bill reads).
    """

    deletion_window: ClassVar[timedelta | None]

    def lookup(self, external_ids: Sequence[str]) -> Lookup:
        """I/O: which of these ids the platform no longer has (deleted, not merely hidden)."""
        ...


class MediaAware(Protocol):
    """A connector that can fetch a post's media bytes (capped) for image detectors."""

    def fetch_media(self, url: str) -> Any:
        """I/O: `connectors.http.Media` for one URL from a post's `extra["media"]`."""
        ...


# --- plug-ins: how the pipeline finds and builds a platform's connector -------------------------


class ConnectorConfig(BaseModel):
    """Settings every connector shares; a platform module subclasses it with its own fields.

    The operator sets them as `POSTWARDEN_CONNECTORS__<config_key>__<field>`; the entry point
    validates them against this model and hands the result to the plug-in's `build`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    timeout_seconds: float = Field(default=10.0, gt=0, description="HTTP timeout per request.")
    media_max_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1024, description="Cap on one media file fetched for scans."
    )
    expand_links: bool = Field(
        default=True,
        description="Ask link shorteners (bit.ly...) where a post's short links lead (HEAD only).",
    )


class Access(StrEnum):
    """What a platform needs from the account's Airflow Connection."""

    TOKEN = "token"  # noqa: S105 (a kind of access, not a secret): the Connection is required
    OPTIONAL = "optional"  # public data: a Connection only adds a login or a host override
    NONE = "none"  # files dropped in an inbox: no Connection at all


KnownFiles = Callable[[], Mapping[str, tuple[str, str | None]]]


@dataclass(frozen=True, slots=True)
class AccountRef:
    """What a connector is told about the account it pulls (the pipeline reads it from storage).

    `start_time`: how far back a first pull reaches (None once the account has a cursor).
    `inbox` and `known_files`: an export account's folder and the files already taken from it.
    `name`: the account's handle as the trust recorded it (an export account's group name).
    """

    external_id: str
    name: str | None = None
    start_time: datetime | None = None
    inbox: Path | None = None
    known_files: KnownFiles | None = None


CfgT = TypeVar("CfgT", bound=ConnectorConfig)


@dataclass(frozen=True, slots=True)
class ConnectorPlugin(Generic[CfgT]):
    """A platform module's declaration: `PLUGIN = ConnectorPlugin(...)` at its top level.

    `config_key` names its settings group (Facebook and Instagram share `graph`).
    """

    platform: Platform
    config_type: type[CfgT]
    access: Access
    build: Callable[[AccountRef, Credentials | None, CfgT], Connector[Any]]
    config_key: str = ""

    @property
    def key(self) -> str:
        return self.config_key or str(self.platform)
