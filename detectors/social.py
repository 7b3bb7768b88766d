"""Social-media tokens (URLs, @handles, #hashtags, e-mail addresses) that are never a PERSON.

Out of the box spaCy tags `@OakfieldPri`, `#WalkToSchool` and `https://t.co/...` as people or
places. These spans are found with one regex per post and used to drop or trim NER entities; the
handle spans also let a pupil's known handle be recognised (section 8.4).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

URL: Final = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"']+|\b[a-z0-9-]+\.(?:co|ly|gl|me)/\S+")
HANDLE: Final = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{1,30}(?:\.[A-Za-z0-9_]+)*")
HASHTAG: Final = re.compile(r"(?<![\w#&])#[^\W_](?:\w|[\u200d\ufe0f])*")
EMAIL: Final = re.compile(r"(?i)\b[a-z0-9._%+'-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+\b")
_SOCIAL: Final = (("url", URL), ("email", EMAIL), ("handle", HANDLE), ("hashtag", HASHTAG))


@dataclass(frozen=True, slots=True)
class SocialSpan:
    kind: str  # url | email | handle | hashtag
    start: int
    end: int


def social_spans(text: str) -> list[SocialSpan]:
    """Non-overlapping URL/e-mail/handle/hashtag spans, URLs and e-mails winning over the rest."""
    taken: list[SocialSpan] = []
    for kind, pattern in _SOCIAL:
        for m in pattern.finditer(text):
            if not any(m.start() < s.end and s.start < m.end() for s in taken):
                taken.append(SocialSpan(kind, m.start(), m.end()))
    return sorted(taken, key=lambda s: (s.start, s.end))


def overlaps(start: int, end: int, spans: Sequence[SocialSpan]) -> bool:
    return any(start < s.end and s.start < end for s in spans)


def trim_outside(start: int, end: int, text: str, spans: Sequence[SocialSpan]) -> tuple[int, int]:
    """The part of [start, end) before the first social span inside it, without trailing blanks.

    "Lily-Mae Thompson #proud" tagged as one entity becomes "Lily-Mae Thompson"; an entity that
    starts on a handle or hashtag becomes empty (start == end).
    """
    for s in spans:
        if s.start < end and start < s.end:
            end = max(start, min(end, s.start))
            if s.start <= start:
                return start, start
    while end > start and not (text[end - 1].isalnum() or text[end - 1] in ".'’"):
        end -= 1
    return start, end
