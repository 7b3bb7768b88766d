"""What the stack computes once per post and hands to every head that reads it.

A post is tokenised for the bag-of-words heads once (`Featurized`) and encoded once
(`Embedding`); the section classifier and the offensive-language classifier both read the same
objects, so adding a head costs a dot product, not another pass over the text.

The heads were trained on posts of a few hundred characters (99 % of our labelled posts are under
500). Read whole, a newsletter or a blog entry of several thousand characters drowns its one
breaching sentence: the bag of words and the mean embedding are the whole text's, and a pupil
named in the sixth paragraph barely moves them. A long post is therefore also read passage by
passage (`PostFeatures.passages`: overlapping windows of whole sentences, each about as long as a
short post), and each head keeps its strongest reading, a passage's discounted for the many
chances a long post gives (sections.PASSAGE_DISCOUNT).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Protocol, runtime_checkable

from presidio_analyzer.nlp_engine import NlpArtifacts

from core.findings import Finding
from detectors.encoder import Embedding, SentenceEncoder

if TYPE_CHECKING:  # detectors.policy imports this module: no import cycle at run time
    from detectors.policy.textmodel import Featurized


# A post longer than this is also read in passages of at most PASSAGE_CHARS characters (about a
# short post's length: a breach read beside less unrelated text stands out more).
LONG_POST_CHARS: Final = 600
PASSAGE_CHARS: Final = 200
# A sentence: up to its closing punctuation (and any closing quote or bracket), or a line.
_SENTENCE: Final = re.compile(r"[^.!?\n]+(?:[.!?]+[\"'’”)\]]*|\n|$)|[.!?]+")
_SPACE: Final = re.compile(r"\s")


def passages(text: str, size: int = PASSAGE_CHARS) -> list[tuple[int, int]]:
    """Spans of overlapping windows of whole sentences, each at most `size` characters, the next
    starting about half a window on; a sentence longer than `size` is cut at spaces. Every
    character of the text is in at least one window."""
    pieces: list[tuple[int, int]] = []
    for m in _SENTENCE.finditer(text):
        start, end = m.span()
        while end - start > size:  # a run-on sentence: cut at the last space that fits
            spaces = [s.start() for s in _SPACE.finditer(text, start + 1, start + size)]
            cut = spaces[-1] if spaces else start + size
            pieces.append((start, cut))
            start = cut
        if text[start:end].strip():
            pieces.append((start, end))
    windows: list[tuple[int, int]] = []
    i = 0
    while i < len(pieces):
        j = i
        while j + 1 < len(pieces) and pieces[j + 1][1] - pieces[i][0] <= size:
            j += 1
        windows.append((pieces[i][0], pieces[j][1]))
        if j + 1 >= len(pieces):
            break
        i = max(i + 1, (i + j + 1) // 2)
    return windows


@dataclass(slots=True)
class PostFeatures:
    """A post's text, its sentence embedding (None when no detector reads one) and, on first
    use, its bag-of-words features and (for a long post) its passages'."""

    text: str
    embedding: Embedding | None = None
    _featurized: Featurized | None = field(default=None, repr=False)
    _passages: list[tuple[int, PostFeatures]] | None = field(default=None, repr=False)

    @property
    def featurized(self) -> Featurized:
        if self._featurized is None:
            from detectors.policy.textmodel import Featurized

            self._featurized = Featurized.of(self.text)
        return self._featurized

    @classmethod
    def of(cls, text: str, encoder: SentenceEncoder | None) -> PostFeatures:
        return cls(text, encoder.encode(text) if encoder is not None else None)

    def passages(self, encoder: SentenceEncoder | None) -> list[tuple[int, PostFeatures]]:
        """(offset, features) of each passage of a long post; none for a post of ordinary
        length. Computed once and shared by every head that reads them."""
        if self._passages is None:
            self._passages = (
                [
                    (start, PostFeatures.of(self.text[start:end], encoder))
                    for start, end in passages(self.text)
                ]
                if len(self.text) > LONG_POST_CHARS
                else []
            )
        return self._passages


@runtime_checkable
class FeatureDetector(Protocol):
    """A detector that reads the shared per-post features (the stack computes them once)."""

    reads_embedding: bool

    def detect_features(
        self, features: PostFeatures, artifacts: NlpArtifacts | None
    ) -> list[Finding]:
        """Findings for `features.text`, spans relative to it."""
        ...
