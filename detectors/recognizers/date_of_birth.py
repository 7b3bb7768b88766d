"""Dates of birth: a date written beside "born", "birthday", "DOB" or an age."""

from __future__ import annotations

import calendar
import re
from datetime import date
from typing import Final

from presidio_analyzer import Pattern

from detectors.recognizers.base import UkPatternRecognizer

_MONTHS: Final = {
    name.lower(): i
    for i in range(1, 13)
    for name in (calendar.month_name[i], calendar.month_abbr[i], calendar.month_abbr[i] + ".")
}
_MONTHS["sept"] = 9
_MONTH_RE: Final = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY: Final = r"(?:[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR: Final = r"(?:19|20)\d{2}"


def parse_date(value: str) -> date | None:
    """The date a matched string names, if it is a real calendar date (None otherwise)."""
    text = value.lower().replace(",", " ")
    numeric = re.fullmatch(r"\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})\s*", text)
    try:
        if numeric:
            day, month, year = (int(g) for g in numeric.groups())
            year += 2000 if year < 100 and year <= date.today().year % 100 else 0
            year += 1900 if year < 100 else 0
            return date(year, month, day)
        words = re.findall(r"[a-z]+\.?|\d+", text)
        day_s = next((w for w in words if w.isdigit() and len(w) <= 2), None)
        year_s = next((w for w in words if w.isdigit() and len(w) == 4), None)
        named = next((_MONTHS[w] for w in words if w in _MONTHS), None)
        if day_s is None or year_s is None or named is None:
            return None
        return date(int(year_s), named, int(day_s))
    except ValueError:
        return None


class DateOfBirthRecognizer(UkPatternRecognizer):
    """UK-order dates, only beside birth or age words: "Sports Day is 25 June" is not one."""

    ENTITY = "DATE_OF_BIRTH"
    PATTERNS = [
        Pattern("numeric date", r"\b[0-3]?\d[/.-][01]?\d[/.-](?:\d{4}|\d{2})\b", 0.4),
        Pattern("day month year", rf"\b{_DAY}(?:\s+of)?\s+{_MONTH_RE},?\s+{_YEAR}\b", 0.4),
        Pattern("month day year", rf"\b{_MONTH_RE}\s+{_DAY},?\s+{_YEAR}\b", 0.4),
    ]
    CONTEXT = ["born", "birthday", "dob", "date of birth", "birth", "age", "aged"]
    REQUIRED_CONTEXT = re.compile(
        r"(?i)\b(?:born|birthday|b'?day|d\.?o\.?b\.?|date\s+of\s+birth|birth\s*date|aged?|"
        r"years?\s+old|turns?\s+\d{1,2})\b"
    )
    CONTEXT_WINDOW = (50, 30)

    def validate_result(self, pattern_text: str) -> bool:
        born = parse_date(pattern_text)
        return born is not None and 1900 <= born.year <= date.today().year + 1
