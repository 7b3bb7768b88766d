"""The trust's Social Media Policy, section by section, so a finding's page can quote its section.

The policy is the trust's own document: it is read from `POSTWARDEN_WEB__POLICY_FILE`, by default
the `shared/policy/social-media-policy.txt` beside the repository. A missing file is not an error:
the page says where to put it.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from postwarden.settings import Settings

DEFAULT_POLICY = (
    Path(__file__).resolve().parents[3] / "shared" / "policy" / "social-media-policy.txt"
)

_HEADING = re.compile(r"^(\d{1,2})\.\s+(\S.*)$")
_CONTENTS_LINE = re.compile(r"\t\s*\d+\s*$")  # "3.\tDocuments…\t1" in the table of contents
_SUB = re.compile(r"^-?\s*(\d{1,2}\.\d{1,2})\.?\s+(\S.*)$")


def policy_path(settings: Settings) -> Path:
    return settings.web.policy_file or DEFAULT_POLICY


def parse(text: str) -> dict[str, str]:
    """Section number -> its text ("8.4" -> that bullet; "5" -> the whole section)."""
    sections: dict[str, list[str]] = {}
    current: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        heading = _HEADING.match(line)
        if heading and not _CONTENTS_LINE.search(raw):
            current = heading.group(1)
            sections[current] = [f"{current}. {heading.group(2).strip()}"]
            continue
        sub = _SUB.match(line)
        if sub and current is not None and sub.group(1).split(".")[0] == current:
            sections[sub.group(1)] = [f"{sub.group(1)}. {sub.group(2).strip()}"]
        if current is not None:
            sections[current].append(line)
    return {k: "\n".join(v) for k, v in sections.items()}


@lru_cache(maxsize=4)
def _load(path: Path, mtime: float) -> dict[str, str]:
    return parse(path.read_text(encoding="utf-8", errors="replace"))


def sections(settings: Settings) -> dict[str, str]:
    path = policy_path(settings)
    try:
        return _load(path, path.stat().st_mtime)
    except OSError:
        return {}


def section_text(settings: Settings, section: str) -> str | None:
    """The section's text, or its parent's (8.4.1 -> 8.4 -> 8) when only that exists."""
    known = sections(settings)
    parts = section.split(".")
    while parts:
        key = ".".join(parts)
        if key in known:
            return known[key]
        parts.pop()
    return None
