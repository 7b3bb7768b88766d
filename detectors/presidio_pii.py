"""Personal data in a post (names, places, phone numbers, e-mail addresses) via Presidio.

Only the recognizers this trust needs are registered: Presidio's defaults include US ones
(driver licence, SSN, bank numbers) that fire on ordinary UK digits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

import phonenumbers
from presidio_analyzer import (
    AnalyzerEngine,
    EntityRecognizer,
    RecognizerRegistry,
    RecognizerResult,
)
from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngine
from presidio_analyzer.predefined_recognizers import (
    EmailRecognizer,
    PhoneRecognizer,
    SpacyRecognizer,
)

from detectors.base import Finding, Severity
from detectors.nlp import LANGUAGE, offline_tld_extractor

DETECTOR_NAME: Final = "presidio"


@dataclass(frozen=True, slots=True)
class PolicyRef:
    """Which policy section a finding type falls under, how urgent it is, and why."""

    section: str
    severity: Severity
    explanation: str


# One row per entity type. Explanations are stored with the finding, so they must never quote the
# matched text (the finding's span points at it); they are read by a Headteacher, not a developer.
POLICY_BY_ENTITY: Final[Mapping[str, PolicyRef]] = MappingProxyType(
    {
        "PERSON": PolicyRef(
            section="8.4",
            severity=Severity.LOW,
            explanation=(
                "A person is named in this post. If this is a pupil, section 8.4 of the Social "
                "Media Policy forbids posting anything that identifies them: check whose name it "
                "is and remove it if it is a pupil's."
            ),
        ),
        "LOCATION": PolicyRef(
            section="8.4",
            severity=Severity.LOW,
            explanation=(
                "A place is named in this post. Section 8.4 of the Social Media Policy forbids "
                "posting anything that could be linked to a pupil, including their home: check "
                "that the place does not show where a pupil lives or can be found."
            ),
        ),
        "PHONE_NUMBER": PolicyRef(
            section="8.7",
            severity=Severity.MEDIUM,
            explanation=(
                "A phone number appears in this post. Section 8.7 of the Social Media Policy "
                "requires posts to respect data protection law: unless it is the school's own "
                "published number, a person's phone number must not be posted."
            ),
        ),
        "EMAIL_ADDRESS": PolicyRef(
            section="8.7",
            severity=Severity.MEDIUM,
            explanation=(
                "An email address appears in this post. Section 8.7 of the Social Media Policy "
                "requires posts to respect data protection law: unless it is the school's own "
                "published address, a person's email address must not be posted."
            ),
        ),
    }
)

ENTITIES: Final[tuple[str, ...]] = tuple(POLICY_BY_ENTITY)


class UkPhoneRecognizer(PhoneRecognizer):
    """UK phone numbers, including ones outside allocated ranges.

    python-phonenumbers' VALID leniency rejects the Ofcom drama ranges (07700 900xxx,
    01632 960xxx) and any number not yet allocated, yet a number written in UK form is personal
    data all the same. POSSIBLE leniency alone matches years and amounts ("2023-24", "12500"), so
    a merely possible number is kept only if written the UK way (leading 0, +44 or 0044) with a
    full-length national number.
    """

    CONTEXT = [
        "phone",
        "number",
        "telephone",
        "tel",
        "mobile",
        "call",
        "ring",
        "text",
        "whatsapp",
        "contact",
    ]

    def __init__(self) -> None:
        super().__init__(
            context=list(self.CONTEXT),
            supported_language=LANGUAGE,
            supported_regions=("GB",),
            leniency=phonenumbers.Leniency.POSSIBLE,
            name="UkPhoneRecognizer",
        )

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Phone numbers in `text`, read as a UK reader would (region GB)."""
        results = []
        for match in phonenumbers.PhoneNumberMatcher(text, "GB", leniency=self.leniency):
            number = match.number
            if not phonenumbers.is_valid_number(number) and not _written_as_uk(
                match.raw_string, number
            ):
                continue
            region = phonenumbers.region_code_for_number(number) or "GB"
            results.append(self._get_recognizer_result(match, text, region, nlp_artifacts))
        return EntityRecognizer.remove_duplicates(results)


def _written_as_uk(raw: str, number: phonenumbers.PhoneNumber) -> bool:
    """A full-length +44 number written with a trunk 0 or an international prefix."""
    if number.country_code != 44:
        return False
    if not raw.lstrip("(").startswith(("0", "+44")):
        return False
    return 9 <= len(str(number.national_number)) <= 10


class UkEmailRecognizer(EmailRecognizer):
    """E-mail addresses, including those at *.sch.uk and gov.uk.

    Presidio's own check wants a registrable domain, but `*.sch.uk` is itself a public suffix, so
    it drops office@stmarys.sch.uk: the most common address in a UK school's posts.
    """

    CONTEXT = ["email", "e-mail", "contact", "address"]

    def __init__(self) -> None:
        super().__init__(
            context=list(self.CONTEXT), supported_language=LANGUAGE, name="UkEmailRecognizer"
        )
        self._tld = offline_tld_extractor()

    def validate_result(self, pattern_text: str) -> bool:
        """True when the domain ends in a known public suffix (.com, .org.uk, x.sch.uk...)."""
        return self._tld(pattern_text).suffix != ""


def build_registry() -> RecognizerRegistry:
    """The explicit recognizer list: spaCy NER for names and places, UK phone, e-mail."""
    return RecognizerRegistry(
        recognizers=[
            SpacyRecognizer(supported_language=LANGUAGE, supported_entities=["PERSON", "LOCATION"]),
            UkPhoneRecognizer(),
            UkEmailRecognizer(),
        ],
        supported_languages=[LANGUAGE],
    )


class PresidioPiiDetector:
    """Presidio over precomputed spaCy artifacts, mapped to policy findings."""

    name: Final = DETECTOR_NAME
    entities: Final[tuple[str, ...]] = ENTITIES

    def __init__(self, nlp_engine: NlpEngine) -> None:
        self.analyzer = AnalyzerEngine(
            registry=build_registry(), nlp_engine=nlp_engine, supported_languages=[LANGUAGE]
        )

    def detect(self, text: str, artifacts: NlpArtifacts) -> list[Finding]:
        """Findings for `text`, reusing the spaCy artifacts the stack already computed."""
        results = self.analyzer.analyze(
            text=text, language=LANGUAGE, entities=list(ENTITIES), nlp_artifacts=artifacts
        )
        return [to_finding(result) for result in results]


def to_finding(result: RecognizerResult) -> Finding:
    """A Presidio result as a policy finding (type, span and score kept as Presidio gave them)."""
    ref = POLICY_BY_ENTITY[result.entity_type]
    return Finding(
        type=result.entity_type,
        start=result.start,
        end=result.end,
        score=float(result.score),
        section=ref.section,
        severity=ref.severity,
        explanation=ref.explanation,
        detector=DETECTOR_NAME,
    )
