"""NHS numbers: 10 digits with a mod-11 check digit."""

from __future__ import annotations

import re

from presidio_analyzer import Pattern, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from detectors.checksums import is_valid_nhs
from detectors.recognizers.base import UkPatternRecognizer

_SPACED = re.compile(r"^\d{3}[ -]\d{3}[ -]\d{4}$")
_NHS_CONTEXT = re.compile(r"(?i)\b(?:NHS|health\s+(?:service|number)|hospital|GP)\b")


class UkNhsRecognizer(UkPatternRecognizer):
    """Written 3-3-4 the NHS way, or ten bare digits beside an NHS context word."""

    ENTITY = "UK_NHS"
    PATTERNS = [Pattern("NHS number", r"(?<![\d-])\d{3}[ -]?\d{3}[ -]?\d{4}(?![\d-])", 0.4)]
    CONTEXT = ["nhs", "nhs number", "health service"]

    def validate_result(self, pattern_text: str) -> bool:
        return is_valid_nhs(pattern_text)

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        return [
            r
            for r in results
            if _SPACED.match(text[r.start : r.end])
            or _NHS_CONTEXT.search(text[max(0, r.start - 60) : r.end + 40])
        ]
