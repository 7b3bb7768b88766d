"""Presidio recognizers for UK personal data, one class per file, checksums in validate_result."""

from detectors.recognizers.date_of_birth import DateOfBirthRecognizer
from detectors.recognizers.social_person import SocialPersonRecognizer
from detectors.recognizers.uk_bank_account import UkBankAccountRecognizer
from detectors.recognizers.uk_nhs import UkNhsRecognizer
from detectors.recognizers.uk_nino import UkNinoRecognizer
from detectors.recognizers.uk_postcode import UkPostcodeRecognizer
from detectors.recognizers.uk_uln import UkUlnRecognizer
from detectors.recognizers.uk_upn import UkUpnRecognizer

__all__ = [
    "DateOfBirthRecognizer",
    "SocialPersonRecognizer",
    "UkBankAccountRecognizer",
    "UkNhsRecognizer",
    "UkNinoRecognizer",
    "UkPostcodeRecognizer",
    "UkUlnRecognizer",
    "UkUpnRecognizer",
]
