"""Check-digit rules of UK identifiers, shared by the recognizers and the roster import.

Pure functions with no heavy imports, so the CLI can validate a roster's UPNs without loading
Presidio or spaCy.
"""

from __future__ import annotations

import re
from typing import Final

# DfE, "UPNs – a guide for schools and local authorities", Annex A: the check letter's table.
UPN_CHECK_LETTERS: Final = "ABCDEFGHJKLMNPQRTUVWXYZ"

# HMRC: these National Insurance prefixes are never allocated.
_NINO_NOT_ALLOCATED: Final = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})

# Royal Mail's position rules (the outward code's letters and the inward code's last two).
_POSTCODE: Final = re.compile(
    r"^(?:GIR0AA|"
    r"(?:[A-PR-UWYZ][0-9][0-9]?|[A-PR-UWYZ][A-HK-Y][0-9][0-9]?|"
    r"[A-PR-UWYZ][0-9][A-HJKPSTUW]|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY])"
    r"[0-9][ABD-HJLNP-UW-Z]{2})$"
)


def upn_check_letter(body: str) -> str | None:
    """The check letter for characters 2-13 of a UPN, or None if they cannot be one.

    Each character is multiplied by its position (2-13) and the sum taken mod 23. A temporary
    UPN ends in a letter, which counts as its index in the check-letter table.
    """
    if len(body) != 12 or not body[:11].isdigit() or not body[:11].isascii():
        return None
    last = body[11]
    if last.isascii() and last.isdigit():
        values = [int(c) for c in body]
    elif last in UPN_CHECK_LETTERS:
        values = [int(c) for c in body[:11]] + [UPN_CHECK_LETTERS.index(last)]
    else:
        return None
    return UPN_CHECK_LETTERS[sum(v * pos for pos, v in enumerate(values, start=2)) % 23]


def is_valid_upn(value: str) -> bool:
    """A 13-character UPN (permanent or temporary) whose check letter is right."""
    value = value.strip().upper()
    return len(value) == 13 and upn_check_letter(value[1:]) == value[0]


def is_valid_uln(value: str) -> bool:
    """10 digits, the first non-zero, whose digits weighted 10..1 sum to 10 mod 11."""
    digits = value.strip()
    if len(digits) != 10 or not (digits.isascii() and digits.isdigit()) or digits[0] == "0":
        return False
    return sum(int(d) * w for d, w in zip(digits, range(10, 0, -1), strict=True)) % 11 == 10


def is_valid_nhs(value: str) -> bool:
    """The mod-11 check: digits weighted 10..2; 11 minus the remainder is the tenth digit."""
    digits = re.sub(r"[ -]", "", value)
    if len(digits) != 10 or not (digits.isascii() and digits.isdigit()) or len(set(digits)) == 1:
        return False
    check = 11 - sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True)) % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def is_valid_nino(value: str) -> bool:
    """Prefix letters not D, F, I, Q, U or V (second not O), not an unallocated pair, suffix A-D."""
    v = re.sub(r"\s", "", value).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{6}[A-D]", v, flags=re.ASCII):
        return False
    if v[0] in "DFIQUV" or v[1] in "DFIQUVO":
        return False
    return v[:2] not in _NINO_NOT_ALLOCATED


def is_valid_postcode(value: str) -> bool:
    return _POSTCODE.match(re.sub(r"\s", "", value).upper()) is not None
