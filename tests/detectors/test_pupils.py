"""Sections 8.4 and 8.5 on social text: who is a pupil, who is an adult, what is discussed."""

from __future__ import annotations

import pytest

from core.findings import Finding, Severity
from detectors.cues import cues
from detectors.knowledge import AccountKnowledge
from detectors.pupil_identification import PupilIdentificationDetector
from detectors.stack import DetectorStack

OURS = {"presidio", "pupils", "pupils:class", "pupils_discussed"}


def _found(stack: DetectorStack, text: str) -> set[tuple[str, str]]:
    return {(f.type, text[f.start : f.end]) for f in stack.detect(text) if f.detector in OURS}


def _types(findings: list[Finding]) -> set[str]:
    return {f.type for f in findings if f.detector in OURS}


# --- social text: handles, hashtags and URLs are never people; case does not hide a name ------

NO_PEOPLE = [
    "Well done @MrsJones_Y2 and @OakfieldPrimary! #WalkToSchool #TeamOakfield https://t.co/Qm3kT",
    "RT @StMarysPTA: Huge thanks to @BoltonCouncil for the new #ReadingCorner",
    "Photos from today: www.oakfield.example/gallery #SportsDay @OakfieldPE",
    "Year 5 loved their trip to the Science Museum today! #OakfieldLearns",
]


@pytest.mark.parametrize("text", NO_PEOPLE)
def test_handles_hashtags_and_urls_are_not_people(stack: DetectorStack, text: str) -> None:
    assert "PERSON" not in _types(stack.detect(text))


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("well done lily thompson and oliver bennett in year 2", "oliver bennett"),
        ("huge congrats to jack robinson for his reading award", "jack robinson"),
        ("WELL DONE OLIVER BENNETT IN YEAR 2 FOR WINNING THE SPELLING BEE", "OLIVER BENNETT"),
        ("Happy 9th birthday to Lily-Mae Thompson in Year 4!", "Lily-Mae Thompson"),
    ],
)
def test_names_in_lower_case_capitals_and_hyphens_are_found(
    stack: DetectorStack, text: str, name: str
) -> None:
    assert ("PERSON", name) in _found(stack, text)


# --- 8.4: a child named beside a child cue --------------------------------------------------

IDENTIFIED = [
    ("Happy 9th birthday to Lily-Mae Thompson in Year 4!", "Lily-Mae Thompson"),
    ("Congratulations Ella-Rose (4H) on your gold certificate!", "Ella-Rose"),
    ("Star of the week goes to Freddie for always helping others.", "Freddie"),
    ("Amelia W. in Year 2 won the spelling bee today!", "Amelia W."),
    # round 30: Northern Ireland's secondary years
    ("Well done Ciara Mullan in 3rd year on her county call-up!", "Ciara Mullan"),
    # round 33: a prize list; a parent's child named to them
    (
        "Congratulations to all our Prize Giving winners! 🏅 Dux: Rachel Ogston. Mathematics "
        "Prize: Adam Wilson. Photos of each winner with their certificate are in the album "
        "below 📸",
        "Adam Wilson",
    ),
    (
        "Mrs Dunmore, since you've decided to do this in the parents' group rather than email "
        "me: with respect, your Toby is not 'gifted and bored'. He is bright and lazy, and he "
        "hasn't handed in homework since September.",
        "Toby",
    ),
    # round 29: a named child's parent seen at the school gate
    (
        "Did anyone clock Ruby Ashworth's dad at pick-up, same trackie as last week 🙄",
        "Ruby Ashworth",
    ),
    # round 29: a child's age beside a birthday outweighs a cake "in the kitchen"
    (
        "Happy 14th birthday to our Kaiden-James Boyd 🎂 Pictured with his cake in the kitchen!",
        "Kaiden-James Boyd",
    ),
    # round 27: a child's age told right after the name
    ("His name is Oscar Whitby, he's four and three-quarters, and loves tractors.", "Oscar Whitby"),
    ("Head girl Kira Patel (Year 13) showed parents round.", "Kira Patel"),  # a pupil's role
    ("Player of the match: Ethan Walsh, Year 6, who scored a hat-trick!", "Ethan Walsh"),
    ("Oliver will be played by Harry Finch (Year 5, age 10).", "Harry Finch"),
    ("Our netball captain Isla Brown scored 12 goals!", "Isla Brown"),
    ("Noah Green, aged 7, won the colouring competition.", "Noah Green"),
    ("Jayden in 4B has been chosen for the choir.", "Jayden"),
    ("Congratulations to Amy Lee in class 4B!", "Amy Lee"),
    ("Harvey Cole, form 10r, ran the quiz.", "Harvey Cole"),
    # adult words do not excuse a birthday with another child cue
    ("Happy 7th birthday to Ellie in Year 2, have a lovely day hun x", "Ellie"),
    # a former pupil near one name leaves the other names of the sentence to be read
    ("Former pupil Amy Lee came back to watch Year 6's Lily Smith win the final.", "Lily Smith"),
    ("well done lily thompson and oliver bennett in year 2", "lily thompson"),  # listed together
    # secondary forms, a photo caption, "a boy called", a cue split from the name by a dash
    ("Callum Price in 10C has made the county squad.", "Callum Price"),
    ("Year 1 at the pumpkin patch 🎃 Pictured: Ava R. with the biggest one", "Ava R."),
    ("Lovely story from 3T today: a boy called Reuben taught us Makaton signs.", "Reuben"),
    ("Introducing our new Head Boy for 2026/27 – Tobias Wright!", "Tobias Wright"),
    # doing well is a pupil's news, not a colleague's rota
    ("Freya's doing brilliantly in Year 2, so proud of her reading!", "Freya"),
    # a parent named "of" a child: the name after "of" is the child's
    ("Dear Mrs Khan, mother of Zain in 8T: his PE kit is still in my room.", "Zain"),
    ("Mum of Poppy in Year 3 here, thanks for the lovely trip!", "Poppy"),
    # a form code right after the name
    ("⭐ Reader of the Month ⭐ Idris Mahmood, 7K – 40 books since September!", "Idris Mahmood"),
    ("Note: Corey Blunt 10R is not to go on the trip.", "Corey Blunt"),
    # a teacher's own pupil, named
    ("One of my Year 2s, Leo, read his whole book to the class today!", "Leo"),
]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Well done to Ava Clarke in 5T for her science poster.", "Ava Clarke"),
        ("Star reader: Idris Mahmood, 7K.", "Idris Mahmood"),
        # named as someone's pupil
        ("Jan, as Tilly's class teacher I can tell you she was nowhere near it.", "Tilly"),
        # the writer's own class; a primary class named for an animal
        ("Alfie Brennan in my class has had a rough week, bless him.", "Alfie Brennan"),
        ("Here's Mason Tully from Badger class dressed as the Gruffalo!", "Mason Tully"),
        # a lower or upper sixth or fifth form in brackets
        ("Well done to Priya Nair (U6) on her Oxford offer!", "Priya Nair"),
        # round 32: a year group right after the name and its comma
        (
            "Student Voice: 'Why I chose a degree apprenticeship' – by Rhys Pemberton, Year 13.",
            "Rhys Pemberton",
        ),
        # round 37: "10K" is a form only when a dash, comma or bracket follows it
        ("Aisha Bashir 10K – mum rang this morning, she's off with a temperature.", "Aisha Bashir"),
    ],
)
def test_a_name_beside_its_class_stands_without_the_heads(
    stack: DetectorStack, text: str, name: str
) -> None:
    """A class code beside a name is a pupil: the finding is not held back for the heads."""
    hits = [f for f in stack.detect(text) if f.detector == "pupils:class"]
    assert [text[f.start : f.end] for f in hits] == [name]
    assert all(f.severity is Severity.HIGH for f in hits)


def test_two_names_and_both_their_form_are_both_pupils(stack: DetectorStack) -> None:
    """Round 38: "Harriet Cole and Tom Mwangi (both 9H)" names two children of one form."""
    text = "Well done Harriet Cole and Tom Mwangi (both 9H) for explaining the Beaufort scale!"
    hits = [f for f in stack.detect(text) if f.detector == "pupils:class"]
    assert [text[f.start : f.end] for f in hits] == ["Harriet Cole", "Tom Mwangi"]


def test_a_race_after_a_place_is_no_form() -> None:
    """Round 37: "the Lincoln 10K" is a run; read as a form it made the town a child, and every
    later "Lincoln" in a head's charity-run blog a pupil."""
    text = (
        "Right. I've done it. I've signed up for the Lincoln 10K... no, wait, I've signed up for "
        "the HALF MARATHON. A man whose idea of cardio was running for the 7.42 to Lincoln."
    )
    forms = [c for c in cues().child_cues if c.kind == "class" and c.side == "before"]
    assert forms, "the cue list has a form code after a name"
    assert [m.group() for c in forms for m in c.pattern.finditer(text)] == []


@pytest.mark.parametrize(("text", "name"), IDENTIFIED)
def test_child_named_beside_a_child_cue_is_high(stack: DetectorStack, text: str, name: str) -> None:
    hits = [
        f
        for f in stack.detect(text)
        if f.type == "PUPIL_IDENTIFIED" and f.detector in {"pupils", "pupils:class"}
    ]
    assert name in {text[f.start : f.end] for f in hits}
    assert all(f.severity is Severity.HIGH and f.section == "8.4" for f in hits)
    assert all(text[f.start : f.end] not in f.explanation for f in hits)


def test_every_mention_of_an_identified_child_is_flagged(stack: DetectorStack) -> None:
    text = "Happy 9th birthday to Lily-Mae Thompson in Year 4! Have the best day, Lily-Mae!"
    found = stack.detect(text)
    spans = {
        text[f.start : f.end]
        for f in found
        if f.type == "PUPIL_IDENTIFIED" and f.detector in {"pupils", "pupils:class"}
    }
    assert spans == {"Lily-Mae Thompson", "Lily-Mae"}


NOT_A_PUPIL = [
    # round 32: a member of staff's year group after their name is the year they teach
    "Welcome to our new teachers! Sarah Bell, Year 6 teacher, joins us from Leeds.",
    # round 31: a colleague's new baby, named with its weight
    "Jo asked me to share: she's had her baby girl! Poppy, 6lb 9oz, born last night 💗",
    # round 30: a religion taught, read as a name; a year of an apprenticeship
    "Teaching Hinduism to Year 7 today, one of them brought in a diya she made at home.",
    "Our new caretaker Gary is now in 2nd year of his apprenticeship, well done Gary!",
    # round 29: a year group's good deed told as "our Year 6 who"
    "So proud of our Year 6 who did the river litter pick today 💚 Whole class, three hours, 27 "
    "bags. The river bank looks lovely again!",
    # round 29: a colleague's parent, not at the school gate
    "Helen Ward's mum passed away at the weekend, there's a card in the staffroom to sign.",
    # round 29: a colleague's birthday with cake in the kitchen and no child's age
    "Happy birthday Maureen Platt! Cake in the kitchen at break, don't tell her how old she is",
    # round 27: an award, a staff role and a cup beside a year group; a colleague's age in time
    "Well done to all our Year 10 Duke of Edinburgh Bronze group on their practice expedition!",
    "Mr Ahmed has stepped up as interim Progress Leader and is learning what Year 12 are like.",
    "We beat Thornhope 2-1 in the final of the Sunderland Schools Year 7 Cup last night!",
    "Mrs Kaur says she's ten minutes away, start the Year 4 meeting without her.",
    # a role the models read as a name by itself; "Every" is no name
    "Every Year 7 sits a standardised reading test in the first three weeks of term.",
    "The judges (Matron, the Sixth Form prefects and the House dog) gave it a 9.",
    "We're delighted to welcome Mrs Patel, our new SENCo, to the Oakfield team!",
    "Please welcome Mr Adebayo, our new Head of Science, who joins us from Leeds.",
    "Helen Marsh, our headteacher, visited Year 3 today.",
    "Thanks to parent rep Karen Doyle for organising the Year 4 disco.",
    "Thank you to author Jo Smith for talking to Year 6 about her books.",
    "Year 5 loved their trip to the Science Museum – the Wonderlab was a huge hit!",
    "Open Evening for Year 6 families is tonight, 6–8pm.",
    "Auditions for our spring production of Oliver! are now open to Years 4–6.",
    "Oakfield Primary School is proud of Year 6.",
    "Sports Day 2027 date announced: Friday 25th June. Save the date!",
    # capitalised words beside a year group that no name model reads as a name
    "Votes at 16? Y12 Politics held a debate today and the class split 11-10.",
    "Any Y1 teachers got a good game for 'ai' and 'ay'? Mine are bored of my flashcards.",
    "Thank you to Rabbi Levi for visiting Year 4 and showing us how to play dreidel.",
    # a school subject after a year group is not a child
    "Dissection day in Year 10 Biology: everyone can now name all four chambers.",
    # former pupils are adults now, whatever year group they talk to
    "Former student and Olympic medallist Tariq Hussain (class of 2012) talked to Year 13 today.",
    "Our alumna Dr Nkechi Obi spoke to Year 11 about medicine.",
    # "class of" is not a class called "of"
    "Amy Lee, class of 2019, is back to run the Year 9 careers fair.",
    # a birthday greeting between adults: the birthday is the only child cue
    "happy birthday Jean!! 🎂🎉 have a lovely day hun x",
    "Happy birthday Jackie! 🎂 Cake in the kitchen at 3, don't tell her how old she is 🤫",
    "Happy birthday Lorraine!! 🎂 cake in the science kitchen from 3, hide it from the lads",
    "Happy birthday Denise!! 🎂 cake in the office from 2, she's 30 again apparently",
    # a dash carries a cue into the next sentence, but an adult named there is still an adult
    "Introducing our new Head of Year 9 – Mrs Joanne Reid!",
    "Pictured: Mr Okafor and our site manager Dave Evans with the new minibus.",
    # a colleague's working day in staff chat: the year group is the class they teach
    "Sasha's doing the Y9 catch-up group on Thursdays from next week.",
    "Owen's at the first aid training all day so Beth is covering his Year 4 class.",
    "Marie's got annual reviews Weds and Thurs, no meetings with her please.",
    # screens and networks, not forms
    "The film club watched it in 3D and the trailer in 4K!",
    # a promotion to Head of Year; a colleague's news shared with her consent
    "Congrats Priya on Head of Year 12!! Announced in briefing this morning so we can shout",
    "We're delighted to share that Mrs Nowak (Maths) is expecting her second baby in the spring! "
    "Shared with her blessing. Congratulations Ania!",
    "Sue's asked me to tell everyone she's out of hospital and back on Monday. Cards not flowers!",
    "Big news: Gareth says we can announce he's passed his forest school level 3 🌲",
    # a colleague "from work"; a phone that died; a sister's new job
    "Mo from work is doing the Great North Run for the hospice that cared for his mum 💙",
    "Posting for Bev as her phone's died – she's stuck in traffic, can someone open up Y2?",
    "So proud of my big brother, qualified as a social worker today! Well done Tom 🎓",
    "Sarah from Zumba class lent me her book, what a star.",
    # a pronoun beside a year group is no name; a hospice "looked after" someone's mum
    "My Year 8 tutor group are convinced I live in the school. I do not.",
    "Sharing for Nisha: she's walking 20 miles for the ward that looked after her mum 💜",
]


@pytest.mark.parametrize("text", NOT_A_PUPIL)
def test_adults_and_group_news_do_not_open_review_items(stack: DetectorStack, text: str) -> None:
    ours = [f for f in stack.detect(text) if f.detector in OURS]
    assert [f for f in ours if f.severity.rank >= Severity.MEDIUM.rank] == []


def test_a_pupils_street_is_their_home(stack: DetectorStack) -> None:
    text = (
        "Well done to Oliver Bennett in Year 2, who walks to school every day from his house on "
        "Ashdown Crescent!"
    )
    assert ("PUPIL_HOME", "Ashdown Crescent") in _found(stack, text)
    assert ("PUPIL_HOME", "Ashdown Crescent") not in _found(
        stack, "The new crossing on Ashdown Crescent opens on Monday."
    )


# --- one child singled out without a name "could in any way be linked to a pupil" (8.4) --------

DESCRIBED = [
    # round 35: a family's children by their surname
    ("Nits again 🙄 we all know it'll be the Slee kids, it always is.", "the Slee kids"),
    # round 33: a Scots word for a girl
    (
        "the S6 quine in 6R wi the eating disorder is back on a reduced timetable",
        "the S6 quine in 6R",
    ),
    # round 32: a family by its surname and its street
    (
        "Fourth referral this term. The Pollards up Ridge Road shouldn't be allowed kids.",
        "The Pollards up Ridge Road",
    ),
    # round 27: a Northern Irish or Scottish primary year
    ("FYI the P7 boy with the stammer is getting speech therapy on Tuesdays", "the P7 boy"),
    (
        "the little one in Reception with the egg allergy had another reaction",
        "the little one in Reception",
    ),
    ("Don't mention the Y10 girl who's pregnant to anyone else", "the Y10 girl"),
    ("The Syrian brothers in Y7 were fighting again at lunch", "The Syrian brothers in Y7"),
    ("Apparently the new lad starting in Class 3 is Polish", "the new lad starting in Class 3"),
    ("Y5 girl who sits by the window is cutting again", "Y5 girl who"),
    ("EHCP meeting for the Nicholson boy moved to Thurs 2pm", "the Nicholson boy"),
    (
        "It belongs to our littlest Reception girl who lives out at Stangend",
        "our littlest Reception girl",
    ),
    ("That kid whose mum runs the Greyhound was in the office again", "That kid whose"),
    ("Just had the lad in 11 with the broken arm in the access room", "the lad in 11 with"),
    ("The new Y7 with the hearing aids keeps turning up in the IT office", "The new Y7 with"),
    ("Keep an eye on the youngest in Reception, same clothes 3 days", "the youngest in Reception"),
    ("we had one in 6H who was a girl on Monday and a boy by Friday", "one in 6H who"),
    ("Half of Y3 screaming and the lad with ADHD climbed the fence", "the lad with ADHD"),
    ("Lad from the top farm at Hindhope must be back on his tablets", "Lad from the top farm"),
    ("We can confirm the pupil concerned has been excluded for five days.", "the pupil concerned"),
    (
        "Mrs Dobson, perhaps if your son was in school more he would not be behind.",
        "Mrs Dobson, perhaps if your son",
    ),
    # boarding and independent schools' forms; a new family in a year group
    ("Keep an eye on the U5 girl in Carew, she's not eating", "the U5 girl"),
    (
        "the Lower Sixth former with the broken wrist is on light duties",
        "the Lower Sixth former with",
    ),
    ("that new Polish family in Year 4 have no PE kit again", "that new Polish family in Year 4"),
    # a parent named, their child a sentence or two later
    (
        "With respect Mrs Doyle, that is not what happened. Your son hit a member of staff.",
        "Mrs Doyle, that is not what happened. Your son",
    ),
]


@pytest.mark.parametrize(("text", "span"), DESCRIBED)
def test_a_child_singled_out_without_a_name_is_described(
    stack: DetectorStack, text: str, span: str
) -> None:
    found = [f for f in stack.detect(text) if f.type == "PUPIL_DESCRIBED"]
    assert [text[f.start : f.end] for f in found] == [span]
    assert found[0].section == "8.4"


NOT_DESCRIBED = [
    # round 27: a member of staff as "your child's key person" is no parent addressed
    "We know lots of you will be wondering this, especially if Miss Dunn is your child's key "
    "person. Here's the plan:",
    "Well done to the Y10 girls who won the county netball final!",
    "FYI a Y10 girl has been referred, DSL aware.",
    "Year 6 were brilliant on the residential.",
    "The Year 6 boys' football team play on Saturday.",
    "Every child in Reception gets a free book this week.",
    "Well done to the girl with the loudest cheer on sports day!",
    "Your child will need a named coat for the trip.",
]


@pytest.mark.parametrize("text", NOT_DESCRIBED)
def test_groups_and_an_indefinite_child_are_not_described(stack: DetectorStack, text: str) -> None:
    assert "PUPIL_DESCRIBED" not in {f.type for f in stack.detect(text)}


def test_a_described_childs_new_address_is_their_home(stack: DetectorStack) -> None:
    text = (
        "The Tigrinya twins in Y7 – their address on SIMS is wrong, they've moved to 14 Melbourne "
        "Rd flat 2. Can someone tell the office?"
    )
    assert ("PUPIL_HOME", "Melbourne Rd") in _found(stack, text)


def test_an_age_in_brackets_after_a_name_is_a_child_cue(stack: DetectorStack) -> None:
    text = "Things EAL kids say: today Matas (6) told me his dad works nights"
    found = [f for f in stack.detect(text) if f.type == "PUPIL_IDENTIFIED"]
    assert [text[f.start : f.end] for f in found] == ["Matas"]
    assert found[0].severity.rank >= Severity.MEDIUM.rank
    room = [f for f in stack.detect("Room (6) is the library.") if f.type == "PUPIL_IDENTIFIED"]
    assert all(f.severity is Severity.LOW for f in room)


def test_a_pupil_number_is_high(stack: DetectorStack) -> None:
    text = "Lost: a reading record, UPN W301001234567, please return it"
    (found,) = [f for f in stack.detect(text) if f.type == "UK_UPN"]
    assert found.severity is Severity.HIGH and found.section == "8.4"


# --- 8.4 with what the school knows: staff, roster, handles -----------------------------------


def _knowledge(**kw: object) -> AccountKnowledge:
    return AccountKnowledge(key=b"k" * 32, **kw)  # type: ignore[arg-type]


def test_staff_names_are_adults_even_beside_a_year_group(stack: DetectorStack) -> None:
    text = "Helen Marsh in Year 3 today, reading with the class."
    plain = stack.detect_many([text])[0]
    assert "PUPIL_IDENTIFIED" in _types(plain)
    known = DetectorStack(
        stack.nlp_engine,
        stack.detectors,
        knowledge=lambda ctxs: dict.fromkeys(
            ctxs, _knowledge(staff_names=frozenset({"helen marsh"}))
        ),
    )
    from detectors.knowledge import DetectionContext

    (with_staff,) = known.detect_many([text], [DetectionContext(account_id=1)])
    assert "PUPIL_IDENTIFIED" not in _types(with_staff)


ROSTER_CSV = """UPN,Legal Surname,Legal Forename,Preferred Forename,Year,Reg Group,X Handle
W301001234567,Thompson,Lily-Mae,,4,4T,@lilymae_t
Z80912345678B,Bennett,Oliver,Olly,2,2B,
"""
KEY = b"a-test-roster-key-of-32-bytes!!!"


@pytest.fixture(scope="module")
def roster_knowledge() -> AccountKnowledge:
    from detectors.roster import read_roster

    parsed = read_roster(ROSTER_CSV.encode(), KEY)
    roster = {kind: frozenset(v) for kind, v in parsed.digests.items()}
    return AccountKnowledge(key=KEY, roster=roster, staff_names=frozenset({"helen marsh"}))


def _with(stack: DetectorStack, knowledge: AccountKnowledge) -> DetectorStack:
    return DetectorStack(
        stack.nlp_engine,
        stack.detectors,
        knowledge=lambda c: dict.fromkeys(c, knowledge),
        encoder=stack.encoder,
        name_tagger=stack.name_tagger,
    )


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("lovely reading from lily-mae thompson today", "lily-mae thompson"),
        ("Well done Olly Bennett!", "Olly Bennett"),  # a nickname of the legal forename
        ("Great work by Oliver B. this week", "Oliver B."),  # first name + initial
        ("LILY MAE THOMPSON WON", "LILY MAE THOMPSON"),
    ],
)
def test_roster_names_are_pupils_without_any_cue(
    stack: DetectorStack, roster_knowledge: AccountKnowledge, text: str, span: str
) -> None:
    from detectors.knowledge import DetectionContext

    (found,) = _with(stack, roster_knowledge).detect_many([text], [DetectionContext(1)])
    hits = {text[f.start : f.end] for f in found if f.type == "PUPIL_NAME"}
    assert hits == {span}
    # The roster adds PUPIL_NAME only (the classifier's own 8.4 reading then goes unrepeated).
    (plain,) = stack.detect_many([text])
    assert [f for f in plain if f.detector != "classifier:sections"] == [
        f for f in found if f.type != "PUPIL_NAME" and f.detector != "classifier:sections"
    ]


@pytest.mark.parametrize(
    "text",
    ["Lily-Mae Smith read a poem", "Thompson Construction sponsors our kit", "Oliver Twist!"],
)
def test_other_names_are_not_roster_matches(
    stack: DetectorStack, roster_knowledge: AccountKnowledge, text: str
) -> None:
    from detectors.knowledge import DetectionContext

    (found,) = _with(stack, roster_knowledge).detect_many([text], [DetectionContext(1)])
    assert "PUPIL_NAME" not in _types(found)


def test_a_known_pupil_handle_is_high(
    stack: DetectorStack, roster_knowledge: AccountKnowledge
) -> None:
    from detectors.knowledge import DetectionContext

    text = "Great goal from @LilyMae_T today! Thanks @OakfieldPTA"
    (found,) = _with(stack, roster_knowledge).detect_many([text], [DetectionContext(1)])
    hits = [(f.type, text[f.start : f.end], f.severity) for f in found if f.type == "PUPIL_HANDLE"]
    assert hits == [("PUPIL_HANDLE", "@LilyMae_T", Severity.HIGH)]


# --- 8.5: a specific pupil discussed -----------------------------------------------------------

DISCUSSED = [
    ("Jayden in 4B has been struggling with his behaviour since his dad left.", Severity.HIGH),
    ("Sam in 5W has ADHD and needs extra support on the trip.", Severity.HIGH),
    ("Mia's mum and dad have split up so please be kind to her this week.", Severity.HIGH),
    ("A Year 3 boy was sent home today after biting another child.", Severity.MEDIUM),
    ("One of our Year 4 girls has been diagnosed with epilepsy, please be aware.", Severity.MEDIUM),
    ("This child has been referred to social services again.", Severity.MEDIUM),
    ("Zac in 3P is off with chickenpox, so no swimming for him this week.", Severity.HIGH),
    # round 33: a named child's outburst; a named child's hearing impairment
    ("Kian kicked off in the arithmetic paper and lobbed his ruler at the wall", Severity.HIGH),
    ("Congrats to Hana, the first pupil with a hearing impairment to win it!", Severity.HIGH),
    # round 37: a child's Tourette's
    (
        "Does anyone know if the Year 10 with Tourette's is OK to go to the open day? Last time "
        "he shouted out across reception 😬",
        Severity.HIGH,
    ),
    # round 32: a parent's own child
    (
        "Replied to the dad moaning about his son's exclusion as if I was the Head",
        Severity.MEDIUM,
    ),
]


@pytest.mark.parametrize(("text", "severity"), DISCUSSED)
def test_a_specific_pupil_discussed(stack: DetectorStack, text: str, severity: Severity) -> None:
    found = stack.detect(text)
    hits = [f for f in found if f.type == "PUPIL_DISCUSSED" and f.detector == "pupils_discussed"]
    assert [(f.section, f.severity) for f in hits] == [("8.5", severity)]
    assert text[hits[0].start : hits[0].end] not in hits[0].explanation


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Kian kicked off in the arithmetic paper and lobbed his ruler at the wall", "Kian"),
        ("Mia's mum and dad have split up so please be kind to her this week.", "Mia"),
    ],
)
def test_a_named_child_discussed_is_also_identified(
    stack: DetectorStack, text: str, name: str
) -> None:
    """Round 33: the name beside what must not be said about a child identifies them (8.4);
    the finding is held back or kept with the 8.5 one (either head supports both)."""
    found = stack.detect(text)
    ids = [f for f in found if f.type == "PUPIL_IDENTIFIED" and f.detector == "pupils_discussed"]
    assert [(text[f.start : f.end], f.section) for f in ids] == [(name, "8.4")]
    discussed = [
        f for f in found if f.type == "PUPIL_DISCUSSED" and f.detector == "pupils_discussed"
    ]
    assert [f.severity for f in ids] == [f.severity for f in discussed]


NOT_DISCUSSED = [
    "Our Year 6 pupils learnt about healthy eating and allergies this week.",
    "Anti-bullying week starts Monday: Year 5 made posters.",
    "The police visited Year 2 to talk about road safety.",
    "Flu vaccinations for Reception to Year 6 take place this Thursday.",
    "Please welcome Mrs Patel, our new SENCo, who will support pupils with SEND.",
    "Year 11 mock exams begin on Monday. Good luck everyone!",
    # an outbreak is no child's health
    "Our Lily's nursery has chickenpox going round, so I may be off tomorrow.",
    # a colleague's news passed on at her request
    "Sad news. Pat asked me to let you all know her dad passed away last night. She's off.",
]


@pytest.mark.parametrize("text", NOT_DISCUSSED)
def test_group_news_and_adults_are_not_pupils_discussed(stack: DetectorStack, text: str) -> None:
    assert "PUPIL_DISCUSSED" not in _types(stack.detect(text))


@pytest.mark.parametrize(
    ("text", "name", "severity"),
    [
        # no name model reads "Robotics" as a name: only its shape beside the cue
        ("Y12 Robotics held a debate today.", "Robotics", Severity.MEDIUM),
        ("Well done to Ellie in Year 6!", "Ellie", Severity.HIGH),
    ],
)
def test_a_shape_by_a_cue_is_medium_and_a_read_name_high(
    stack: DetectorStack, text: str, name: str, severity: Severity
) -> None:
    """The pupil detector itself, before corroboration: MEDIUM needs the section classifier's
    agreement to open a review item, HIGH stands alone."""
    detector = next(d for d in stack.detectors if isinstance(d, PupilIdentificationDetector))
    artifacts = stack.nlp_engine.process_text(text, "en")
    found = detector.detect(text, artifacts)
    assert [(text[f.start : f.end], f.severity) for f in found] == [(name, severity)]


@pytest.mark.parametrize(
    ("text", "specific"),
    [
        ("there's a safeguarding referral on one of the Year 2s", True),  # round 29
        ("one of our Y6s has been poorly all week", True),
        ("one of our pupils spotted a seal off the point", True),
        ("all of the Year 2s went to the woods", False),
    ],
)
def test_one_of_a_year_groups_children_is_one_child(text: str, specific: bool) -> None:
    assert (cues().specific_child.search(text) is not None) is specific
