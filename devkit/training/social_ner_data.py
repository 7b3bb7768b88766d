"""The training data of Postwarden's social NER: labelled tweets and generated school posts.

Split from train_social_ner.py (which trains and selects the model) because building examples is
its own job: gold PERSON names from WNUT-17 and the Broad Twitter Corpus (never @handles or
#hashtags), the teacher model's other entities (pseudo-rehearsal), generated UK school posts whose
names and titles are invented here, and lower/upper-case copies.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from spacy.language import Language
from spacy.training import Example, offsets_to_biluo_tags

from detectors.social import social_spans, trim_outside

GOLD_OTHER = {"LOCATION": "GPE", "ORGANIZATION": "ORG"}

Ent = tuple[int, int, str]

# --- generated school posts ----------------------------------------------------------------------

FIRST = [
    "Isla",
    "Ava",
    "Mia",
    "Ivy",
    "Freya",
    "Florence",
    "Evie",
    "Sophia",
    "Grace",
    "Willow",
    "Ella",
    "Poppy",
    "Daisy",
    "Sienna",
    "Millie",
    "Ruby",
    "Phoebe",
    "Esme",
    "Maisie",
    "Imogen",
    "Aisha",
    "Zara",
    "Maryam",
    "Nia",
    "Seren",
    "Cerys",
    "Niamh",
    "Aoife",
    "Zofia",
    "Hafsa",
    "Leo",
    "George",
    "Noah",
    "Arthur",
    "Muhammad",
    "Theo",
    "Oscar",
    "Archie",
    "Jack",
    "Freddie",
    "Alfie",
    "Henry",
    "Charlie",
    "Thomas",
    "Joshua",
    "Reuben",
    "Finley",
    "Ibrahim",
    "Yusuf",
    "Kai",
    "Rory",
    "Callum",
    "Tyler",
    "Dylan",
    "Logan",
    "Kacper",
    "Chidi",
    "Tobi",
    "Arlo",
    "Ezra",
]
HYPHENATED = [
    "Ella-Rose",
    "Mia-Grace",
    "Alfie-James",
    "Lacey-Mai",
    "Tommy-Lee",
    "Ruby-Jo",
    "Evie-Grace",
    "Billy-Joe",
    "Isla-Rae",
    "Lexi-Mai",
    "Jayce-Lee",
    "Rosie-Ann",
    "Mason-James",
    "Ava-Belle",
]
SURNAME = [
    "Hughes",
    "Roberts",
    "Wilson",
    "Wright",
    "Walker",
    "Robinson",
    "Wood",
    "Clarke",
    "Hall",
    "Green",
    "Lewis",
    "Harris",
    "Jackson",
    "Turner",
    "Hill",
    "Moore",
    "Cooper",
    "Ward",
    "Morris",
    "King",
    "Baker",
    "Harrison",
    "Morgan",
    "Allen",
    "Scott",
    "Phillips",
    "Mitchell",
    "Kaur",
    "Begum",
    "Ali",
    "Hussain",
    "Nowak",
    "Kowalski",
    "Okonkwo",
    "Mensah",
    "O'Brien",
    "McDonald",
    "Fitzgerald",
    "Ashworth",
    "Pemberton",
    "Smith-Jones",
    "Lloyd-Davies",
    "Nguyen",
    "Osei",
]
TITLE = ["Mr", "Mrs", "Ms", "Miss", "Dr", "Mr.", "Mrs."]
ROLE = [
    "SENCo",
    "Deputy Head",
    "Year 3 teacher",
    "site manager",
    "business manager",
    "chair of governors",
]
PLACE = [
    "Chester Zoo",
    "the Science Museum",
    "Conwy Castle",
    "the Lake District",
    "Blackpool",
    "York",
]
THING = [
    "the spelling bee",
    "the reading challenge",
    "sports day",
    "the art competition",
    "the maths quiz",
]

# {p}/{p2}/{p3}: a person (marked), {first}: a first name (marked), {t}: a title, {s}: a surname
# after a title (marked). Everything else is ordinary text.
TEMPLATES = [
    "Well done to {p} in Year {n} for winning {thing}!",
    "Congratulations {p} ({n}{cls}) on your gold reading certificate! #proud",
    "Star of the week goes to {first} for always helping others.",
    "{p} scored twice in our win this afternoon ⚽",
    "Happy birthday {first}! Have a lovely day 🎂",
    "A big thank you to {t} {s} for organising our trip to {place}.",
    "Please welcome {t} {s}, our new {role}, who joins us in January.",
    "{first} and {first2} from {n}{cls} read beautifully in assembly today.",
    "Our Year {n} team ({p}, {p2} and {p3}) came second at the county finals.",
    "shout out to {first} for helping in the library all week",
    "Great to see {first} {initial}. at breakfast club this morning!",
    "Thank you {p} for the donation of books to our library.",
    "Sign up with {t} {s} by Friday if you would like a part in the play.",
    "Year {n} visited {place} today and had a brilliant time. @{handle} #SchoolTrip",
    "Reminder: {thing} is on Friday. Please bring a water bottle. https://t.co/{code}",
    "Harvest Festival donations go to the food bank this week. Thank you! #Harvest",
    "Forest School for Reception is on Wednesday afternoons this half term.",
    "World Book Day costumes were amazing today! #WorldBookDay @{handle}",
    "RT @{handle}: Year {n} loved {thing} today! Thanks to all who came.",
    "{t} {s} and Year {n} planted bulbs in the school garden today 🌷",
    "Player of the match: {p}, who never stopped running!",
    "{p} has been chosen as our new school council rep. Congratulations!",
    "huge well done to {p} for finishing the reading challenge!!",
    "Thank you to {t} {s} from the PTA for running the cake stall.",
]


def _code(rng: random.Random) -> str:
    return "".join(rng.choices("abcdefghkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789", k=10))


def school_posts(n: int, rng: random.Random) -> list[tuple[str, list[Ent]]]:
    """`n` generated posts with their PERSON spans (titles outside the span, as in OntoNotes)."""
    out = []
    for _ in range(n):
        template = rng.choice(TEMPLATES)
        text, ents, pos = "", [], 0
        fields = {
            "n": str(rng.randint(1, 6)),
            "cls": rng.choice(["B", "H", "M", "W", "R"]),
            "thing": rng.choice(THING),
            "place": rng.choice(PLACE),
            "role": rng.choice(ROLE),
            "t": rng.choice(TITLE),
            "handle": rng.choice(["OakleyPTA", "BrookfieldPri", "CountySport", "ReadingAgency"]),
            "code": _code(rng),
            "initial": rng.choice("ABCDEFGHJKLMNPRSTW"),
        }
        while pos < len(template):
            open_ = template.find("{", pos)
            if open_ < 0:
                text += template[pos:]
                break
            close = template.index("}", open_)
            text += template[pos:open_]
            key = template[open_ + 1 : close]
            if key in {"p", "p2", "p3"}:
                first = rng.choice(FIRST + HYPHENATED)
                value = f"{first} {rng.choice(SURNAME)}"
                if rng.random() < 0.15:
                    value = f"{first} {rng.choice(FIRST)} {rng.choice(SURNAME)}"
                ents.append((len(text), len(text) + len(value), "PERSON"))
            elif key in {"first", "first2"}:
                value = rng.choice(FIRST + HYPHENATED)
                ents.append((len(text), len(text) + len(value), "PERSON"))
            elif key == "s":
                value = rng.choice(SURNAME)
                ents.append((len(text), len(text) + len(value), "PERSON"))
            else:
                value = fields[key]
            text += value
            pos = close + 1
        out.append((text, ents))
    return out


# --- annotation -------------------------------------------------------------------------------


def _overlaps(start: int, end: int, ents: Sequence[Ent]) -> bool:
    return any(start < e and s < end for s, e, _ in ents)


def annotate(
    text: str, persons: Sequence[tuple[int, int]], others: Sequence[Ent], teacher: Any
) -> list[Ent]:
    """Gold names, then the teacher's non-PERSON entities, then gold places/organisations."""
    social = social_spans(text)
    ents: list[Ent] = []
    for start, end in persons:
        s, e = trim_outside(start, end, text, social)
        if e > s and not _overlaps(s, e, ents):
            ents.append((s, e, "PERSON"))
    for ent in teacher.ents:
        s, e = ent.start_char, ent.end_char
        if ent.label_ == "PERSON" or _overlaps(s, e, ents):
            continue
        if any(s < x.end and x.start < e for x in social):
            continue
        ents.append((s, e, ent.label_))
    for s, e, label in others:
        if not _overlaps(s, e, ents) and not any(s < x.end and x.start < e for x in social):
            ents.append((s, e, label))
    return sorted(ents)


def corpus_examples(
    rows: Sequence[dict[str, Any]], teacher_nlp: Language
) -> list[tuple[str, list[Ent]]]:
    """Labelled tweets (the eval schema of ../shared/eval) as training items."""
    texts = [r["text"] for r in rows]
    out = []
    for row, doc in zip(rows, teacher_nlp.pipe(texts, batch_size=256), strict=True):
        persons = [
            (s["start"], s["end"])
            for s in row["spans"]
            if s["label"] == "PERSON" and not s["mention"] and not s["hashtag"]
        ]
        others = [
            (s["start"], s["end"], GOLD_OTHER[s["label"]])
            for s in row["spans"]
            if s["label"] in GOLD_OTHER and not s["mention"] and not s["hashtag"]
        ]
        out.append((row["text"], annotate(row["text"], persons, others, doc)))
    return out


def with_case_copies(
    items: list[tuple[str, list[Ent]]], rng: random.Random, lower: float, upper: float
) -> list[tuple[str, list[Ent]]]:
    """Add lower- and upper-cased copies (offsets kept: copies whose length changes are skipped)."""
    out = list(items)
    for text, ents in items:
        for share, fn in ((lower, str.lower), (upper, str.upper)):
            if rng.random() < share:
                copy = fn(text)
                if len(copy) == len(text):
                    out.append((copy, ents))
    return out


def to_examples(nlp: Language, items: list[tuple[str, list[Ent]]]) -> list[Example]:
    examples = []
    for text, ents in items:
        doc = nlp.make_doc(text)
        tags = offsets_to_biluo_tags(doc, ents)  # misaligned spans become "-" (unknown)
        examples.append(Example.from_dict(doc, {"entities": tags}))
    return examples
