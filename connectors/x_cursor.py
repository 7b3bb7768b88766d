"""Where an X account's timeline stands (`XCursor`), and snowflake ids as times."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from connectors.base import Cursor
from connectors.x_payload import TWITTER_EPOCH_MS

_DIGITS = re.compile(r"^[0-9]{1,19}$")


@dataclass(frozen=True, slots=True)
class XCursor(Cursor):
    """Where an account's timeline stands.

    `since_id`: every post at or below it is stored (None: never pulled; the first pull reaches
    back to the connector's `start_time`). `until_id`/`newest_id`: a sweep is under way; posts
    between `since_id` and `until_id` are still to read, and `newest_id` becomes `since_id` when
    they are.
    """

    since_id: str | None = None
    until_id: str | None = None
    newest_id: str | None = None

    def __post_init__(self) -> None:
        for name in ("since_id", "until_id", "newest_id"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, str) and _DIGITS.match(value)):
                raise ValueError(f"XCursor.{name} must be a tweet id string, got {value!r}")


def max_id(*ids: str | None) -> str | None:
    present = [int(i) for i in ids if i is not None]
    return str(max(present)) if present else None


def floor_id(moment: datetime) -> str | None:
    """The largest id minted before `moment`: `since_id` of it returns posts from `moment` on."""
    ms = int(moment.timestamp() * 1000) - TWITTER_EPOCH_MS
    return str((ms << 22) - 1) if ms > 0 else None
