"""Section 8.15: slurs, told apart from mentions of them (packs/offensive.yaml).

A slur that is used is high severity; used as an insult aimed at someone ("the retard from the
resources office", "Miss L is a proper spastic", "you absolute spastic") it is also a
derogatory remark about a person (section 8.10), a second finding. One that is talked about
(in quotation marks, or near a cue such as a lesson, "the word", "was called", a reported
incident) is kept at the pack's mention severity with its own explanation: a Headteacher still
sees it, but it is not presented as abuse. The explanation names the kind of slur, never the
word. A slur spelt to dodge a filter ("r3tard", "tr*nnies") is read back letter by letter and
judged the same way.
"""

from __future__ import annotations

import re
from typing import Final

from presidio_analyzer.nlp_engine import NlpArtifacts

from core.findings import Finding, Severity
from core.sections import Section
from detectors.policy.matching import Tokens, compile_terms, finditer, found_in
from detectors.policy.packs import OffensivePack, PackError, PackSet

DETECTOR_NAME: Final = "policy:slurs"
QUOTES: Final = "\"'“”‘’«»`"

# Just before a used slur, the words that aim it at a person: "you (absolute) X", "(he's) such a
# X" (not "I'm such a X"), "is a proper X", "which X scheduled", "Proper X" opening a sentence.
# Not "is so gay" (a thing), "the X shop", "the Xs": those are 8.15 only.
_AIMED_BEFORE: Final = re.compile(
    r"(?i)(?:\byou(?:\s+(?:absolute|total|complete|utter|bloody|fucking|massive|little))?"
    r"|(?<!i'm )(?<!i am )(?<!im )\bsuch\s+an?"
    r"|\b(?:is|was|he's|she's|hes|shes|he\s+is|she\s+is)\s+an?"
    r"(?:\s+(?:proper|total|complete|absolute|right|massive|bit\s+of\s+an?))?|\bwhich"
    r"|^\s*proper|[.!?]\s*proper)\s+$"
)
# "the X from the resources office", "that fat X who ...": one person (the slur not a plural).
_THE_ONE_BEFORE: Final = re.compile(
    r"(?i)\b(?:the|that|this)\s+(?:(?:fat|old|stupid|ugly|lazy|thick|dozy|bloody|fucking|little)\s+)?$"
)
_THE_ONE_AFTER: Final = re.compile(r"(?i)^\s+(?:from|in|on|at|who|that)\b")

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
        self._by_length: dict[int, list[str]] = {}  # for disguised spellings: one char per char
        for key in sorted(k for k in self._category if k.isalpha()):
            self._by_length.setdefault(len(key), []).append(key)

    def detect(self, text: str, artifacts: NlpArtifacts | None) -> list[Finding]:
        """One finding per slur; mentions at the pack's mention severity."""
        tokens = Tokens.of(text, artifacts)
        innocent = [m.span() for p in self._not_in for m in finditer(p, text)]
        findings = []
        spans = [(m.span(), m.group()) for m in finditer(self._slurs, text)]
        if _DISGUISE.search(text):
            spans += self._disguised(text, [span for span, _ in spans])
        for (start, end), word in spans:
            if any(a <= start and end <= b for a, b in innocent):
                continue
            lo, hi = tokens.window(start, end, self.pack.window)
            mention = _quoted(text, start, end) or found_in(self._mention, text, lo, hi)
            category = self._category.get(_key(word), "")
            about = _CATEGORY_WORDS.get(category, "who they are")
            if mention:
                severity, score = self.pack.mention_severity, 0.4
                explanation = f"{self.pack.mention_explanation} (The word targets {about}.)"
            else:
                severity, score = self.pack.severity, 0.9
                explanation = f"{self.pack.explanation} (The word targets {about}.)"
                before, after = text[max(0, start - 40) : start], text[end : end + 12]
                the_one = (
                    _THE_ONE_BEFORE.search(before) is not None
                    and _THE_ONE_AFTER.search(after) is not None
                    and not word.lower().endswith("s")
                )
                if the_one or _AIMED_BEFORE.search(before):
                    findings.append(self._aimed(start, end))
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

    def _aimed(self, start: int, end: int) -> Finding:
        return Finding(
            type="DEROGATORY",
            start=start,
            end=end,
            score=0.8,
            section=Section.DEROGATORY.value,
            severity=Severity.MEDIUM,
            explanation=self.pack.aimed_explanation,
            detector=DETECTOR_NAME,
        )

    def _disguised(
        self, text: str, found: list[tuple[int, int]]
    ) -> list[tuple[tuple[int, int], str]]:
        """Slurs spelt to dodge a filter ("r3tard", "tr*nnies", "f@g"): a word with digits or
        symbols for some of its letters, read back letter by letter (`validate_result`)."""
        out = []
        for match in _CANDIDATE.finditer(text):
            start, end = match.span()
            if any(a < end and start < b for a, b in found):
                continue
            word = self.validate_result(match.group())
            if word is not None:
                out.append(((start, end), word))
        return out

    def validate_result(self, token: str) -> str | None:
        """The lexicon word `token` disguises, or None: at most two stand-in characters, the
        first letter and at least three letters written plainly."""
        stand_ins = sum(not c.isalpha() for c in token)
        if not 1 <= stand_ins <= 2 or not token[0].isalpha() or sum(map(str.isalpha, token)) < 3:
            return None
        words = self._by_length.get(len(token))
        if not words:
            return None
        pattern = re.compile(
            "".join(
                re.escape(c) if c.isalpha() else f"[{_LEET[c]}]" if c in _LEET else "[a-z]"
                for c in token.casefold()
            )
        )
        return next((w for w in words if pattern.fullmatch(w)), None)


# Characters that stand in for letters: digits and symbols that look like them, or a mask.
_LEET: Final = {"0": "o", "1": "il", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "@": "a",
                "$": "s", "!": "i", "|": "il"}  # fmt: skip
_DISGUISE: Final = re.compile(r"[a-z][0-9@$!|*#%_.]+[a-z]|[a-z][0-9@$!|*#%_.]$", re.IGNORECASE)
_CANDIDATE: Final = re.compile(r"(?<![\w@$!|*#%])[a-z][a-z0-9@$!|*#%_]*[a-z0-9$*]", re.IGNORECASE)


def _key(word: str) -> str:
    return " ".join(word.casefold().replace("-", " ").split())


def _quoted(text: str, start: int, end: int) -> bool:
    """Whether the word sits inside quotation marks: directly ('retard'), or in a short quoted
    phrase ('that's so gay'), where an apostrophe between letters does not close the quote."""
    before = text[:start].rstrip()[-1:]
    after = text[end:].lstrip()[:1]
    if before and before in QUOTES and after and after in QUOTES:
        return True
    return any(m.start() < start and end < m.end() for m in _QUOTED_PHRASE.finditer(text))


# A quoted phrase of up to 60 characters; an apostrophe inside a word ("that's") is part of it.
_QUOTED_PHRASE: Final = re.compile(
    r"(?<!\w)[\"'“‘«`](?:[^\"'“”‘’«»`\n]|(?<=\w)['’](?=\w)){1,60}[\"'”’»`](?!\w)"
)
