"""Train the name tagger shipped in detectors/models/name_tagger.npz (PERSON names, 8.4).

A logistic regression per word piece over the shipped encoder's token vectors, word shapes and the
social NER's vote (features: detectors/name_tagger.py). Data: WNUT-17 and Broad Twitter Corpus
train together; gold PERSON names, @handles and #hashtags left out of the loss (names, not
handles).

The NER's vote must be honest: the shipped social NER was trained on these very tweets and would
look right on all of them. So the tweets are split in two halves (seeded); a social NER is
trained on each half exactly as devkit/training/train_social_ner.py trains the shipped one
(train_social_ner.fit) and votes on the other half. Those votes are what the tagger learns to
weigh; at run time it reads the shipped NER's.

The regularisation C and the threshold are chosen by two-fold cross-validation over the same
halves (mean of the two corpora's token-overlap F1, the measure of `postwarden eval`); then the
tagger is fitted on every tweet. The dev splits (../shared/eval/dev) are never read.

    .venv/bin/uv pip install -p .venv/bin/python -e '.[build]'
    .venv/bin/python -m devkit.training.train_name_tagger      # ~12 min (two NER trainings)

`--votes FILE` keeps the halves' votes in a JSON file and reuses them when it exists (the NER
trainings are most of the time). Deterministic for a seed on one BLAS thread.
"""

# ruff: noqa: E402  (BLAS threads must be pinned before numpy is first imported)
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import json
import random
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from detectors.encoder import DEFAULT_ENCODER, SentenceEncoder, encoder_dir, file_sha256
from detectors.evaluation import Counts, person_token_counts
from detectors.name_tagger import (
    MODEL_PATH,
    NameTagger,
    join_pieces,
    piece_features,
    piece_vectors,
)
from detectors.names import ner_person_spans
from detectors.social import social_spans
from devkit.training.person_f1 import load_rows
from devkit.training.train_social_ner import CORPORA, EVAL

C_GRID: Final = (0.3, 1.0)
THRESHOLDS: Final = (0.3, 0.4, 0.5, 0.6)
FOLDS: Final = 2
Spans = list[tuple[int, int]]


@dataclass(slots=True)
class Encoded:
    """One corpus, every word piece of every post: features, labels, which post, which half."""

    rows: list[dict[str, Any]]
    spans: list[Spans]  # per post, its pieces' character spans
    x: npt.NDArray[np.float32]
    y: npt.NDArray[np.bool_]
    ignore: npt.NDArray[np.bool_]  # pieces of @handles and #hashtags: not in the loss
    post: npt.NDArray[np.intp]
    half: npt.NDArray[np.intp]  # per post


def halves(n: int, seed: int) -> npt.NDArray[np.intp]:
    return np.random.default_rng(seed).permutation(n) % FOLDS


def ner_votes(
    rows_by_corpus: dict[str, list[dict[str, Any]]], seed: int, cache: Path | None
) -> dict[str, list[Spans]]:
    """Per corpus and post, the PERSON spans of a social NER trained on the other half."""
    if cache is not None and cache.exists():
        cached = json.loads(cache.read_text(encoding="utf-8"))
        if cached.get("seed") == seed:
            return {
                name: [[(a, b) for a, b in post] for post in posts]
                for name, posts in cached["votes"].items()
            }
    from devkit.training.train_social_ner import fit

    warnings.filterwarnings("ignore", message=r"\[W030\]")
    votes: dict[str, list[Spans]] = {k: [[] for _ in v] for k, v in rows_by_corpus.items()}
    cut = {k: halves(len(v), seed) for k, v in rows_by_corpus.items()}
    for k in range(FOLDS):
        started = time.perf_counter()
        train = [
            r
            for c, rows in rows_by_corpus.items()
            for r, h in zip(rows, cut[c], strict=True)
            if h != k
        ]
        nlp = fit(train, random.Random(13))
        for c, rows in rows_by_corpus.items():
            index = [i for i, h in enumerate(cut[c]) if h == k]
            texts = [rows[i]["text"] for i in index]
            for i, text, doc in zip(index, texts, nlp.pipe(texts, batch_size=256), strict=True):
                votes[c][i] = ner_person_spans(text, doc, social_spans(text))
        print(f"social NER on half {k + 1} of {FOLDS}: {time.perf_counter() - started:.0f} s")
    if cache is not None:
        cache.write_text(json.dumps({"seed": seed, "votes": votes}), encoding="utf-8")
    return votes


def encode(
    encoder: SentenceEncoder, rows: list[dict[str, Any]], votes: list[Spans], seed: int
) -> Encoded:
    xs, ys, ignore, post, spans = [], [], [], [], []
    for i, (row, vote) in enumerate(zip(rows, votes, strict=True)):
        text = row["text"]
        embedding = encoder.encode(text)
        xs.append(piece_features(text, embedding.spans, piece_vectors(embedding), vote))
        names = [
            (s["start"], s["end"])
            for s in row["spans"]
            if s["label"] == "PERSON" and not s["mention"] and not s["hashtag"]
        ]
        social = [(s["start"], s["end"]) for s in row["spans"] if s["mention"] or s["hashtag"]]
        for a, b in embedding.spans:
            ys.append(any(a < e and s < b for s, e in names))
            ignore.append(any(a < e and s < b for s, e in social))
            post.append(i)
        spans.append(list(embedding.spans))
    return Encoded(
        rows=rows,
        spans=spans,
        x=np.vstack(xs),
        y=np.array(ys),
        ignore=np.array(ignore),
        post=np.array(post),
        half=halves(len(rows), seed),
    )


def fit_head(x: npt.NDArray[np.float32], y: npt.NDArray[np.bool_], c: float) -> tuple[Any, float]:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=3000)
    model.fit(x, y)
    return model.coef_[0], float(model.intercept_[0])


def f1_at(data: Encoded, probs: npt.NDArray[np.float64], threshold: float) -> Counts:
    counts = Counts()
    starts = np.searchsorted(data.post, np.arange(len(data.rows)))
    ends = np.searchsorted(data.post, np.arange(len(data.rows)), side="right")
    for i, row in enumerate(data.rows):
        hit = list(probs[starts[i] : ends[i]] >= threshold)
        person_token_counts(row, join_pieces(row["text"], data.spans[i], hit), counts)
    return counts


def cross_validate(corpora: dict[str, Encoded]) -> dict[str, dict[str, float]]:
    """Out-of-fold F1 per C, threshold and corpus."""
    table: dict[str, dict[str, float]] = {}
    for c in C_GRID:
        probs = {k: np.zeros(len(d.y)) for k, d in corpora.items()}
        for k in range(FOLDS):
            train = [(d, (d.half[d.post] != k) & ~d.ignore) for d in corpora.values()]
            coef, bias = fit_head(
                np.vstack([d.x[m] for d, m in train]), np.concatenate([d.y[m] for d, m in train]), c
            )
            for name, d in corpora.items():
                held = d.half[d.post] == k
                probs[name][held] = 1 / (1 + np.exp(-(d.x[held].astype(np.float64) @ coef + bias)))
        for t in THRESHOLDS:
            table[f"C={c} threshold={t}"] = {
                name: round(f1_at(d, probs[name], t).f1, 4) for name, d in corpora.items()
            }
            print(f"C={c} threshold={t}: {table[f'C={c} threshold={t}']}")
    return table


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--encoder", default=DEFAULT_ENCODER)
    parser.add_argument("--seed", type=int, default=0, help="which tweets fall in which half")
    parser.add_argument("--votes", type=Path, default=None, help="cache of the halves' NER votes")
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    args = parser.parse_args(argv)

    paths = {name: EVAL / "train" / f"{name}_train.jsonl" for name in CORPORA}
    rows = {name: load_rows(path) for name, path in paths.items()}
    votes = ner_votes(rows, args.seed, args.votes)
    encoder = SentenceEncoder(encoder_dir(args.encoder))
    started = time.perf_counter()
    corpora = {name: encode(encoder, rows[name], votes[name], args.seed) for name in CORPORA}
    print(
        f"encoded {sum(len(d.y) for d in corpora.values())} pieces in "
        f"{time.perf_counter() - started:.0f} s"
    )
    table = cross_validate(corpora)
    chosen = max(table, key=lambda key: (float(np.mean(list(table[key].values()))), key))
    c = float(chosen.split()[0].removeprefix("C="))
    threshold = float(chosen.split()[1].removeprefix("threshold="))
    print(f"chosen by cross-validation: {chosen}")
    keep = [~d.ignore for d in corpora.values()]
    coef, bias = fit_head(
        np.vstack([d.x[m] for d, m in zip(corpora.values(), keep, strict=True)]),
        np.concatenate([d.y[m] for d, m in zip(corpora.values(), keep, strict=True)]),
        c,
    )
    tagger = NameTagger(
        coef=np.asarray(coef, dtype=np.float32),
        bias=bias,
        threshold=threshold,
        meta={
            "encoder": {"name": encoder.name, "sha256": encoder.sha256},
            "data": {path.name: file_sha256(path) for path in paths.values()},
            "seed": args.seed,
            "C": c,
            "cross_validation": table,
            "chosen": chosen,
            "command": "python -m devkit.training.train_name_tagger",
        },
    )
    tagger.save(args.out)
    print(f"saved {args.out} ({args.out.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
