"""National Insurance numbers: two prefix letters, six digits, a suffix letter A-D."""

from __future__ import annotations

import re

from presidio_analyzer import Pattern

from detectors.checksums import is_valid_nino
from detectors.recognizers.base import UkPatternRecognizer


class UkNinoRecognizer(UkPatternRecognizer):
    """QQ 12 34 56 C, with or without spaces; the letter rules are its checksum."""

    ENTITY = "UK_NINO"
    PATTERNS = [
        Pattern("NINO", r"\b[A-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b", 0.5),
    ]
    CONTEXT = ["national insurance", "ni number", "nino", "ni no"]
    FLAGS = re.DOTALL | re.MULTILINE  # written in capitals; "ab 12 34 56 c" is rarely one

    def validate_result(self, pattern_text: str) -> bool:
        return is_valid_nino(pattern_text)
