"""What the stack computes once per post and hands to every head that reads it.

A post is tokenised for the bag-of-words heads once (`Featurized`) and encoded once
(`Embedding`); the section classifier and the offensive-language classifier both read the same
objects, so adding a head costs a dot product, not another pass over the text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from presidio_analyzer.nlp_engine import NlpArtifacts

from core.findings import Finding
from detectors.encoder import Embedding, SentenceEncoder

if TYPE_CHECKING:  # detectors.policy imports this module: no import cycle at run time
    from detectors.policy.textmodel import Featurized


@dataclass(slots=True)
class PostFeatures:
    """A post's text, its sentence embedding (None when no detector reads one) and, on first
    use, its bag-of-words features."""

    text: str
    embedding: Embedding | None = None
    _featurized: Featurized | None = field(default=None, repr=False)

    @property
    def featurized(self) -> Featurized:
        if self._featurized is None:
            from detectors.policy.textmodel import Featurized

            self._featurized = Featurized.of(self.text)
        return self._featurized

    @classmethod
    def of(cls, text: str, encoder: SentenceEncoder | None) -> PostFeatures:
        return cls(text, encoder.encode(text) if encoder is not None else None)


@runtime_checkable
class FeatureDetector(Protocol):
    """A detector that reads the shared per-post features (the stack computes them once)."""

    reads_embedding: bool

    def detect_features(
        self, features: PostFeatures, artifacts: NlpArtifacts | None
    ) -> list[Finding]:
        """Findings for `features.text`, spans relative to it."""
        ...
