"""UK identifiers: each recognizer finds its numbers, checks them, and leaves look-alikes alone."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.checksums import (
    UPN_CHECK_LETTERS,
    is_valid_nhs,
    is_valid_nino,
    is_valid_postcode,
    is_valid_uln,
    is_valid_upn,
    upn_check_letter,
)
from detectors.recognizers import (
    DateOfBirthRecognizer,
    UkBankAccountRecognizer,
    UkNhsRecognizer,
    UkNinoRecognizer,
    UkPostcodeRecognizer,
    UkUlnRecognizer,
    UkUpnRecognizer,
)
from detectors.recognizers.base import UkPatternRecognizer
from detectors.recognizers.date_of_birth import parse_date
from detectors.stack import DetectorStack


def _spec_check_letter(upn_tail: str) -> str:
    """The DfE Annex A rule, written out independently of the product code."""
    total = 0
    for position in range(2, 14):
        ch = upn_tail[position - 2]
        value = int(ch) if ch.isdigit() else "ABCDEFGHJKLMNPQRTUVWXYZ".index(ch)
        total += value * position
    return "ABCDEFGHJKLMNPQRTUVWXYZ"[total % 23]


@settings(max_examples=300)
@given(
    digits=st.text(alphabet="0123456789", min_size=11, max_size=11),
    last=st.sampled_from(list("0123456789" + UPN_CHECK_LETTERS)),
)
def test_upn_check_letter_matches_the_dfe_rule(digits: str, last: str) -> None:
    tail = digits + last
    letter = _spec_check_letter(tail)
    assert upn_check_letter(tail) == letter
    assert is_valid_upn(letter + tail)
    wrong = UPN_CHECK_LETTERS[(UPN_CHECK_LETTERS.index(letter) + 1) % 23]
    assert not is_valid_upn(wrong + tail)


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("W301001234567", True),  # permanent
        ("Z80912345678B", True),  # temporary: ends in a letter
        ("A201001123456", True),
        ("B201001123456", False),  # wrong check letter
        ("Z80912345678I", False),  # I, O and S are never used
        ("W30100123456", False),  # 12 characters
        ("w301001234567", True),  # case is forgiven when validating a roster value
    ],
)
def test_upn_validation(value: str, valid: bool) -> None:
    assert is_valid_upn(value) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("6120938477", True),
        ("6120938478", False),
        ("0120938477", False),  # first digit may not be zero
        ("612093847", False),
        ("1000000000", True),  # 1x10 = 10 ≡ 10 (mod 11)
    ],
)
def test_uln_validation(value: str, valid: bool) -> None:
    assert is_valid_uln(value) is valid


def _spec_uln(digits: str) -> bool:
    return digits[0] != "0" and sum(int(d) * (10 - i) for i, d in enumerate(digits)) % 11 == 10


@given(st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_uln_rule_on_any_ten_digits(digits: str) -> None:
    assert is_valid_uln(digits) is _spec_uln(digits)


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("943 476 5919", True),
        ("9434765919", True),
        ("401-023-2137", True),
        ("943 476 5918", False),
        ("000 000 0000", False),
    ],
)
def test_nhs_validation(value: str, valid: bool) -> None:
    assert is_valid_nhs(value) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("AB123456C", True),
        ("AB 12 34 56 C", True),
        ("QQ123456C", False),  # Q never a prefix letter
        ("GB123456A", False),  # unallocated pair
        ("AO123456A", False),  # O never second
        ("AB123456E", False),  # suffix A-D only
    ],
)
def test_nino_validation(value: str, valid: bool) -> None:
    assert is_valid_nino(value) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [("SW1A 1AA", True), ("M1 1AE", True), ("B33 8TH", True), ("QA1 1AA", False), ("Y4 5AB", True)],
)
def test_postcode_validation(value: str, valid: bool) -> None:
    assert is_valid_postcode(value) is valid


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5th November 2017", "2017-11-05"),
        ("05/11/2017", "2017-11-05"),
        ("November 5, 2017", "2017-11-05"),
        ("31/02/2017", None),
        ("5th Smarch 2017", None),
    ],
)
def test_parse_date(text: str, expected: str | None) -> None:
    parsed = parse_date(text)
    assert (parsed.isoformat() if parsed else None) == expected


# (recognizer, text, the exact span it must report — or None for nothing)
CASES: list[tuple[type[UkPatternRecognizer], str, str | None]] = [
    (UkUpnRecognizer, "Her UPN is W301001234567 on the form", "W301001234567"),
    (UkUpnRecognizer, "Temporary number Z80912345678B", "Z80912345678B"),
    (UkUpnRecognizer, "Order ref B301001234567 shipped", None),  # check letter wrong
    (UkUlnRecognizer, "ULN: 6120938477 for the exam entry", "6120938477"),
    (UkUlnRecognizer, "Tracking number 6120938477 arrived", None),  # no learner context
    (UkUlnRecognizer, "Learner number 6120938478", None),  # checksum fails
    (UkNhsRecognizer, "NHS number 943 476 5919", "943 476 5919"),
    (UkNhsRecognizer, "ref 943 476 5919 for the trip", "943 476 5919"),  # NHS layout
    (UkNhsRecognizer, "Invoice 9434765919 paid", None),  # bare digits, no NHS context
    (UkNhsRecognizer, "NHS number 9434765919", "9434765919"),
    (UkNinoRecognizer, "NI number AB 12 34 56 C please", "AB 12 34 56 C"),
    (UkNinoRecognizer, "Code QQ123456C", None),
    (UkPostcodeRecognizer, "He lives at 4 Ashdown Crescent, M1 1AE", "M1 1AE"),
    (UkPostcodeRecognizer, "see you in Year 4 at 5pm", None),
    (
        UkBankAccountRecognizer,
        "Pay the PTA: sort code 20-00-00 account 12345678",
        "20-00-00 account 12345678",
    ),
    (
        UkBankAccountRecognizer,
        "Account 12345678, sort code 20-00-00",
        "12345678, sort code 20-00-00",
    ),
    (UkBankAccountRecognizer, "Match 20-00-00 and 12345678 fans", None),  # no banking words
    (DateOfBirthRecognizer, "Happy birthday, born 5th November 2017!", "5th November 2017"),
    (DateOfBirthRecognizer, "DOB: 05/11/2017", "05/11/2017"),
    (DateOfBirthRecognizer, "Sports Day is on 25 June 2027", None),  # no birth context
    (DateOfBirthRecognizer, "Born 31/02/2017", None),  # not a date
]


@pytest.mark.parametrize(("cls", "text", "expected"), CASES)
def test_recognizer(cls: type[UkPatternRecognizer], text: str, expected: str | None) -> None:
    recognizer = cls()
    results = recognizer.analyze(text, [recognizer.ENTITY])
    assert [text[r.start : r.end] for r in results] == ([expected] if expected else [])


@pytest.mark.parametrize(
    ("text", "entity", "span"),
    [
        ("Her UPN is W301001234567", "UK_UPN", "W301001234567"),
        ("NHS number 943 476 5919", "UK_NHS", "943 476 5919"),
        (
            "IBAN GB82 WEST 1234 5698 7654 32 for donations",
            "IBAN_CODE",
            "GB82 WEST 1234 5698 7654 32",
        ),
        ("Card 4111 1111 1111 1111 left at reception", "CREDIT_CARD", "4111 1111 1111 1111"),
        ("NI number AB123456C", "UK_NINO", "AB123456C"),
    ],
)
def test_stack_reports_identifiers(stack: DetectorStack, text: str, entity: str, span: str) -> None:
    assert (entity, span) in {(f.type, text[f.start : f.end]) for f in stack.detect(text)}


@pytest.mark.parametrize(
    "text",
    [
        "Card 4111 1111 1111 1112 left at reception",  # Luhn fails
        "IBAN GB82 WEST 1234 5698 7654 33",  # mod 97 fails
    ],
)
def test_stack_ignores_identifiers_failing_their_checksum(stack: DetectorStack, text: str) -> None:
    assert not {"CREDIT_CARD", "IBAN_CODE"} & {f.type for f in stack.detect(text)}


def test_random_digits_rarely_pass_as_identifiers(stack: DetectorStack) -> None:
    """Ordinary 10-13 digit numbers in school posts do not flood the queue with identifiers."""
    rng = random.Random(7)
    posts = [
        f"Raffle ticket {rng.randrange(10**9, 10**10)} won! Order {rng.randrange(10**12)}"
        for _ in range(60)
    ]
    flagged = [
        f for found in stack.detect_many(posts) for f in found if f.type in {"UK_ULN", "UK_NHS"}
    ]
    assert flagged == []
