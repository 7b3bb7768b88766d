"""English Unique Pupil Numbers (UPN): a pupil number in a post identifies a pupil (8.4)."""

from __future__ import annotations

import re

from presidio_analyzer import Pattern

from detectors.checksums import is_valid_upn, upn_check_letter
from detectors.recognizers.base import UkPatternRecognizer

__all__ = ["UkUpnRecognizer", "is_valid_upn", "upn_check_letter"]


class UkUpnRecognizer(UkPatternRecognizer):
    """13 characters: check letter, 11 digits, then a digit (permanent) or letter (temporary)."""

    ENTITY = "UK_UPN"
    PATTERNS = [Pattern("UPN", r"\b[A-HJ-NP-RT-Z][0-9]{11}[0-9A-HJ-NP-RT-Z]\b", 0.4)]
    CONTEXT = ["upn", "unique pupil number", "pupil number"]
    FLAGS = re.DOTALL | re.MULTILINE  # UPNs are upper case; a lower-case match is not one

    def validate_result(self, pattern_text: str) -> bool:
        return is_valid_upn(pattern_text)
