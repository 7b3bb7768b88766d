"""Section 8.15: offensive and hostile language, scored by the trained classifier.

The model (models/offensive.npz, trained by devkit/training/train_offensive.py on TweetEval) has two
heads, each reading the post's words and its sentence embedding: "offensive" (OLID: insults,
profanity, threats) gives OFFENSIVE findings and "hate" (HatEval: hostility to women or migrants)
gives DISCRIMINATORY ones, but only when the post is also hostile (the offensive head at or above
the pack's `hostility_gate`): mentioning women or migrants is not discrimination. A finding is
about the whole post, but its span is the phrase that raised the score most, so a reviewer sees
where to look; thresholds live in packs/offensive.yaml.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Final

from presidio_analyzer.nlp_engine import NlpArtifacts

from core.findings import Finding, Severity
from detectors.encoder import SentenceEncoder, load_encoder
from detectors.features import PostFeatures
from detectors.policy.matching import compile_terms, finditer
from detectors.policy.packs import OffensivePack, PackError, PackSet
from detectors.policy.textmodel import Score, TextModel

DETECTOR_NAME: Final = "policy:offensive-classifier"
MODEL_PATH: Final = Path(__file__).resolve().parent / "models" / "offensive.npz"


@lru_cache(maxsize=4)
def load_model(path: Path = MODEL_PATH) -> TextModel:
    """The classifier, loaded once per process (~1 MB file, ~0.3 s)."""
    return TextModel.load(path)


class OffensiveClassifierDetector:
    """OFFENSIVE and DISCRIMINATORY findings from the classifier's two heads."""

    name = DETECTOR_NAME

    def __init__(
        self,
        packs: PackSet,
        pack_name: str = "offensive",
        model: TextModel | None = None,
        *,
        encoder: SentenceEncoder | None = None,
    ) -> None:
        pack = packs.get(pack_name)
        if not isinstance(pack, OffensivePack):
            raise PackError(f"pack {pack_name!r} has kind {pack.kind!r}, expected 'offensive'")
        self.pack = pack
        self.model = model or load_model()
        missing = {"offensive", "hate"} - set(self.model.heads)
        if missing:
            raise ValueError(f"the offensive-language model lacks head(s) {sorted(missing)}")
        self._groups = compile_terms(pack.protected_groups)
        self._not_groups = compile_terms(pack.not_groups)
        self.reads_embedding = self.model.reads_embedding
        self.encoder: SentenceEncoder | None = None
        if self.reads_embedding:
            trained_on = self.model.meta["encoder"]
            self.encoder = encoder or load_encoder(trained_on["name"])
            if self.encoder.sha256 != trained_on["sha256"]:
                raise ValueError(
                    f"the offensive-language model was trained on encoder {trained_on['name']}, "
                    f"not {self.encoder.name}: retrain it (devkit/training/train_offensive.py)"
                )

    def scores(self, text: str) -> tuple[Score, Score]:
        """(offensive, hate) probabilities; key spans only where a finding will need them."""
        return self.scores_features(PostFeatures.of(text, self.encoder))

    def scores_features(self, features: PostFeatures) -> tuple[Score, Score]:
        if self.reads_embedding and features.embedding is None and self.encoder is not None:
            features.embedding = self.encoder.encode(features.text)
        heads, pack = self.model.heads, self.pack
        featurized, embedding = features.featurized, features.embedding
        return (
            heads["offensive"].score_features(
                featurized, pack.offensive_threshold, embedding=embedding
            ),
            heads["hate"].score_features(featurized, pack.hate_threshold, embedding=embedding),
        )

    def detect(self, text: str, artifacts: NlpArtifacts | None) -> list[Finding]:
        """At most one OFFENSIVE and one DISCRIMINATORY finding for the post."""
        return self.detect_features(PostFeatures.of(text, self.encoder), artifacts)

    def detect_features(
        self, features: PostFeatures, artifacts: NlpArtifacts | None
    ) -> list[Finding]:
        """At most one OFFENSIVE and one DISCRIMINATORY finding for the post."""
        offensive, hate = self.scores_features(features)
        findings = []
        pack = self.pack
        if offensive.span is not None and offensive.probability >= pack.offensive_threshold:
            severity = _grade(
                offensive.probability,
                pack.offensive_medium_threshold,
                pack.offensive_high_threshold,
            )
            findings.append(
                self._finding("OFFENSIVE", offensive, severity, pack.offensive_explanation)
            )
        hostile = offensive.probability >= pack.hostility_gate
        if (
            hate.span is not None
            and hate.probability >= pack.hate_threshold
            and hostile
            and self._names_a_group(features.text)
        ):
            severity = _grade(hate.probability, pack.hate_medium_threshold, 2.0)
            findings.append(self._finding(pack.type, hate, severity, pack.hate_explanation))
        return findings

    def _names_a_group(self, text: str) -> bool:
        """Whether a protected group is named outside the phrases where its word names a place
        or a thing ("the Black Country Museum")."""
        places = [m.span() for m in finditer(self._not_groups, text)]
        return any(
            not any(a <= m.start() and m.end() <= b for a, b in places)
            for m in finditer(self._groups, text)
        )

    def _finding(self, kind: str, score: Score, severity: Severity, why: str) -> Finding:
        assert score.span is not None
        return Finding(
            type=kind,
            start=score.span[0],
            end=score.span[1],
            score=round(score.probability, 4),
            section=self.pack.section,
            severity=severity,
            explanation=why,
            detector=DETECTOR_NAME,
        )


def _grade(probability: float, medium: float, high: float) -> Severity:
    """LOW below `medium` (stored, no review item by default), then MEDIUM, then HIGH."""
    if probability >= high:
        return Severity.HIGH
    if probability >= medium:
        return Severity.MEDIUM
    return Severity.LOW
