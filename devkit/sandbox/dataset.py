"""Loading a sandbox dataset: one JSON object with a section per platform (`x`, later `graph`...).

A malformed dataset is an operator's typo, so every error names the file and the exact place
(`x.tweets[3].created_at`) rather than surfacing later as a confusing 500.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

DEMO_DATASET = Path(__file__).parent / "data" / "demo.json"
METADATA_KEYS = frozenset({"description"})


class DatasetError(ValueError):
    """A dataset the sandbox cannot serve; the message is `<file>: <where>: <problem>`."""

    def __init__(self, source: str, problem: str) -> None:
        super().__init__(f"{source}: {problem}")
        self.source = source
        self.problem = problem


def read_dataset(path: Path) -> dict[str, Any]:
    """Parse a dataset file into its top-level object (sections are checked by platforms)."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(source, f"cannot read dataset: {exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DatasetError(
            source, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from exc
    return check_top_level(data, source)


def check_top_level(data: Any, source: str) -> dict[str, Any]:
    """The top level must be an object; unknown keys are reported before anything is served."""
    if not isinstance(data, Mapping):
        raise DatasetError(source, f"top level must be a JSON object, got {kind(data)}")
    return dict(data)


def kind(value: Any) -> str:
    """A JSON-ish name for a value's type, for error messages."""
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "an object",
    }.get(type(value), type(value).__name__)


# --- field checks shared by platform loaders ---------------------------------------------------


def need_object(value: Any, where: str, source: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise DatasetError(source, f"{where}: expected an object, got {kind(value)}")
    return value


def need_list(value: Any, where: str, source: str) -> list[Any]:
    if not isinstance(value, list):
        raise DatasetError(source, f"{where}: expected an array, got {kind(value)}")
    return value


def need_str(obj: Mapping[str, Any], key: str, where: str, source: str) -> str:
    if key not in obj:
        raise DatasetError(source, f"{where}: missing required field {key!r}")
    value = obj[key]
    if not isinstance(value, str) or not value:
        raise DatasetError(source, f"{where}.{key}: expected a non-empty string, got {kind(value)}")
    return value


def need_digits(obj: Mapping[str, Any], key: str, where: str, source: str) -> str:
    """X-style ids are strings of 1-19 digits (JSON numbers lose precision above 2**53)."""
    value = need_str(obj, key, where, source)
    if not value.isdigit() or len(value) > 19:
        raise DatasetError(source, f"{where}.{key}: {value!r} is not an id of 1-19 digits")
    return value


def need_timestamp(obj: Mapping[str, Any], key: str, where: str, source: str) -> datetime:
    """An ISO 8601 timestamp with a zone (naive times are ambiguous across BST/GMT)."""
    raw = need_str(obj, key, where, source)
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise DatasetError(source, f"{where}.{key}: {raw!r} is not an ISO 8601 timestamp") from None
    if value.tzinfo is None:
        raise DatasetError(source, f"{where}.{key}: {raw!r} has no time zone (add 'Z')")
    return value.astimezone(UTC)


def unknown_keys(obj: Mapping[str, Any], allowed: frozenset[str], where: str, source: str) -> None:
    """Typos like `create_at` would otherwise be silently ignored."""
    extra = sorted(set(obj) - allowed)
    if extra:
        raise DatasetError(
            source,
            f"{where}: unknown field(s) {', '.join(map(repr, extra))}; "
            f"allowed: {', '.join(sorted(allowed))}",
        )
