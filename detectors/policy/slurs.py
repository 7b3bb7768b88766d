"""Section 8.15: slurs, told apart from mentions of them (packs/offensive.yaml).

A slur that is used is high severity. One that is talked about (in quotation marks, or near a
cue such as a lesson, "the word", "was called", a reported incident) is kept at the pack's
mention severity with its own explanation: a Headteacher still sees it, but it is not presented
as abuse. The explanation names the kind of slur, never the word.
"""

from __future__ import annotations

import re
from typing import Final

from presidio_analyzer.nlp_engine import NlpArtifacts

from core.findings import Finding
from detectors.policy.matching import Tokens, compile_terms, finditer, found_in
from detectors.policy.packs import OffensivePack, PackError, PackSet

DETECTOR_NAME: Final = "policy:slurs"
QUOTES: Final = "\"'“”‘’«»`"

_CATEGORY_WORDS: Final = {
    "race": "race or ethnicity",
    "religion": "religion",
    "disability": "disability",
    "sexuality": "sexual orientation",
    "gender": "sex",
    "gender_identity": "gender identity",
    "age": "age",
}


class SlurDetector:
    """Lexicon matches, each classed as a use (high) or a mention (low) by its context."""

    name = DETECTOR_NAME

    def __init__(self, packs: PackSet, pack_name: str = "offensive") -> None:
        pack = packs.get(pack_name)
        if not isinstance(pack, OffensivePack):
            raise PackError(f"pack {pack_name!r} has kind {pack.kind!r}, expected 'offensive'")
        self.pack = pack
        self._category: dict[str, str] = {}
        self._not_in: list[re.Pattern[str]] = []
        for slur in pack.slurs:
            for word in (slur.term, *slur.variants):
                self._category[_key(word)] = slur.category
            innocent = compile_terms(slur.not_in)
            if innocent is not None:
                self._not_in.append(innocent)
        self._slurs = compile_terms(self._category)
        self._mention = compile_terms(pack.mention_context)

    def detect(self, text: str, artifacts: NlpArtifacts | None) -> list[Finding]:
        """One finding per slur; mentions at the pack's mention severity."""
        tokens = Tokens.of(text, artifacts)
        innocent = [m.span() for p in self._not_in for m in finditer(p, text)]
        findings = []
        for match in finditer(self._slurs, text):
            start, end = match.span()
            if any(a <= start and end <= b for a, b in innocent):
                continue
            lo, hi = tokens.window(start, end, self.pack.window)
            mention = _quoted(text, start, end) or found_in(self._mention, text, lo, hi)
            category = self._category.get(_key(match.group()), "")
            about = _CATEGORY_WORDS.get(category, "who they are")
            if mention:
                severity, score = self.pack.mention_severity, 0.4
                explanation = f"{self.pack.mention_explanation} (The word targets {about}.)"
            else:
                severity, score = self.pack.severity, 0.9
                explanation = f"{self.pack.explanation} (The word targets {about}.)"
            findings.append(
                Finding(
                    type=self.pack.type,
                    start=start,
                    end=end,
                    score=score,
                    section=self.pack.section,
                    severity=severity,
                    explanation=explanation,
                    detector=DETECTOR_NAME,
                )
            )
        return findings


def _key(word: str) -> str:
    return " ".join(word.casefold().replace("-", " ").split())


def _quoted(text: str, start: int, end: int) -> bool:
    """Whether the word sits directly inside quotation marks (or after 'the word')."""
    before = text[:start].rstrip()[-1:]
    after = text[end:].lstrip()[:1]
    return bool(before) and before in QUOTES and bool(after) and after in QUOTES
