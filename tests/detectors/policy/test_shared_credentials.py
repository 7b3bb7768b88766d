"""Shared passwords, logins and entry codes (sections 8.9 and 10): the value must be there."""

from __future__ import annotations

import pytest

from core.findings import Severity
from core.sections import Section
from detectors.policy.shared_credentials import SharedCredentialsDetector
from detectors.stack import DetectorStack

DETECTOR = SharedCredentialsDetector()

# A login opens the school's systems: 8.9 and 10. An entry code opens a door: 8.9.
LOGIN = (Section.CONFIDENTIAL, Section.SECURITY)
ENTRY = (Section.CONFIDENTIAL,)
FLAGGED = [
    # round 41: a username and password given as a pair past the credential word's window
    (
        "Her login's on a note under the office keyboard anyway, it's pmorris / Kingfisher77",
        "Kingfisher77",
        LOGIN,
    ),
    ("staff wifi pw is Lark!2024 if anyone needs it", "Lark!2024", LOGIN),
    # round 39: a door alarm's code
    ("If you're coming in over the holidays the front door alarm is 1963 then SET.", "1963", ENTRY),
    # round 32: a UCAS centre's buzzword links a student's application to the school
    (
        "Centre buzzword for this UCAS cycle is WREN-FALCON-25 if anyone needs it",
        "WREN-FALCON-25",
        LOGIN,
    ),
    # the value a sentence after the credential word, closed by "!"
    ("left the PC logged in. If it kicks you out it's gbarnes / Fern2026!", "Fern2026!", LOGIN),
    ("Guest WiFi: Meadow_Visitors / Primrose77", "Primrose77", LOGIN),
    ("gate code's 5190# from Monday, don't lose it", "5190#", ENTRY),
    ("new code for the back door is 3382 btw", "3382", ENTRY),
    ("The keypad code on the PE store has been changed to 77120*", "77120*", ENTRY),
    ("Supply login is supply02 / Oakfield3 for the cover laptop", "Oakfield3", LOGIN),
    ("Password for the shared drive = Hedgehog#9 (capital H)", "Hedgehog#9", LOGIN),
    ("alarm code is now 0407, please don't set it off again", "0407", ENTRY),
    # round 30: a code read out with dashes and its hash; a lock's letter; a bare "code"; a
    # code typed into the alarm panel
    ("The new keypad on the side gate is 4-7-1-9-#. Enjoy the holidays", "4-7-1-9-#", ENTRY),
    ("The staffroom door code has changed, it's now C2584", "C2584", ENTRY),
    ("The key is in the key safe behind the oil tank, code 0312, back by 4", "0312", ENTRY),
    ("the alarm panel is inside the door, put in 8826 and press the tick", "8826", ENTRY),
    ("lost my lanyard 🙄 PIN is 6612 for the printer if anyone's near", "6612", LOGIN),
    ("sign in details for the minibus tracker: transport@oak / Bus-Route5", "Bus-Route5", LOGIN),
    ("side gate keypad is 4471# now btw, they changed it", "4471#", ENTRY),
    ("Staffroom door code changes to 6093# after half term", "6093#", ENTRY),
    ("Hall PC's logged in as me, if it locks it's jbarker / Heron2026!", "Heron2026!", LOGIN),
    # read out digit by digit; digits right after the entry word; closed by the keypad's "#"
    ("The staff door keypad is changing on Monday, new code 8 3 1 6 #", "8 3 1 6 #", ENTRY),
    ("Parking's round the back, gate code 2207, ring me when you're in", "2207", ENTRY),
    ("locked out of the science block again, it's 7014# people, write it down", "7014#", ENTRY),
    ("key safe by the minibus shed is 4410 if anyone needs the keys", "4410", ENTRY),
    # round 27: a dial lock's numbers after "combo"; a padlock; spaced digits closed by "*"
    ("exam papers are in the safe, combo is 19-84-07 if you need them", "19-84-07", ENTRY),
    ("Outdoor shed: padlock is 0614, put the bikes back", "0614", ENTRY),
    (
        "🔐 NEW DOOR CODES\nThey're:\n• Nursery main door: 2 9 0 3 *\nDon't give them out",
        "2 9 0 3 *",
        ENTRY,
    ),
    (
        "SIMS from home: username admin.office, password BFA_Office2024! don't change anything",
        "BFA_Office2024!",
        LOGIN,
    ),
]


@pytest.mark.parametrize(("text", "value", "sections"), FLAGGED)
def test_a_schools_credential_with_its_value_is_confidential(
    text: str, value: str, sections: tuple[Section, ...]
) -> None:
    found = DETECTOR.detect(text, None)
    assert [f.section for f in found] == [s.value for s in sections]
    for finding, section in zip(found, sections, strict=True):
        assert finding.severity is Severity.HIGH
        assert text[finding.start : finding.end].endswith(value)  # the span reaches the value
        assert value not in finding.explanation  # the explanation never repeats the secret
        assert section.cite() in finding.explanation
    assert len({(f.start, f.end) for f in found}) == 1


CLEAN = [
    # round 41: a pair with no secret in it
    "Your login's on the letter we sent home last week, it's your surname / the school postcode.",
    "Reminder: never share your password with anyone, even IT.",
    "The visitor wifi code is on the noticeboard in reception.",
    "The keypad is broken again, ring the office bell.",
    # round 39: an alarm's state, not its code
    "The front door alarm is broken again, the engineer comes Tuesday.",
    "Does anyone know the code for the board room photocopier? Not after anything secret",
    "Password 2024 policy update: twelve characters from January.",
    "Log in to Office365 with your school email to see the new timetable.",
    "wifi is down again in the science block until about 2pm",
    "Passwords must be at least 12 characters from September.",
    "Year 7 login details go out on 12/09 with their planners.",
    "Pin the rota on the staffroom board please",
    "pin 2024 on your calendar: the summer fair is on 6th July",
    "Door code problems? Ring the office on 01632 960983 and we'll let you in.",
    "the code is Y10 for the cover slips",
    "Wifi password changed today – ask the office, don't post it on here!",
    "Our login page is https://portal.example/signin for parents",
    "Press 1# for attendance or 2# for the office",
    "Keys for the hall are in the key safe, ask the office for the code.",
    # round 25: a year in the next sentence; a word closed by "!" is no symbol
    "Staff wifi down AGAIN. IT are 'on it' apparently. Back to 1998 in here, pass me a floppy",
    "Photocopier PIN is in your welcome email from IT, not in here please!",
    "Tickets for the 1966# anniversary quiz on sale now",
    # round 27: a combination of things; a date after a padlock
    "The combination of phonics and reading at home is what makes the difference.",
    "Padlocks for the lockers arrive on 12-09-26, £3 each from the office.",
    # round 30: a discount code; a room number with a letter; a bare code with no entry word
    "Use code 2024 at checkout for 10% off the new kit!",
    "Room C2584 is the new IT suite, come and see it",
    "The trip code 4411 goes on your ParentPay reference, the coach leaves from the gate",
]


@pytest.mark.parametrize("text", CLEAN)
def test_talking_about_credentials_names_no_value(text: str) -> None:
    assert DETECTOR.detect(text, None) == []


@pytest.mark.parametrize(
    ("token", "secret"),
    [
        ("4471#", True),
        ("Kestrel2025!", True),
        ("b@ker-st", True),
        ("1234567", True),
        ("password", False),  # letters only
        ("2024-25", False),
        ("9am", False),
        ("Y10", False),
        ("14/06/2025", False),
        ("£41k", False),
        ("#TeamOak", False),
        ("office@oak.sch.uk", False),
        ("01632960983", False),  # a phone number is not a code
    ],
)
def test_validate_result(token: str, secret: bool) -> None:
    assert DETECTOR.validate_result(token) is secret


@pytest.mark.parametrize(
    ("text", "section"),
    [
        ("my banking PIN is 2207, same as my birthday", Section.SECURITY),
        ("password? mine's Biscuit2019 lol", Section.SECURITY),
        ("door code at mine is 5521 if you're feeding the cat", Section.SECURITY),
    ],
)
def test_ones_own_password_is_private_information(text: str, section: Section) -> None:
    [finding] = DETECTOR.detect(text, None)
    assert finding.section == section.value and section.cite() in finding.explanation


def test_my_laptop_beside_the_staff_wifi_is_still_the_schools() -> None:
    text = "my laptop won't connect so: staff wifi pw is Lark!2024"
    found = DETECTOR.detect(text, None)
    assert [f.section for f in found] == [Section.CONFIDENTIAL.value, Section.SECURITY.value]


def test_one_finding_per_credential_and_section_and_offsets_on_the_original() -> None:
    text = "Morning all\nwifi pw: Finch2024!\nalarm code is 9931"
    found = DETECTOR.detect(text, None)
    assert [text[f.start : f.end] for f in found] == [
        "wifi pw: Finch2024!",
        "wifi pw: Finch2024!",
        "alarm code is 9931",
    ]


def test_both_sections_reach_review_through_the_whole_stack(stack: DetectorStack) -> None:
    """The stack keeps one finding per span, type and section: the 10 beside the 8.9 survives
    (it once lost to the 8.9 of the same span, and took the head's own 10 with it)."""
    found = stack.detect("New staff wifi password from today is Heron!Gate2026, old one stops at 3")
    cited = {f.section for f in found if f.severity.rank >= Severity.MEDIUM.rank}
    assert {Section.CONFIDENTIAL.value, Section.SECURITY.value} <= cited
