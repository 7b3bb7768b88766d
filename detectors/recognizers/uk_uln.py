"""Unique Learner Numbers (ULN): the 10-digit number of the Learning Records Service."""

from __future__ import annotations

import re

from presidio_analyzer import Pattern

from detectors.checksums import is_valid_uln
from detectors.recognizers.base import UkPatternRecognizer


class UkUlnRecognizer(UkPatternRecognizer):
    """A ULN needs its context: one in eleven 10-digit numbers passes the check by chance."""

    ENTITY = "UK_ULN"
    PATTERNS = [Pattern("ULN", r"(?<![\d-])[1-9][0-9]{9}(?![\d-])", 0.3)]
    CONTEXT = ["uln", "unique learner number", "learner number"]
    REQUIRED_CONTEXT = re.compile(
        r"(?i)\b(?:ULN|unique\s+learner|learner\s+(?:number|no|record|ref)|LRS|"
        r"pupil\s+(?:number|no)|student\s+(?:number|no))\b"
    )

    def validate_result(self, pattern_text: str) -> bool:
        return is_valid_uln(pattern_text)
