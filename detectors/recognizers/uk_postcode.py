"""UK postcodes: where someone lives, when it is not the school's own address."""

from __future__ import annotations

import re

from presidio_analyzer import Pattern

from detectors.checksums import is_valid_postcode
from detectors.recognizers.base import UkPatternRecognizer


class UkPostcodeRecognizer(UkPatternRecognizer):
    """Outward code, optional space, inward code (digit + two letters)."""

    ENTITY = "UK_POSTCODE"
    PATTERNS = [
        Pattern("postcode", r"\b[A-Z]{1,2}[0-9][A-Z0-9]?\s?[0-9][A-Z]{2}\b", 0.4),
    ]
    CONTEXT = ["postcode", "post code", "address", "lives", "live", "home", "house"]
    FLAGS = re.DOTALL | re.MULTILINE  # upper case only: "me 2day" must not be a postcode

    def validate_result(self, pattern_text: str) -> bool:
        return is_valid_postcode(pattern_text)
