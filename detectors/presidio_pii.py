"""Personal data in a post via Presidio: names, places, contact details and UK identifiers.

Only the recognizers this trust needs are registered: Presidio's defaults include US ones
(driver licence, SSN, bank numbers) that fire on ordinary UK digits. Names come from the
social-tuned NER through `SocialPersonRecognizer`, so @handles, #hashtags and URLs are never
people. A phone number or mailbox that is plainly the school's own is reported at low severity,
so the review queue is not flooded with the office's number.
"""

from __future__ import annotations

import re
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
    CreditCardRecognizer,
    EmailRecognizer,
    IbanRecognizer,
    PhoneRecognizer,
    SpacyRecognizer,
)

from core.findings import Finding, Severity
from core.sections import Section
from detectors.cues import cues
from detectors.names import PostView, view
from detectors.nlp import LANGUAGE, offline_tld_extractor
from detectors.recognizers import (
    DateOfBirthRecognizer,
    SocialPersonRecognizer,
    UkBankAccountRecognizer,
    UkNhsRecognizer,
    UkNinoRecognizer,
    UkPostcodeRecognizer,
    UkUlnRecognizer,
    UkUpnRecognizer,
)
from detectors.social import overlaps

DETECTOR_NAME: Final = "presidio"


@dataclass(frozen=True, slots=True)
class PolicyRef:
    """Which policy section a finding type falls under, how urgent it is, and why."""

    section: Section
    severity: Severity
    explanation: str


# One row per entity type. Explanations are stored with the finding, so they must never quote the
# matched text (the finding's span points at it); they are read by a Headteacher, not a developer.
POLICY_BY_ENTITY: Final[Mapping[str, PolicyRef]] = MappingProxyType(
    {
        "PERSON": PolicyRef(
            section=Section.PUPIL_IDENTITY,
            severity=Severity.LOW,
            explanation=(
                "A person is named in this post. If this is a pupil, section 8.4 of the Social "
                "Media Policy forbids posting anything that identifies them: check whose name it "
                "is and remove it if it is a pupil's."
            ),
        ),
        "LOCATION": PolicyRef(
            section=Section.PUPIL_IDENTITY,
            severity=Severity.LOW,
            explanation=(
                "A place is named in this post. Section 8.4 of the Social Media Policy forbids "
                "posting anything that could be linked to a pupil, including their home: check "
                "that the place does not show where a pupil lives or can be found."
            ),
        ),
        "PHONE_NUMBER": PolicyRef(
            section=Section.DATA_PROTECTION,
            severity=Severity.MEDIUM,
            explanation=(
                "A phone number appears in this post. Section 8.7 of the Social Media Policy "
                "requires posts to respect data protection law: unless it is the school's own "
                "published number, a person's phone number must not be posted."
            ),
        ),
        "EMAIL_ADDRESS": PolicyRef(
            section=Section.DATA_PROTECTION,
            severity=Severity.MEDIUM,
            explanation=(
                "An email address appears in this post. Section 8.7 of the Social Media Policy "
                "requires posts to respect data protection law: unless it is the school's own "
                "published address, a person's email address must not be posted."
            ),
        ),
        "UK_POSTCODE": PolicyRef(
            section=Section.PUPIL_IDENTITY,
            severity=Severity.LOW,
            explanation=(
                "A postcode appears in this post. Section 8.4 of the Social Media Policy forbids "
                "anything that could be linked to a pupil, including their home: check that it "
                "is the school's own address and not where a pupil or family lives."
            ),
        ),
        "UK_NINO": PolicyRef(
            section=Section.DATA_PROTECTION,
            severity=Severity.HIGH,
            explanation=(
                "A National Insurance number appears in this post. Section 8.7 of the Social "
                "Media Policy requires posts to respect data protection law, and section 10 warns "
                "against posting details that enable identity theft: remove it now."
            ),
        ),
        "UK_NHS": PolicyRef(
            section=Section.DATA_PROTECTION,
            severity=Severity.HIGH,
            explanation=(
                "An NHS number (checksum verified) appears in this post. It is health data: "
                "section 8.7 of the Social Media Policy requires posts to respect data "
                "protection law. Remove it now."
            ),
        ),
        "UK_BANK_ACCOUNT": PolicyRef(
            section=Section.DATA_PROTECTION,
            severity=Severity.MEDIUM,
            explanation=(
                "A sort code and account number appear in this post. Section 10 of the Social "
                "Media Policy warns against posting bank details and section 8.7 requires data "
                "protection: unless these are the school's own published details, remove them."
            ),
        ),
        "IBAN_CODE": PolicyRef(
            section=Section.DATA_PROTECTION,
            severity=Severity.MEDIUM,
            explanation=(
                "An international bank account number (checksum verified) appears in this post. "
                "Section 10 of the Social Media Policy warns against posting bank details and "
                "section 8.7 requires data protection: unless it is the school's own published "
                "account, remove it."
            ),
        ),
        "CREDIT_CARD": PolicyRef(
            section=Section.DATA_PROTECTION,
            severity=Severity.HIGH,
            explanation=(
                "A payment card number (checksum verified) appears in this post. Section 8.7 of "
                "the Social Media Policy requires posts to respect data protection law: remove it "
                "now and tell the card holder."
            ),
        ),
        "DATE_OF_BIRTH": PolicyRef(
            section=Section.DATA_PROTECTION,
            severity=Severity.MEDIUM,
            explanation=(
                "A date of birth appears in this post. Section 10 of the Social Media Policy "
                "warns against posting dates of birth and section 8.7 requires data protection; "
                "if it is a pupil's, section 8.4 forbids it outright."
            ),
        ),
        "UK_UPN": PolicyRef(
            section=Section.PUPIL_IDENTITY,
            severity=Severity.HIGH,
            explanation=(
                "A Unique Pupil Number (check letter verified) appears in this post. It "
                "identifies one pupil, which section 8.4 of the Social Media Policy forbids: "
                "remove it now."
            ),
        ),
        "UK_ULN": PolicyRef(
            section=Section.PUPIL_IDENTITY,
            severity=Severity.HIGH,
            explanation=(
                "A Unique Learner Number (checksum verified) appears in this post. It "
                "identifies one pupil, which section 8.4 of the Social Media Policy forbids: "
                "remove it now."
            ),
        ),
    }
)

# A UK freephone, helpline or public-service number (0800/0808 freephone, 03 public bodies, 116
# helplines such as Samaritans' 116 123, NHS 111): a published service, never a person's own line.
PUBLIC_SERVICE_PREFIXES: Final = ("0800", "0808", "0300", "0330", "0333", "0345", "0370", "116")
PUBLIC_SERVICE_PHONE: Final = PolicyRef(
    section=Section.DATA_PROTECTION,
    severity=Severity.LOW,
    explanation=(
        "A freephone, helpline or public-service number (0800, 0808, 03 or 116) appears in this "
        "post: a published service such as Childline or NHS 111, not a person's own line. Section "
        "8.7 of the Social Media Policy only concerns a person's own number."
    ),
)

# The same types, when the wording shows they are the school's own published contact details.
SCHOOL_OWN: Final[Mapping[str, PolicyRef]] = MappingProxyType(
    {
        "PHONE_NUMBER": PolicyRef(
            section=Section.DATA_PROTECTION,
            severity=Severity.LOW,
            explanation=(
                'A phone number appears beside words such as office, enquiries or "ring us", '
                "or the school's name, so it is probably the school's published number. "
                "Section 8.7 of the Social Media Policy only concerns it if it is in fact a "
                "person's own number."
            ),
        ),
        "EMAIL_ADDRESS": PolicyRef(
            section=Section.DATA_PROTECTION,
            severity=Severity.LOW,
            explanation=(
                "An email address with a role mailbox name (office, admin, enquiries...) appears "
                "in this post, probably the school's published address. Section 8.7 of the "
                "Social Media Policy only concerns it if it is in fact a person's own address."
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
        leniency = self.leniency if self.leniency is not None else phonenumbers.Leniency.POSSIBLE
        for match in phonenumbers.PhoneNumberMatcher(text, "GB", leniency=leniency):
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
    """The explicit recognizer list: names, places, contact details and UK identifiers."""
    return RecognizerRegistry(
        recognizers=[
            SocialPersonRecognizer(),
            SpacyRecognizer(supported_language=LANGUAGE, supported_entities=["LOCATION"]),
            UkPhoneRecognizer(),
            UkEmailRecognizer(),
            UkPostcodeRecognizer(),
            UkNinoRecognizer(),
            UkNhsRecognizer(),
            UkBankAccountRecognizer(),
            IbanRecognizer(supported_language=LANGUAGE),
            CreditCardRecognizer(supported_language=LANGUAGE),
            DateOfBirthRecognizer(),
            UkUpnRecognizer(),
            UkUlnRecognizer(),
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
        post = view(text, artifacts)
        return [
            to_finding(result, policy_ref(result, post))
            for result in results
            if not (
                result.entity_type == "LOCATION" and overlaps(result.start, result.end, post.social)
            )
        ]


def policy_ref(result: RecognizerResult, post: PostView) -> PolicyRef:
    """The policy row for a result, lowered for the school's own published contact details."""
    kind = result.entity_type
    if kind == "PHONE_NUMBER" and _public_service(post.text[result.start : result.end]):
        return PUBLIC_SERVICE_PHONE
    if kind == "PHONE_NUMBER" and _school_phone(post, result.start, result.end):
        return SCHOOL_OWN[kind]
    if kind == "EMAIL_ADDRESS" and (
        _role_mailbox(post.text[result.start : result.end])
        or _WORK_EMAIL.search(post.text[slice(*post.sentence_of(result.start))]) is not None
        or _work_address_offered(post, result.start, result.end)
        or _office_mailbox(post, result.start, result.end)
    ):
        return SCHOOL_OWN[kind]
    return POLICY_BY_ENTITY[kind]


def _public_service(number: str) -> bool:
    """A UK freephone, helpline or public-service number (+44 or 0044 read as a leading 0)."""
    digits = "".join(c for c in number if c.isdigit())
    for country in ("0044", "44"):
        if digits.startswith(country):
            digits = "0" + digits[len(country) :]
            break
    return digits.startswith(PUBLIC_SERVICE_PREFIXES) and 6 <= len(digits) <= 11


def _school_phone(post: PostView, start: int, end: int) -> bool:
    """Not a mobile, no person named in its sentence, office words (or "ring us", or the
    school's name) in that sentence or the next to it, and nothing there calling it someone's
    own number."""
    digits = "".join(c for c in post.text[start:end] if c.isdigit())
    if digits.startswith(("07", "447", "00447")):
        return False
    if _OFFICE_ON.search(post.text, max(0, start - 40), start) is not None:
        return True
    return _office_context(post, start)


# "pop in and see Mrs Haddon or ring the office on 0115 496 0412", "call Mrs Hadley in the HR
# office on ...", "Passenger Transport Team: 01632 960775", "or you can ring us on ...", "call
# the college on ...": the number is an office's or a team's even with a member of staff named
# beside it.
_OFFICE_ON: Final = re.compile(
    r"(?i)(?:\b(?:the|our)\s+(?:[\w'-]+\s+){0,2}(?:office|reception|team|desk)\s+(?:on|:)"
    r"|\b(?:ring|call|phone|contact)\s+(?:us|the\s+(?:school|college|academy|office|trust))\s+on"
    r"|\b(?:office|reception|team|desk|department|switchboard)\s*:)\s*$"
)


def _office_context(post: PostView, start: int) -> bool:
    """No person named in the sentence at `start`, office words in it or the next, and nothing
    there calling it someone's own."""
    s, e = post.sentence_of(start)
    if any(s <= n.start < e for n in post.names):
        return False
    a, b = post.around(start)
    nearby = post.text[a:b]
    return (
        cues().office_words.search(nearby) is not None
        and cues().personal_number.search(nearby) is None
    )


# "my school email is ...": a work address given for work, not a private one.
_WORK_EMAIL: Final = re.compile(r"(?i)\b(?:my|our|his|her|their)\s+(?:school|work)\s+e-?mail\b")


# "drop me a line on j.tregenza@porthgwyn-academy.org.uk": a member of staff offering their own
# work address at the school's domain, for work.
_OFFERED: Final = re.compile(
    r"(?i)\b(?:(?:drop|send|ping)\s+me\s+(?:a\s+line|an?\s+e-?mail|a\s+message|a\s+note)"
    r"|e-?mail\s+me|contact\s+me|get\s+in\s+touch\s+with\s+me|reach\s+me)\b"
)
_SCHOOL_DOMAIN: Final = re.compile(
    r"(?i)@(?:[\w-]+\.)*(?:[\w-]*(?:school|academy|college|primary|trust|federation|"
    r"infants?|juniors?|nursery|high)[\w-]*\.|[\w-]+\.sch\.uk$|[\w-]+\.ac\.uk$)"
)


def _work_address_offered(post: PostView, start: int, end: int) -> bool:
    address = post.text[start:end]
    sentence = post.text[slice(*post.sentence_of(start))]
    return _SCHOOL_DOMAIN.search(address) is not None and _OFFERED.search(sentence) is not None


def _office_mailbox(post: PostView, start: int, end: int) -> bool:
    """A mailbox at a school's domain given as an office's ("questions to the outdoor ed office on
    0114 496 0123 or outdoored@blackmoorvale.sch.uk"): a team's address the role list cannot
    hold every name of, with no person named beside it."""
    address = post.text[start:end]
    local = address.split("@", 1)[0]
    return (
        _SCHOOL_DOMAIN.search(address) is not None
        and not any(c in local for c in "._-")
        and _office_context(post, start)
    )


# year7@, yr11team@, y6@: a year group's team mailbox.
_YEAR_TEAM: Final = re.compile(r"(?:year|yr|y)\d{1,2}(?:team)?")


def _role_mailbox(address: str) -> bool:
    local = address.split("@", 1)[0].lower()
    return (
        local in cues().role_mailboxes
        or local.replace(".", "") in cues().role_mailboxes
        or _YEAR_TEAM.fullmatch(local) is not None
    )


def to_finding(result: RecognizerResult, ref: PolicyRef | None = None) -> Finding:
    """A Presidio result as a policy finding (type, span and score kept as Presidio gave them)."""
    ref = ref or POLICY_BY_ENTITY[result.entity_type]
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
