"""PERSON for social text: the NER's names, minus @handles, #hashtags and URLs, titles trimmed."""

from __future__ import annotations

from typing import Final

from presidio_analyzer import AnalysisExplanation, EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from detectors.names import view
from detectors.nlp import LANGUAGE

ADULT_SCORE: Final = 0.6  # a titled or role-named adult: still a name, less likely a pupil


class SocialPersonRecognizer(EntityRecognizer):
    """Presidio's SpacyRecognizer for PERSON, made safe for tweets and Facebook posts."""

    ENTITY: Final = "PERSON"

    def __init__(self) -> None:
        super().__init__(
            supported_entities=[self.ENTITY],
            supported_language=LANGUAGE,
            name=type(self).__name__,
        )

    def load(self) -> None:
        """Nothing to load: the names come from the stack's shared spaCy artifacts."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        if nlp_artifacts is None or self.ENTITY not in entities:
            return []
        results = []
        for found in view(text, nlp_artifacts).names:
            score = ADULT_SCORE if found.adult else 0.85
            results.append(
                RecognizerResult(
                    entity_type=self.ENTITY,
                    start=found.start,
                    end=found.end,
                    score=score,
                    analysis_explanation=AnalysisExplanation(
                        recognizer=type(self).__name__,
                        original_score=score,
                        textual_explanation="social-tuned NER name"
                        + (", titled or role-named adult" if found.adult else ""),
                    ),
                    recognition_metadata={
                        RecognizerResult.RECOGNIZER_NAME_KEY: type(self).__name__,
                        RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                    },
                )
            )
        return results
