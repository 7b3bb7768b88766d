"""Term matching and token windows shared by the policy detectors.

Terms from the packs are matched case-insensitively on the original text (never a lower-cased
copy: case folding can change a string's length and so every offset after it), as whole words,
with any run of whitespace between a phrase's words. A trailing `*` matches any word ending
(`redundan*` covers redundancy and redundancies). Windows of "N tokens either side" use the
spaCy tokens the stack already computed; without them a window falls back to characters.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Final

from presidio_analyzer.nlp_engine import NlpArtifacts

_CHARS_PER_TOKEN: Final = 6


def term_regex(term: str) -> str:
    """The regular-expression source for one pack term (see the module docstring)."""
    words = term.split()
    parts = []
    for word in words:
        wild = word.endswith("*") and len(word) > 1
        core = re.escape(word[:-1] if wild else word)
        parts.append(core + (r"\w*" if wild else ""))
    body = r"\s+".join(parts)
    # `\b` before a word character is `(?<!\w)`, but lets the engine skip ahead to a possible
    # first character: 5x faster on a pack's long alternation of terms.
    left = r"\b" if re.match(r"\w", words[0]) else ""
    right = r"(?!\w)" if re.search(r"\w\*?$", words[-1]) else ""
    return f"{left}{body}{right}"


def compile_terms(terms: Iterable[str], patterns: Iterable[str] = ()) -> re.Pattern[str] | None:
    """One case-insensitive alternation of terms (longest first) and raw patterns; None if empty."""
    sources = [term_regex(t) for t in sorted(set(terms), key=lambda t: (-len(t), t))]
    sources += [f"(?:{p})" for p in patterns]
    if not sources:
        return None
    return re.compile("|".join(sources), re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Tokens:
    """Token start/end offsets of one text, from spaCy's artifacts or a plain word split."""

    starts: Sequence[int]
    ends: Sequence[int]
    text_length: int

    @classmethod
    def of(cls, text: str, artifacts: NlpArtifacts | None) -> Tokens:
        """The tokens of `text`; every pack asks for the same post in turn, so the last answer
        is kept (walking a spaCy Doc in Python was half of the rule packs' time)."""
        last = _LAST.get("tokens")
        if last is not None and last[0] is artifacts and last[1] == text:
            return last[2]
        doc = getattr(artifacts, "tokens", None)
        if doc is not None and getattr(doc, "text", None) == text:
            starts = [t.idx for t in doc]
            ends = [t.idx + len(t.text) for t in doc]
            tokens = cls(starts, ends, len(text))
        else:
            spans = [m.span() for m in re.finditer(r"\S+", text)]
            tokens = cls([s for s, _ in spans], [e for _, e in spans], len(text))
        _LAST["tokens"] = (artifacts, text, tokens)
        return tokens

    def window(self, start: int, end: int, tokens: int) -> tuple[int, int]:
        """Character range from `tokens` tokens before `start` to `tokens` tokens after `end`."""
        if not self.starts:
            reach = tokens * _CHARS_PER_TOKEN
            return max(0, start - reach), min(self.text_length, end + reach)
        first = max(0, bisect.bisect_right(self.starts, start) - 1 - tokens)
        last = min(len(self.ends) - 1, bisect.bisect_left(self.ends, end) + tokens)
        return min(self.starts[first], start), max(self.ends[last], end)


# The last post's tokens, per process (one entry: a post's packs run one after another).
_LAST: dict[str, tuple[NlpArtifacts | None, str, Tokens]] = {}


def finditer(pattern: re.Pattern[str] | None, text: str) -> Iterator[re.Match[str]]:
    """Non-empty matches of `pattern` (nothing for None)."""
    if pattern is None:
        return
    for match in pattern.finditer(text):
        if match.end() > match.start():
            yield match


def found_in(pattern: re.Pattern[str] | None, text: str, start: int, end: int) -> bool:
    """Whether `pattern` matches non-empty text inside text[start:end]."""
    if pattern is None:
        return False
    return any(m.end() > m.start() for m in pattern.finditer(text, start, end))
