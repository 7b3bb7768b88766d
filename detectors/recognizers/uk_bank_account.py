"""UK bank details: a sort code together with an 8-digit account number."""

from __future__ import annotations

import re

from presidio_analyzer import Pattern

from detectors.recognizers.base import UkPatternRecognizer

_SORT = r"\d{2}[- ]\d{2}[- ]\d{2}"
_ACCOUNT = r"\d{8}"
_GAP = r"[^\d\n]{1,40}?"


def is_plausible_bank_account(value: str) -> bool:
    """Sort code and account not all zeros (the bank's own modulus tables are not public data)."""
    digits = re.findall(r"\d+", value)
    sort = "".join(d for d in digits if len(d) == 2)
    account = next((d for d in digits if len(d) == 8), "")
    return len(sort) == 6 and int(sort) > 0 and int(account or "0") > 0


class UkBankAccountRecognizer(UkPatternRecognizer):
    """Sort code then account number or the reverse, with banking words close by."""

    ENTITY = "UK_BANK_ACCOUNT"
    PATTERNS = [
        Pattern("sort code then account", rf"\b{_SORT}\b{_GAP}\b{_ACCOUNT}\b", 0.5),
        Pattern("account then sort code", rf"\b{_ACCOUNT}\b{_GAP}\b{_SORT}\b", 0.5),
    ]
    CONTEXT = ["sort code", "account", "acc", "bank", "bacs", "transfer"]
    REQUIRED_CONTEXT = re.compile(
        r"(?i)\b(?:sort\s*code|s/c|account|acc(?:t|\.)?(?:\s*no)?|a/c|bank|bacs|transfer|pay(?:ment)?)\b"
    )
    CONTEXT_WINDOW = (60, 20)

    def validate_result(self, pattern_text: str) -> bool:
        return is_plausible_bank_account(pattern_text)

    def has_context(self, text: str, start: int, end: int) -> bool:
        """The context may sit between the two numbers ("sort code 20-00-00 account 1234...")."""
        assert self.REQUIRED_CONTEXT is not None
        before, after = self.CONTEXT_WINDOW
        return self.REQUIRED_CONTEXT.search(text[max(0, start - before) : end + after]) is not None
