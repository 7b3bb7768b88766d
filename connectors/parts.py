"""Text outside a post's body, joined to it so detectors scan it and reviewers see where it was.

A caption naming a pupil in an image's alt text, a link card's title or a quoted post is as much a
breach as in the body. Every connector therefore builds `PulledPost.text` as the body followed by
each other part in its own block `"\\n\\n[<label>] <part text>"`, and `extra["parts"]` lists every
part's character span in that text (the body first, from 0):

    {"kind": "alt_text", "label": "Image 1 description", "start": 57, "end": 102}

`kind` is one of `KINDS`; `start`/`end` delimit the part's own words (not its `[label]`), so a
finding's span can be mapped back to where it was found (`part_at`). The review UI shows the
labels; the pipeline prefixes a finding's explanation with the part's label.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

KINDS = frozenset(
    {
        "body",
        "alt_text",
        "attachment_title",
        "attachment_description",
        "attachment_text",  # the text of a document shared in a chat export
        "link_card",
        "link_url",
        "quoted_post",
        "reposted_post",
        "facet_url",
        "story",  # Facebook's own line about a post ("X updated their cover photo.")
    }
)
MAX_PART_CHARS = 20_000  # one part; a longer one is cut (the body never is)


@dataclass(slots=True)
class TextBuilder:
    """Collects a body and its labelled parts; `build()` gives the text and the spans."""

    body: str
    parts: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, label, text)

    def add(self, kind: str, label: str, text: Any) -> None:
        """Add a part unless it is empty or already said word for word (body or another part)."""
        if kind not in KINDS:
            raise ValueError(f"unknown text part kind {kind!r}")
        if not isinstance(text, str):
            return
        clean = text.strip()[:MAX_PART_CHARS]
        if not clean or clean in self.body or any(clean == t for _, _, t in self.parts):
            return
        self.parts.append((kind, label, clean))

    def add_url(self, kind: str, label: str, url: Any) -> None:
        """A URL part, skipped when the body (or a part) already spells out the same URL."""
        if not isinstance(url, str) or not url.strip():
            return
        bare = url.strip().split("://", 1)[-1]
        if bare in self.body or any(bare in t for _, _, t in self.parts):
            return
        self.add(kind, label, url)

    def build(self) -> tuple[str, list[dict[str, Any]]]:
        text = self.body
        spans: list[dict[str, Any]] = [
            {"kind": "body", "label": "Post", "start": 0, "end": len(self.body)}
        ]
        for kind, label, part in self.parts:
            text += f"\n\n[{label}] "
            spans.append(
                {"kind": kind, "label": label, "start": len(text), "end": len(text) + len(part)}
            )
            text += part
        return text, spans


def join(body: str, parts: Iterable[tuple[str, str, Any]] = ()) -> tuple[str, list[dict[str, Any]]]:
    """The text and spans of a body with `(kind, label, text)` parts (empty parts dropped)."""
    builder = TextBuilder(body)
    for kind, label, text in parts:
        builder.add(kind, label, text)
    return builder.build()


def part_at(parts: Sequence[Mapping[str, Any]], start: int, end: int) -> Mapping[str, Any] | None:
    """The part a span `[start, end)` falls in (the one holding its start), or None."""
    for part in parts:
        s, e = part.get("start"), part.get("end")
        if isinstance(s, int) and isinstance(e, int) and s <= start < max(e, s + 1) and start < e:
            return part
    return None
