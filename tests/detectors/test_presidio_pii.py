"""Personal data in UK school posts: what Presidio finds, and how it maps to the policy."""

from __future__ import annotations

import pytest

from core.findings import Finding, Severity
from detectors.presidio_pii import (
    DETECTOR_NAME,
    ENTITIES,
    POLICY_BY_ENTITY,
    SCHOOL_OWN,
    PresidioPiiDetector,
    UkEmailRecognizer,
    UkPhoneRecognizer,
    build_registry,
)
from detectors.stack import DetectorStack

CONTRACT_KEYS = {"type", "start", "end", "score", "section", "severity", "explanation"}


def _spans(text: str, findings: list[Finding]) -> set[tuple[str, str]]:
    return {(f.type, text[f.start : f.end]) for f in findings}


# (post, entity type, the exact text the span must cover)
FOUND = [
    ("Call Mrs Jones on 07700 900123 about the trip", "PHONE_NUMBER", "07700 900123"),
    ("Ring the office on 0161 496 0000 to book a place.", "PHONE_NUMBER", "0161 496 0000"),
    ("WhatsApp +44 7700 900123 for tickets to the summer fair", "PHONE_NUMBER", "+44 7700 900123"),
    ("Lost property? Text 07911 123456 and we'll sort it", "PHONE_NUMBER", "07911 123456"),
    ("International callers: 0044 7700 900456", "PHONE_NUMBER", "0044 7700 900456"),
    ("Office hours (0161) 496-0000, Mon-Fri", "PHONE_NUMBER", "(0161) 496-0000"),
    ("Any questions, email parent@example.com", "EMAIL_ADDRESS", "parent@example.com"),
    ("Forms to office@stmarys.sch.uk by Friday please", "EMAIL_ADDRESS", "office@stmarys.sch.uk"),
    ("Contact head@oakfield.bolton.sch.uk", "EMAIL_ADDRESS", "head@oakfield.bolton.sch.uk"),
    ("Amelia Watson from Year 2 won the spelling bee!", "PERSON", "Amelia Watson"),
    ("Huge well done to Oliver Smith for his reading award", "PERSON", "Oliver Smith"),
    ("Our Year 6 pupils visited Leeds and York this week", "LOCATION", "Leeds"),
]


@pytest.mark.parametrize(("text", "entity", "covered"), FOUND)
def test_finds_personal_data_in_uk_posts(
    stack: DetectorStack, text: str, entity: str, covered: str
) -> None:
    assert (entity, covered) in _spans(text, stack.detect(text))


# Digits that are not phone numbers, and text that is not an e-mail address.
NOT_FOUND = [
    ("The 2023-24 season raised £12,500 (12500 pounds!)", "PHONE_NUMBER"),
    ("Class of 2024 - see you in Year 7", "PHONE_NUMBER"),
    ("ISBN 978 0 14 118776 1 is this week's class read", "PHONE_NUMBER"),
    ("Registered charity no. 1168754", "PHONE_NUMBER"),
    ("Sports day is on 12/07/2024 at 14:30", "PHONE_NUMBER"),
    ("Follow us @StMarysPri for updates", "EMAIL_ADDRESS"),
    ("Ask for a@b.c at reception", "EMAIL_ADDRESS"),
]


@pytest.mark.parametrize(("text", "entity"), NOT_FOUND)
def test_does_not_flag_ordinary_numbers_or_handles(
    stack: DetectorStack, text: str, entity: str
) -> None:
    assert entity not in {f.type for f in stack.detect(text)}


@pytest.mark.parametrize(
    ("entity", "section", "severity"),
    [
        ("PERSON", "8.4", Severity.LOW),
        ("LOCATION", "8.4", Severity.LOW),
        ("PHONE_NUMBER", "8.7", Severity.MEDIUM),
        ("EMAIL_ADDRESS", "8.7", Severity.MEDIUM),
        ("UK_POSTCODE", "8.4", Severity.LOW),
        ("UK_NINO", "8.7", Severity.HIGH),
        ("UK_NHS", "8.7", Severity.HIGH),
        ("UK_BANK_ACCOUNT", "8.7", Severity.MEDIUM),
        ("IBAN_CODE", "8.7", Severity.MEDIUM),
        ("CREDIT_CARD", "8.7", Severity.HIGH),
        ("DATE_OF_BIRTH", "8.7", Severity.MEDIUM),
        ("UK_UPN", "8.4", Severity.HIGH),
        ("UK_ULN", "8.4", Severity.HIGH),
    ],
)
def test_policy_table(entity: str, section: str, severity: Severity) -> None:
    ref = POLICY_BY_ENTITY[entity]
    assert (ref.section, ref.severity) == (section, severity)
    assert f"section {section}" in ref.explanation.lower()


def test_policy_table_covers_exactly_the_requested_entities() -> None:
    assert set(POLICY_BY_ENTITY) == set(ENTITIES)
    assert set(SCHOOL_OWN) == {"PHONE_NUMBER", "EMAIL_ADDRESS"}
    assert all(ref.severity is Severity.LOW for ref in SCHOOL_OWN.values())


def test_pupil_wording_for_person() -> None:
    assert "pupil" in POLICY_BY_ENTITY["PERSON"].explanation


POST = (
    "Amelia Watson from Year 2 won the spelling bee! "
    "Call Mrs Jones on 07700 900123 or email office@stmarys.sch.uk"
)


def test_findings_carry_policy_fields_and_never_quote_the_text(stack: DetectorStack) -> None:
    findings = [f for f in stack.detect(POST) if f.detector == DETECTOR_NAME]
    assert {f.type for f in findings} >= {"PERSON", "PHONE_NUMBER", "EMAIL_ADDRESS"}
    for f in findings:
        ref = SCHOOL_OWN[f.type] if f.severity is Severity.LOW and f.type in SCHOOL_OWN else None
        ref = ref or POLICY_BY_ENTITY[f.type]
        assert (f.section, f.severity, f.explanation) == (
            ref.section,
            ref.severity,
            ref.explanation,
        )
        assert 0.0 < f.score <= 1.0
        assert POST[f.start : f.end] not in f.explanation
        assert set(f.to_contract()) == CONTRACT_KEYS


def test_registry_holds_only_the_chosen_recognizers() -> None:
    registry = build_registry()
    names = sorted(type(r).__name__ for r in registry.recognizers)
    assert names == [
        "CreditCardRecognizer",
        "DateOfBirthRecognizer",
        "IbanRecognizer",
        "SocialPersonRecognizer",
        "SpacyRecognizer",
        "UkBankAccountRecognizer",
        "UkEmailRecognizer",
        "UkNhsRecognizer",
        "UkNinoRecognizer",
        "UkPhoneRecognizer",
        "UkPostcodeRecognizer",
        "UkUlnRecognizer",
        "UkUpnRecognizer",
    ]
    assert not any(getattr(r, "COUNTRY_CODE", None) == "us" for r in registry.recognizers)
    spacy_recognizer = next(
        r for r in registry.recognizers if type(r).__name__ == "SpacyRecognizer"
    )
    assert spacy_recognizer.supported_entities == ["LOCATION"]  # PERSON comes from the social one


# The school's own published contact details are low severity (no review item by default);
# a person's are medium.
CONTACT_SEVERITY = [
    ("The school office is open from 8:15am on 01632 960123.", "PHONE_NUMBER", Severity.LOW),
    ("Enquiries: 01632 960456 (office, 8am-4pm).", "PHONE_NUMBER", Severity.LOW),
    # round 27: the line for reporting an absence
    ("Reporting an absence? Call 020 7946 0451 before 9am.", "PHONE_NUMBER", Severity.LOW),
    # round 32: "ring us on" or "call the college on" right before a landline, a person named
    # earlier in the sentence; a department's mailbox at the school's domain
    (
        "Our attendance officer Mrs Bev Hanley is in from 8.15, or ring us on 0115 496 0382.",
        "PHONE_NUMBER",
        Severity.LOW,
    ),
    (
        "The W3 coach is cancelled: call the college on 01632 960100 if you need a lift home.",
        "PHONE_NUMBER",
        Severity.LOW,
    ),
    (
        "Any questions, email humanities@ouseburnheights.example.sch.uk",
        "EMAIL_ADDRESS",
        Severity.LOW,
    ),
    ("Call Mrs Jones on 07700 900123 about the trip", "PHONE_NUMBER", Severity.MEDIUM),
    ("Ring the office on 07700 900123", "PHONE_NUMBER", Severity.MEDIUM),  # a mobile
    ("Office: ask Karen Doyle on 01632 960456", "PHONE_NUMBER", Severity.MEDIUM),  # named
    ("Questions? Call 0161 496 0000 tonight", "PHONE_NUMBER", Severity.MEDIUM),
    # the reader is asked to ring the organisation, or it is named beside the number
    ("Spaces for 2 year olds - ring us on 01969 600456!", "PHONE_NUMBER", Severity.LOW),
    (
        "Need to get hold of us? Thornbeck CE Primary School – 01969 600123.",
        "PHONE_NUMBER",
        Severity.LOW,
    ),
    # ... unless the post says it is someone's own number
    ("Office shut - if you need me my number is 01632 960111", "PHONE_NUMBER", Severity.MEDIUM),
    ("Ring us, or try her home number 01632 960222", "PHONE_NUMBER", Severity.MEDIUM),
    # a freephone, helpline or public-service number is a published service, not a person's
    ("Free, anonymous support from Childline (0800 1111).", "PHONE_NUMBER", Severity.LOW),
    ("Worried about a child? NSPCC helpline 0808 800 5000", "PHONE_NUMBER", Severity.LOW),
    ("Council tax queries: 0300 123 4567", "PHONE_NUMBER", Severity.LOW),
    ("Forms to office@stmarys.sch.uk by Friday please", "EMAIL_ADDRESS", Severity.LOW),
    ("Write to head@oakfield.example.com", "EMAIL_ADDRESS", Severity.LOW),
    ("Contact karen.doyle@example.com directly", "EMAIL_ADDRESS", Severity.MEDIUM),
    # a box office's mailbox, a work address given as one, the number beside "on the website"
    ("Trouble booking? Email boxoffice@riverside.example.org", "EMAIL_ADDRESS", Severity.LOW),
    ("My school email is k.doyle@riverside.example.org", "EMAIL_ADDRESS", Severity.LOW),
    ("Any questions, email me at k.doyle@example.com", "EMAIL_ADDRESS", Severity.MEDIUM),
    ("Updates on the website or ring 01632 960777.", "PHONE_NUMBER", Severity.LOW),
    (
        "Nursery spaces for 2-year-olds: call 01632 960888 to arrange a visit",
        "PHONE_NUMBER",
        Severity.LOW,
    ),
    # a member of staff offering their own address at the school's domain, for work
    (
        "Y10 parents: questions about the trip? Drop me a line on "
        "j.tregenza@porthgwyn-academy.org.uk",
        "EMAIL_ADDRESS",
        Severity.LOW,
    ),
    ("Any questions, drop me a line on jo.tregenza@gmail.com", "EMAIL_ADDRESS", Severity.MEDIUM),
    ("Drop me a line at k.doyle@stmarys.sch.uk", "EMAIL_ADDRESS", Severity.LOW),
    # the line parents ring, its menu option, the team asked for
    (
        "If your child is unwell please call 01736 790200 (option 1) before 8.45am",
        "PHONE_NUMBER",
        Severity.LOW,
    ),
    (
        "Any concern about a child's safety? Call 0116 255 8810 and ask for the safeguarding team.",
        "PHONE_NUMBER",
        Severity.LOW,
    ),
    ("If you find my dog please call 07700 900555", "PHONE_NUMBER", Severity.MEDIUM),
    ("Community bookings evenings and weekends, call 0114 296 4470.", "PHONE_NUMBER", Severity.LOW),
    ("Our safeguarding team can be contacted on 0114 296 4455.", "PHONE_NUMBER", Severity.LOW),
    ("Open as normal despite the snow. Club phone: 01669 640213", "PHONE_NUMBER", Severity.LOW),
    # the school's number in the possessive, a named office asked for, more role mailboxes
    ("Hall hire: the school's number is 01632 960515", "PHONE_NUMBER", Severity.LOW),
    ("Fee queries? Contact the bursary on 01632 960516.", "PHONE_NUMBER", Severity.LOW),
    ("Call the Registrar on 01632 960517 to book a tour", "PHONE_NUMBER", Severity.LOW),
    ("Contact the inclusion team on 01632 960518", "PHONE_NUMBER", Severity.LOW),
    ("Subject access requests go to dpo@fenbridge.example.org", "EMAIL_ADDRESS", Severity.LOW),
    ("Worried? Email pastoral@fenbridge.example.org", "EMAIL_ADDRESS", Severity.LOW),
    ("Retreat forms to chaplaincy@fenbridge.example.org please", "EMAIL_ADDRESS", Severity.LOW),
    # round 41: a parish's office, beside a church school
    ("First Communion forms to parish@stbede.example.org by Friday", "EMAIL_ADDRESS", Severity.LOW),
    ("Contact the team on 07700 900519", "PHONE_NUMBER", Severity.MEDIUM),  # a mobile
    ("Tours on Tuesdays: ring 01632 960521 to book", "PHONE_NUMBER", Severity.LOW),
    ("Contact Jo Pike on 01632 960520", "PHONE_NUMBER", Severity.MEDIUM),  # a person's
    (
        "Worried about a child? Call the Children's Services front door on 01582 547 000.",
        "PHONE_NUMBER",
        Severity.LOW,
    ),
    # a team of ours that answers, and a team's own mailbox at the school's domain
    ("Our admissions team can help in Polish, call 01632 960522.", "PHONE_NUMBER", Severity.LOW),
    (
        "Kit questions to the DofE office on 01632 960523 or dofe@hillcrest.sch.uk.",
        "EMAIL_ADDRESS",
        Severity.LOW,
    ),
    # a person's address at the same domain, or with a name beside it, stays theirs
    ("Questions to the office or j.pike@hillcrest.sch.uk.", "EMAIL_ADDRESS", Severity.MEDIUM),
    ("Office rota: ask Jo Pike on jpike@hillcrest.sch.uk", "EMAIL_ADDRESS", Severity.MEDIUM),
    ("Send the pics to mybiz@gmail.com, office hours 9-5", "EMAIL_ADDRESS", Severity.MEDIUM),
    # the office's number with a member of staff named beside it; more teams' mailboxes
    (
        "Pop in and see Mrs Haddon or ring the office on 01632 960530.",
        "PHONE_NUMBER",
        Severity.LOW,
    ),
    ("Placements: workexperience@tipnervale.example.org", "EMAIL_ADDRESS", Severity.LOW),
    ("Apply by Friday: recruitment@wyvernbrook.example.org", "EMAIL_ADDRESS", Severity.LOW),
    ("We're hiring! Informal chats welcome, ring 01632 960531.", "PHONE_NUMBER", Severity.LOW),
    # a team's or office's line labelled or named; a year group's mailbox
    ("Questions? Call Mrs Hadley in the HR office on 01632 960552.", "PHONE_NUMBER", Severity.LOW),
    ("Passenger Transport Team: 01632 960775 (weekdays)", "PHONE_NUMBER", Severity.LOW),
    ("Any questions, email year6@ashgrove.example.org", "EMAIL_ADDRESS", Severity.LOW),
    ("Captions and consent checks: comms@trust.example.org", "EMAIL_ADDRESS", Severity.LOW),
    ("To join, email the maths team at mathshub@trust.example.org", "EMAIL_ADDRESS", Severity.LOW),
    ("Home: 01632 960999 if you need me over the weekend", "PHONE_NUMBER", Severity.MEDIUM),
    # a Welsh school's office mailbox; a closure notice's "Any questions:" line
    ("Ebost / email: swyddfa@ysgolbrynmor.example.org", "EMAIL_ADDRESS", Severity.LOW),
    ("Closed for snow today. Any questions: 01632 960417", "PHONE_NUMBER", Severity.LOW),
    ("Any questions: ring Dave on 01632 960418", "PHONE_NUMBER", Severity.MEDIUM),
    # a learning-support team's mailbox; a "useful contacts" list
    ("Worried over the break? Email sen@oakbrook.example.org", "EMAIL_ADDRESS", Severity.LOW),
    (
        "USEFUL CONTACTS Learning Support: 01632 960418 (weekdays)",
        "PHONE_NUMBER",
        Severity.LOW,
    ),
]


@pytest.mark.parametrize(("text", "entity", "severity"), CONTACT_SEVERITY)
def test_school_own_contact_details_are_low(
    stack: DetectorStack, text: str, entity: str, severity: Severity
) -> None:
    (found,) = [f for f in stack.detect(text) if f.type == entity]
    assert found.severity is severity


def test_analyzer_supports_only_the_requested_entities(stack: DetectorStack) -> None:
    (detector,) = [d for d in stack.detectors if isinstance(d, PresidioPiiDetector)]
    assert set(detector.analyzer.get_supported_entities("en")) == set(ENTITIES)


def test_uk_digits_do_not_trigger_us_entities(stack: DetectorStack) -> None:
    # Presidio's default registry reports US_DRIVER_LICENSE / US_BANK_NUMBER on strings like these.
    text = "Trip code 123456789 and booking ref A1234567 for Year 5"
    assert all(f.type in ENTITIES for f in stack.detect(text) if f.detector == "presidio")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("07700 900123", ["07700 900123"]),  # drama range: possible, not "valid"
        ("+44 7700 900123", ["+44 7700 900123"]),
        ("0161 496 0000", ["0161 496 0000"]),
        ("0800 123 4567", ["0800 123 4567"]),
        ("+1 212 555 0199 in New York", ["+1 212 555 0199"]),  # valid foreign numbers too
        ("2023-24", []),
        ("12500", []),
        ("0161", []),  # too short to be a number on its own
    ],
)
def test_uk_phone_recognizer(text: str, expected: list[str]) -> None:
    results = UkPhoneRecognizer().analyze(text, ["PHONE_NUMBER"])
    assert [text[r.start : r.end] for r in results] == expected


@pytest.mark.parametrize(
    ("address", "valid"),
    [
        ("office@stmarys.sch.uk", True),  # *.sch.uk is itself a public suffix
        ("press@gov.uk", True),
        ("parent@example.com", True),
        ("someone@school.org.uk", True),
        ("a@b.c", False),
        ("x@nowhere.invalidtld", False),
    ],
)
def test_uk_email_validation(address: str, valid: bool) -> None:
    assert UkEmailRecognizer().validate_result(address) is valid
