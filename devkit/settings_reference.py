"""Write docs/configuration.md from the settings models, so the reference never drifts.

    python -m devkit.settings_reference > docs/configuration.md

A test compares the committed file with this output.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr

from connectors.registry import config_types
from postwarden.settings import Settings

HEADER = """# Configuration reference

Every setting, from `POSTWARDEN_*` environment variables or `.env` (groups joined by `__`). Written
by `python -m devkit.settings_reference`; a test keeps it equal to the settings models. Platform
credentials are never settings: they are Airflow Connections.
"""


def _default(value: Any) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "(none)"
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, SecretStr):
        return "(secret)"
    if isinstance(value, Path):
        value = str(value)
    return f"`{value}`".replace("|", "\\|")


def _rows(prefix: str, model: type[BaseModel]) -> Iterator[tuple[str, str, str]]:
    for name, field in model.model_fields.items():
        kind = field.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            yield from _rows(f"{prefix}{name.upper()}__", kind)
            continue
        if name == "connectors" and model is Settings:
            continue  # one group per platform, below
        factory = field.default_factory
        value = factory() if factory else field.default  # type: ignore[call-arg]
        meaning = (field.description or "").replace("|", "\\|")
        yield f"{prefix}{name.upper()}", _default(value), meaning


def _table(title: str, rows: list[tuple[str, str, str]]) -> str:
    lines = [f"## {title}", "", "| variable | default | meaning |", "|---|---|---|"]
    lines += [f"| `{name}` | {default} | {meaning} |" for name, default, meaning in rows]
    return "\n".join(lines) + "\n"


def reference() -> str:
    rows = list(_rows("POSTWARDEN_", Settings))
    groups: dict[str, list[tuple[str, str, str]]] = {}
    for row in rows:
        group = row[0].removeprefix("POSTWARDEN_").split("__")[0] if "__" in row[0] else ""
        groups.setdefault(group, []).append(row)
    parts = [HEADER]
    for group, members in groups.items():
        parts.append(_table(f"`{group.lower()}`" if group else "Top level", members))
    for key, model in config_types().items():
        members = list(_rows(f"POSTWARDEN_CONNECTORS__{key.upper()}__", model))
        parts.append(_table(f"`connectors.{key}`", members))
    return "\n".join(parts)


if __name__ == "__main__":
    print(reference(), end="")
