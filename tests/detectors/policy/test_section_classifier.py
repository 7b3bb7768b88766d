"""The section classifier (detectors/policy/sections.py) as the stack runs it: with the packs,
OR-ed, cue-word findings corroborated. Posts written for these tests (never taken from any
evaluation set): one breach per row, and hard negatives that mention the same things innocently.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from core.findings import Finding, Severity
from core.sections import Section
from detectors.encoder import SentenceEncoder, load_encoder
from detectors.policy import PackSet, policy_detectors
from detectors.policy.packs import load_packs
from detectors.policy.sections import (
    DETECTOR_NAME,
    HEADS,
    IMPERSONATION_WARNING,
    NOT_CORROBORATED,
    SCHOOL_CONTACT,
    SectionClassifierDetector,
    _colleague_news,
    _moved,
    _pupil_democracy,
    _team_thanks,
    corroborate,
    emphasis_marks,
    explain,
    load_model,
    retweet_copies,
    school_years,
)
from detectors.stack import DetectorStack

# (section, post)
POSITIVE = [
    ("8.4", "Happy 8th birthday to Poppy Marsden in Willow Class! Have the best day 🎂"),
    (
        "8.4",
        "Player of the match for our U11s goes to Reggie Okafor (Year 6) for two cracking goals ⚽",
    ),
    (
        "8.5",
        "Little Tomasz in Year 2 has been really struggling since "
        "his mum went into hospital, bless him",
    ),
    (
        "8.5",
        "Had to restrain one of my Y9 boys again today, he's on a "
        "final warning and his dad doesn't care",
    ),
    (
        "8.9",
        "Don't tell anyone but the head is leaving at Easter and they're merging us with Hillcrest",
    ),
    (
        "8.9",
        "Just seen the draft budget – we're £220k short and three "
        "support staff will go. Not public yet.",
    ),
    ("8.10", "The new deputy is completely useless, no idea how she got the job tbh"),
    (
        "8.10",
        "Honestly the parents at this school are the worst, half of "
        "them can't even read the newsletter",
    ),
    (
        "8.11",
        "Everyone in the staffroom vote Reform on Thursday, it's the "
        "only way to fix schools #TeacherVoice",
    ),
    (
        "8.11",
        "As a teacher at Brookfield I'm asking all our families to "
        "join the march against the Tory cuts",
    ),
    (
        "8.13",
        "Avoid Sunshine Coaches at all costs, they turned up an hour "
        "late for our trip AGAIN. Shambles.",
    ),
    ("8.13", "Use my code MISSJ15 for 15% off at Little Stars Uniforms – best school shoes ever!"),
    ("8.14", "lads check this out 🔥 hot-teen-babes . example / vids"),
    ("8.14", "nsfw but hilarious: www.naughtymilfsxxx.example/clip/9921"),
    ("8.15", "Year 10 are a bunch of absolute f***ing animals, can't stand the little shits"),
    ("8.15", "Shut up you stupid bitch, nobody asked for your opinion"),
    (
        "8.16",
        "Logged into Mr Harris's Facebook while he was at lunch and posted that he's quitting 😂",
    ),
    ("8.16", "I've set up an account pretending to be the head so I can message the parents group"),
    ("10", "My new address is 14 Carrow Road, Norwich NR1 1JE if anyone wants to send a card!"),
    ("10", "My bank details for the staff lottery: sort code 40-12-76 account 31926819"),
]

HARD_NEGATIVES = [
    "Well done to everyone in Year 3 for a fantastic week of learning!",
    "Our school address and phone number are on the contact page of the website.",
    "The head will share the new curriculum plan with parents at the open evening.",
    "Thank you to the coach drivers who got us home safely from the museum.",
    "The election for head boy and head girl is next Monday: good luck to all candidates.",
    "Online safety talk for parents: how to switch on adult content filters at home.",
    "Staff quiz night: the science department won again. Rematch in June!",
    "Reminder: never share your passwords, even with colleagues.",
    "Year 5 pretended to be Victorian servants for the day and loved it.",
    "Our equality and diversity week celebrated every culture in our school.",
]


@pytest.fixture(scope="module")
def detectors(packs: PackSet) -> list:
    return policy_detectors(packs=packs)


@pytest.fixture(scope="module")
def classifier(detectors: list) -> SectionClassifierDetector:
    (found,) = [d for d in detectors if isinstance(d, SectionClassifierDetector)]
    return found


def _review(detectors: list, text: str) -> list[Finding]:
    """What reaches a reviewer: medium+ after corroboration."""
    found = corroborate([f for d in detectors for f in d.detect(text, None)])
    return [f for f in found if f.severity.rank >= Severity.MEDIUM.rank]


@pytest.mark.parametrize(("section", "text"), POSITIVE)
def test_each_section_reaches_review(detectors: list, section: str, text: str) -> None:
    cited = {f.section for f in _review(detectors, text)}
    assert section in cited or (section == Section.SECURITY and Section.DATA_PROTECTION in cited)


@pytest.mark.parametrize("text", HARD_NEGATIVES)
def test_hard_negatives_open_nothing(detectors: list, text: str) -> None:
    assert _review(detectors, text) == []


@pytest.mark.parametrize(("section", "text"), POSITIVE)
def test_findings_explain_without_quoting_the_post(
    classifier: SectionClassifierDetector, section: str, text: str
) -> None:
    for f in classifier.detect(text, None):
        assert f.detector == DETECTOR_NAME and f.type == HEADS[Section(f.section)].type
        assert re.search(
            rf"Section {re.escape(f.section)} of the Social Media Policy", f.explanation
        )
        assert f"confidence {f.score:.0%}" in f.explanation
        template = explain(Section(f.section), f.score, ((0, 1), (2, 3)))
        post_words = set(re.findall(r"[a-z]{4,}", text.lower()))
        own_words = set(re.findall(r"[a-z]{4,}", template.lower()))
        quoted = set(re.findall(r"[a-z]{4,}", f.explanation.lower())) - own_words
        assert not quoted & post_words, quoted & post_words
        assert 0 <= f.start < f.end <= len(text)


# (post, the 10 head may still open an item): the school's own published details never do; a
# person's home, a login or a password beside the same words keep whatever the head says.
SCHOOL_CONTACT_ROWS = [
    ("Our school address is 12 Station Road, LE1 5AA; the office opens at 8am.", False),
    ("Our new address from September: Oakfield Academy, Mill Lane, York YO1 7HH.", False),
    ("Questions about admissions? Email office@oakfield.sch.uk or ring reception.", False),
    ("Mrs Patel lives at 14 Elm Grove, LE2 3BB, if anyone wants to drop her a card.", True),
    ("Office wifi password is Oakfield2024! Ring reception on 01632 960123 if it fails.", True),
]


@pytest.mark.parametrize(("text", "may_review"), SCHOOL_CONTACT_ROWS)
def test_the_schools_own_contact_details_stay_low(
    classifier: SectionClassifierDetector, text: str, may_review: bool
) -> None:
    tens = [f for f in classifier.detect(text, None) if f.section == Section.SECURITY]
    demoted = [f for f in tens if f.explanation == SCHOOL_CONTACT]
    if may_review:
        assert tens and not demoted, "a home address or a password is not the school's own"
        assert max(f.severity.rank for f in tens) >= Severity.MEDIUM.rank
    else:
        assert all(f.severity is Severity.LOW for f in tens)
        assert demoted == tens


def test_the_explanation_points_at_the_other_words_by_position() -> None:
    why = explain(Section.DEROGATORY, 0.87, ((4, 12), (0, 3), (20, 25)))
    assert "confidence 87%" in why and "characters 1-3, 21-25" in why


def test_severity_follows_each_heads_thresholds(classifier: SectionClassifierDetector) -> None:
    for section, limits in classifier.thresholds.items():
        assert 0 < limits["low"] <= limits["medium"] <= limits["high"] <= 1, section
    assert set(classifier.thresholds) == {s.value for s in HEADS}


def test_a_listed_supplier_raises_confidence_and_is_named(packs: PackSet) -> None:
    plain = SectionClassifierDetector(packs)
    text = "Avoid {} at all costs, the dinners were cold again and half the kids went hungry"
    unlisted = [f for f in plain.detect(text.format("Greenway Meals"), None) if f.section == "8.13"]
    listed = [f for f in plain.detect(text.format("Chartwells"), None) if f.section == "8.13"]
    assert unlisted and listed
    assert listed[0].score > unlisted[0].score
    assert "The trust lists Chartwells as one of its suppliers." in listed[0].explanation
    assert "Greenway" not in unlisted[0].explanation


def test_heads_refuse_an_encoder_they_were_not_trained_on(tmp_path: Path) -> None:
    class Other(SentenceEncoder):
        def __init__(self) -> None:
            self.name, self.sha256 = "other", "0" * 64

    with pytest.raises(ValueError, match="retrain them"):
        SectionClassifierDetector(load_packs(), encoder=Other())
    assert load_model().meta["encoder"]["sha256"] == load_encoder().sha256


def _f(detector: str, kind: str, section: str, severity: Severity) -> Finding:
    return Finding(kind, 0, 4, 0.6, section, severity, "Why.", detector)


@pytest.mark.parametrize(
    ("findings", "expected"),
    [
        # A cue-word finding with no support from its section's head is kept, at LOW.
        ([_f("policy:confidential:budget", "CONFIDENTIAL", "8.9", Severity.MEDIUM)], ["low"]),
        # Supported by the head (at any severity): kept as it is; the head's repeat is dropped.
        (
            [
                _f("policy:confidential:budget", "CONFIDENTIAL", "8.9", Severity.HIGH),
                _f(DETECTOR_NAME, "CONFIDENTIAL", "8.9", Severity.LOW),
            ],
            ["high"],
        ),
        # A head's reading kept at LOW as something its section allows supports nothing: the
        # cue words of a warning about a fake account are the warning's own.
        (
            [
                _f("policy:impersonation:fake_account", "IMPERSONATION", "8.16", Severity.MEDIUM),
                replace(
                    _f(DETECTOR_NAME, "IMPERSONATION", "8.16", Severity.LOW),
                    explanation=IMPERSONATION_WARNING,
                ),
            ],
            ["low", "low"],
        ),
        # A pupil discussed supports a pupil identified and back.
        (
            [
                _f("pupils", "PUPIL_IDENTIFIED", "8.4", Severity.HIGH),
                _f(DETECTOR_NAME, "PUPIL_DISCUSSED", "8.5", Severity.MEDIUM),
            ],
            ["high", "medium"],
        ),
        # Pupil findings, HIGH (a name the models read) or MEDIUM (capitalised words beside a
        # cue), need the head too: a name beside a year group is also everyday good news.
        ([_f("pupils", "PUPIL_IDENTIFIED", "8.4", Severity.HIGH)], ["low"]),
        # ... except a name beside its class or form ("Jayden in 4B"): that is a pupil.
        ([_f("pupils:class", "PUPIL_IDENTIFIED", "8.4", Severity.HIGH)], ["high"]),
        ([_f("pupils_discussed", "PUPIL_DISCUSSED", "8.5", Severity.MEDIUM)], ["low"]),
        # Trust lists, slurs and links are never held back.
        ([_f("policy:slurs", "DISCRIMINATORY", "8.15", Severity.HIGH)], ["high"]),
        ([_f("policy:suppliers", "SUPPLIER", "8.13", Severity.MEDIUM)], ["medium"]),
        ([_f("policy:pornographic", "PORNOGRAPHIC_LINK", "8.14", Severity.HIGH)], ["high"]),
        # The tweet-trained offensive head keeps its HIGH findings on its own.
        ([_f("policy:offensive-classifier", "OFFENSIVE", "8.15", Severity.HIGH)], ["high"]),
        ([_f("policy:offensive-classifier", "OFFENSIVE", "8.15", Severity.MEDIUM)], ["low"]),
        # Data protection (8.7) brings section 10 to review: the head's 10 is not repeated.
        (
            [
                _f("presidio", "PHONE_NUMBER", "8.7", Severity.MEDIUM),
                _f(DETECTOR_NAME, "PERSONAL_DETAILS", "10", Severity.HIGH),
            ],
            ["medium"],
        ),
    ],
)
def test_corroboration(findings: list[Finding], expected: list[str]) -> None:
    out = corroborate(findings)
    assert [str(f.severity) for f in out] == expected
    for before, after in zip(findings, out, strict=False):
        if after.severity is Severity.LOW and before.severity is not Severity.LOW:
            assert after.explanation.endswith(NOT_CORROBORATED)


@pytest.mark.parametrize(
    ("text", "lowered"),
    [
        ("Year 5 held a mock election for Parliament Week: the Recycling Party won!", True),
        ("School council hustings today, every class voted by secret ballot", True),
        ("Year 12 debated whether the 1945 Labour government was truly revolutionary", True),
        ("Our students ran a mock hustings and every party's candidate was invited.", True),
        ("Year 12 debated the cuts. Vote Labour and end this!", False),  # campaigns
        ("Our mock election was won by Labour, and so should the real one be. Vote Labour!", False),
        ("Mock election in 6B today. So should your parents vote Green? Ours did!", False),
        ("Join our march on Saturday against the cuts", False),  # no pupils' democracy at all
        ("Vote Maya for school council! Posters are up in the hall.", True),
        ("Our Y9s ran a mock election. I'm standing for the Greens in May, vote for change", False),
        ("Mock election pics below; I'm the Labour candidate for Basford ward this time", False),
    ],
)
def test_pupils_democracy_is_not_staff_politics(text: str, lowered: bool) -> None:
    assert _pupil_democracy(text) is lowered


@pytest.mark.parametrize(
    ("text", "lowered"),
    [
        ("Thank you to our kitchen team for a wonderful Christmas lunch!", True),
        ("Shout out to the site team for gritting the paths at 6am", True),
        ("Thanks to Brightside Catering for a wonderful Christmas lunch!", False),  # a business
        ("thanks @HarbourCoaches for getting us there", False),
        ("Thanks to the caterers for the best roast in the county, use them!", False),  # praise
        ("Thanks to the caterers for running out of hot dinners AGAIN", False),  # a complaint
        ("The caterers were brilliant today", False),  # no thanks to a team
    ],
)
def test_thanking_the_schools_own_teams_is_not_endorsing_a_business(
    text: str, lowered: bool
) -> None:
    assert _team_thanks(text) is lowered


@pytest.mark.parametrize(
    ("text", "lowered"),
    [
        ("happy birthday Jean!! 🎂🎉 have a lovely day hun x", True),
        ("Happy birthday Jackie! Cake in the kitchen at 3, don't tell her how old she is", True),
        ("Happy birthday Ellie in Year 2! Have a lovely day hun x", False),  # a child cue
        ("Happy birthday Ellie! Have a lovely day", False),  # nothing says adult
        ("Drinks at the pub on Friday for the end of term", False),  # no birthday
        # a colleague's news told with their consent
        ("Mr Hussain ran the London Marathon! (Shared with his permission.)", True),
        ("Shared with her permission: Ella in Year 2 got her swimming badge", False),  # no adult
        # ... or passed on at the colleague's own request, with no word of a child or family
        ("Sue's asked me to tell everyone she's back on Monday 🎉", True),
        ("Jo's passed her NPQH! She said I could brag so I'm bragging", True),
        ("Kai's mum asked me to tell you he's in hospital again", False),  # a family
        ("Lily in 3B said we can share: she's got a puppy!", False),  # a child cue
    ],
)
def test_a_colleagues_birthday_or_news_is_not_a_pupil(text: str, lowered: bool) -> None:
    assert _colleague_news(text) is lowered


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("Our new Head Boy for 2026/27", ["2026/27"]),
        ("Fixtures for the 2025-26 season", ["2025-26"]),
        ("Term dates 2026/2027 and 2026 – 27", ["2026/2027", "2026 – 27"]),
        ("Born 1999/00? No: the 1999/00 cohort", ["1999/00", "1999/00"]),
        ("Trip on 2026-09-14", []),  # an ISO date: 09 does not follow 2026
        ("2026/28 and 2026/26", []),
    ],
)
def test_school_years_are_found_by_their_following_year(text: str, years: list[str]) -> None:
    assert [text[a:b] for a, b in school_years(text)] == years


FULL = "Thanks to all who came to the cake sale, we raised £300 for the Year 6 trip! Top baker: Mo"
COPY = "RT @FriendsOfOak: Thanks to all who came to the cake sale, we raised £300 for the Ye…"


@pytest.mark.parametrize(
    ("text", "blanked"),
    [
        (f"{COPY}\n\n{FULL}", [COPY]),  # X's retweet: a truncated copy and the whole text
        (f"{COPY}\n\nSomething else entirely", []),  # the whole text is not in the post
        ("RT @FriendsOfOak: a short one…\n\na short one, whole", []),  # too short to tell
        (f"Look at this! {COPY}\n\n{FULL}", []),  # not a retweet's own text
    ],
)
def test_a_retweets_truncated_copy_is_read_once(text: str, blanked: list[str]) -> None:
    assert [text[a:b] for a, b in retweet_copies(text)] == blanked


@pytest.mark.parametrize(
    ("text", "marks"),
    [
        ("**What is sextortion?**\nIt is when", ["**", "**"]),  # a Markdown heading in bold
        ("what a student *thought* about it", ["*", "*"]),  # italics
        ("**One** and **two**", ["**", "**", "**", "**"]),
        ("what a f***ing s**t day", []),  # masked swearing: stars inside words
        ("you absolute c*** and a ***", []),
        ("** not bold **", []),  # marks must close on the words
    ],
)
def test_markdown_emphasis_marks_are_found_and_masked_swearing_is_not(
    text: str, marks: list[str]
) -> None:
    assert [text[a:b] for a, b in emphasis_marks(text)] == marks


def test_a_bold_heading_is_no_masked_swear_word(stack: DetectorStack) -> None:
    """Round 27: "**" read as masked swearing made a parents' explainer offensive (8.15)."""
    text = (
        "Online safety update for families.\n\n**What is sextortion?**\nIt is when someone "
        "threatens to share images unless they are paid. **What to do:** stop, do not pay, and "
        "talk to us or the police."
    )
    review = [f for f in stack.detect(text) if f.severity.rank >= Severity.MEDIUM.rank]
    assert Section.EQUALITY.value not in {f.section for f in review}


def test_a_school_year_beside_a_name_is_no_date_of_birth(stack: DetectorStack) -> None:
    """The heads read the post with its school year blanked out: the pupil reaches review,
    not a date of birth."""
    text = "Introducing our new Head Boy for 2026/27 – Tobias Wright!"
    review = [f for f in stack.detect(text) if f.severity.rank >= Severity.MEDIUM.rank]
    assert Section.SECURITY.value not in {f.section for f in review}
    assert any(
        f.type == "PUPIL_IDENTIFIED" and text[f.start : f.end] == "Tobias Wright" for f in review
    )


@pytest.mark.parametrize(
    ("text", "warning"),
    [
        ("A fake profile is pretending to be Mrs Dunmore. It is NOT her. Do not accept.", True),
        ("Somebody's made an account wi my photo. It's no me. If it DMs ye, ignore it.", True),
        ("That page isn't us!! We only post on this one.", False),  # "that page": not the form
        ("This is not our account.", True),
        ("We've reported the profile to Instagram.", True),
        ("Honestly it is not me who keeps taking the milk", False),
        ("that's not her usual self, is she ok?", False),
    ],
)
def test_a_fake_account_warning_is_read_as_one(text: str, warning: bool) -> None:
    from detectors.policy.sections import _impersonation_warning

    assert _impersonation_warning(text) is warning


# A long post (a Friday newsletter, written for this test) read whole drowns its one breaching
# sentence; read by passage, the sentence reaches review and the rest of the post opens nothing.
NEWSLETTER = (
    "Friday round-up from Hollin Bank Primary\n\n"
    "What a week it has been! Year 3 finished their Stone Age topic with a cave-painting "
    "afternoon, and the hall still smells faintly of charcoal. Thank you to everyone who came to "
    "the harvest assembly: the tins and packets have gone to the town food bank this morning.\n\n"
    "Dates for your diary: flu sprays for Reception to Year 6 are on Tuesday 14th, the Year 5 "
    "trip to the museum is on Thursday 23rd (packed lunch, warm coat), and parents' evening "
    "bookings open on Monday through the usual app.\n\n"
    "Our after-school clubs restart next week. Football is on Mondays, choir on Wednesdays and "
    "the gardening club on Fridays, weather permitting. Please make sure your child has a named "
    "water bottle, because lost property is overflowing again.\n\n"
    "The car park gates will be locked from 8.50 each morning while the resurfacing work goes on, "
    "so please use the side gate on Church Lane. The work should be finished by half term.\n\n"
    "Finally, a huge thank you to the Friends of Hollin Bank for the new reading books in the "
    "library, and to all the grandparents who came to share stories with Year 1. Have a lovely "
    "weekend, and see you all on Monday."
)
BURIED = (
    "Between ourselves, the head is leaving at Easter and the governors are merging us with "
    "Fellside, but nothing is announced yet."
)


def test_a_breach_buried_in_a_long_post_is_read_by_passage(
    detectors: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    paragraphs = NEWSLETTER.split("\n\n")
    text = "\n\n".join([*paragraphs[:3], BURIED, *paragraphs[3:]])
    assert _review(detectors, NEWSLETTER) == []
    found = [f for f in _review(detectors, text) if f.section == Section.CONFIDENTIAL]
    assert found and found[0].detector == DETECTOR_NAME
    start = text.index(BURIED)
    assert start <= found[0].start < found[0].end <= start + len(BURIED)  # post coordinates
    monkeypatch.setattr("detectors.features.LONG_POST_CHARS", 10**9)  # read whole only
    assert Section.CONFIDENTIAL not in {f.section for f in _review(detectors, text)}


def test_a_long_posts_whole_reading_is_discounted(
    classifier: SectionClassifierDetector, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read whole, a long post's score is moved down by WHOLE_DISCOUNT (log-odds); a short
    post's is not."""
    text = " ".join([BURIED] * 6)  # over 600 characters: a long post
    monkeypatch.setattr("detectors.policy.sections.PASSAGE_DISCOUNT", 50.0)  # no passage wins
    monkeypatch.setattr("detectors.policy.sections.WHOLE_DISCOUNT", 0.0)
    full = {f.section: f.score for f in classifier.detect(text, None)}
    short = {f.section: f.score for f in classifier.detect(BURIED, None)}
    monkeypatch.setattr("detectors.policy.sections.WHOLE_DISCOUNT", 1.0)
    got = {f.section: f.score for f in classifier.detect(text, None)}
    assert got and set(got) <= set(full)
    for section, p in got.items():
        assert p == pytest.approx(_moved(full[section], -1.0), abs=1e-3)
    assert {f.section: f.score for f in classifier.detect(BURIED, None)} == short
