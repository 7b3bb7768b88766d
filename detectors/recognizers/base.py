"""What every Postwarden pattern recognizer shares: PATTERNS, CONTEXT, must-have context."""

from __future__ import annotations

import re
from typing import ClassVar

from presidio_analyzer import Pattern, PatternRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from detectors.nlp import LANGUAGE


class UkPatternRecognizer(PatternRecognizer):
    """A Presidio PatternRecognizer configured from class constants.

    `REQUIRED_CONTEXT`, when set, must match within `CONTEXT_WINDOW` characters of a match or
    the match is dropped: some numbers (a 10-digit ULN, a date of birth) look like any other
    number or date and only their surroundings say what they are.
    """

    ENTITY: ClassVar[str]
    PATTERNS: ClassVar[list[Pattern]]
    CONTEXT: ClassVar[list[str]] = []
    REQUIRED_CONTEXT: ClassVar[re.Pattern[str] | None] = None
    CONTEXT_WINDOW: ClassVar[tuple[int, int]] = (60, 40)  # characters before, after
    FLAGS: ClassVar[int] = re.DOTALL | re.MULTILINE | re.IGNORECASE

    def __init__(self) -> None:
        super().__init__(
            supported_entity=self.ENTITY,
            patterns=list(self.PATTERNS),
            context=list(self.CONTEXT),
            supported_language=LANGUAGE,
            name=type(self).__name__,
            global_regex_flags=self.FLAGS,
        )

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        if self.REQUIRED_CONTEXT is None:
            return results
        return [r for r in results if self.has_context(text, r.start, r.end)]

    def has_context(self, text: str, start: int, end: int) -> bool:
        """True when the required context occurs near [start, end)."""
        assert self.REQUIRED_CONTEXT is not None
        before, after = self.CONTEXT_WINDOW
        window = text[max(0, start - before) : start] + " " + text[end : end + after]
        return self.REQUIRED_CONTEXT.search(window) is not None
