"""How the item page shows a post: by its labelled parts, long parts folded, and for a long post
the findings' context first, so a hostile size cannot make the page unusable.

Connectors append text found outside the body (image descriptions, link cards, quoted posts) as
blocks `"\\n\\n[<label>] <text>"` and record the parts' spans in `post_extra`'s `parts` (see
connectors/parts.py). Without that record the whole text is one part, "Post". A 1 MB post took
95 s to render in Chromium when sent whole: the page now carries at most `PAGE_TEXT_MAX`
characters of it (the JSON export has all of it), folds any part longer than `FOLD_AT` into a
closed <details>, for a post longer than `FOLD_AT` starts with `CONTEXT` characters either side
of each finding (at most `CONTEXT_MAX` of them), and lists at most `FINDINGS_SHOWN` findings.
Measured by benchmarks/bench_review_hostile.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from review.domain.render import Segment, segments
from storage.models import FindingRow

FOLD_AT = 3_000
PAGE_TEXT_MAX = 20_000
CONTEXT = 160
CONTEXT_MAX = 50
FINDINGS_SHOWN = 100  # listed on the page (each with its policy section); all are in the export
PHRASE_MAX = 400  # a finding spanning more is shown from its start


@dataclass(frozen=True, slots=True)
class Part:
    kind: str
    label: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class PartView:
    label: str
    kind: str
    length: int
    segments: list[Segment]
    folded: bool
    hidden: int  # characters of this part not on the page


@dataclass(frozen=True, slots=True)
class ContextView:
    number: int  # the finding's number as listed on the page
    label: str | None
    segments: list[Segment]
    cut_before: bool
    cut_after: bool


@dataclass(frozen=True, slots=True)
class PostView:
    parts: list[PartView]
    context: list[ContextView]
    labels: dict[int, str]  # finding number -> label of the part it is in (when parts exist)
    length: int

    @property
    def hidden(self) -> int:
        return sum(p.hidden for p in self.parts)


def parts_of(text: str, extra: Mapping[str, Any] | None) -> list[Part]:
    """The post's parts from its extras, checked (in range, not overlapping, in order); the
    whole text as one part when there are none that make sense."""
    n = len(text)
    found: list[Part] = []
    raw = (extra or {}).get("parts")
    if isinstance(raw, list):
        for p in raw:
            if not isinstance(p, Mapping):
                continue
            start, end, label = p.get("start"), p.get("end"), p.get("label")
            if not (isinstance(start, int) and isinstance(end, int) and isinstance(label, str)):
                continue
            if 0 <= start <= end <= n:
                found.append(Part(str(p.get("kind", "")), label[:100], start, end))
    found.sort(key=lambda p: p.start)
    parts: list[Part] = []
    for p in found:
        if not parts or p.start >= parts[-1].end:
            parts.append(p)
    if not parts:
        return [Part("body", "Post", 0, n)]
    return parts


def part_of(parts: Sequence[Part], finding: FindingRow) -> Part | None:
    return next((p for p in parts if p.start <= finding.start < max(p.end, p.start + 1)), None)


def view(text: str, findings: Sequence[FindingRow], parts: Sequence[Part]) -> PostView:
    budget = PAGE_TEXT_MAX
    shown: list[PartView] = []
    for p in parts:
        length = p.end - p.start
        visible = min(length, max(budget, 0))
        budget -= visible
        shown.append(
            PartView(
                label=p.label,
                kind=p.kind,
                length=length,
                segments=segments(text, findings, start=p.start, end=p.start + visible),
                folded=length > FOLD_AT,
                hidden=length - visible,
            )
        )
    several = len(parts) > 1
    labels: dict[int, str] = {}
    context: list[ContextView] = []
    for number, f in enumerate(findings, start=1):
        part = part_of(parts, f)
        if several and part is not None:
            labels[number] = part.label
        if len(text) > FOLD_AT and len(context) < CONTEXT_MAX:
            lo_bound, hi_bound = (part.start, part.end) if part else (0, len(text))
            start = max(lo_bound, f.start - CONTEXT)
            end = min(hi_bound, min(f.end, f.start + PHRASE_MAX) + CONTEXT)
            if start < end:
                context.append(
                    ContextView(
                        number=number,
                        label=part.label if part and several else None,
                        segments=segments(text, findings, start=start, end=end),
                        cut_before=start > lo_bound,
                        cut_after=end < hi_bound,
                    )
                )
    return PostView(parts=shown, context=context, labels=labels, length=len(text))
