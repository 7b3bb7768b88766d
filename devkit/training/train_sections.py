"""Train the section classifier shipped in detectors/policy/models/sections.npz.

One head per policy section the labelled batches cover (8.4, 8.5, 8.9, 8.10, 8.11, 8.13, 8.14,
8.15, 8.16, 10). Each head mixes two logistic regressions, both linear in the post's tokens:
- bag of words: TF-IDF word 1-2-grams and character 2-5-grams (the analyzers of
  detectors/policy/textmodel.py, one vocabulary shared by every head), C=8;
- the sentence embedding of the shipped encoder (detectors/encoder.py), C=4;
logit = MIX * bag_of_words + (1 - MIX) * embedding. Both are class-balanced.

Data: every batch in devkit/training/data/policy/*.jsonl (the folder is re-read on each run, so a
new batch is picked up) except `validation_mixed.jsonl`, which is held out; `--extra-list` adds
the batches a file names. The shipped model (round 16's T6, decided on eval/probe/probe_ce..cj in
round 17) is `--extra-list devkit/training/data/read_probes.txt --budget 0.06 --low-budget 0.24`,
with the list naming probe a..at and ba..bx (its meta records the files); read_probes_r14.txt
names round 14's held-back candidates' batches (probe a..at and ba..bl).

Calibration (Platt scaling: two numbers per head) and thresholds are chosen on scores no head saw
its own post for. `--thresholds-from oof` (the default, and the shipped model since round 7):
every training post is scored by heads fitted without its whole batch (leave one batch out), so
each batch is read as a writer the heads have never met and the ~5,000 clean posts of every batch
set the thresholds, at `--budget` 0.08; the validation batch (555 posts, ~290 clean) is then a
check on posts nothing was chosen on. `--thresholds-from validation --budget 0.05`: from the
validation batch alone (the model shipped before). Four new writers' 480 posts
(eval/probe/probe_d..g), pooled, decided between them by a rule fixed before they were scored:
0.920 macro recall / 13.8 % clean flagged before, 0.924 / 6.7 % with `oof` and the six batches
once held back (docs/detectors.md, "Round 7").

Thresholds per section: `medium` thresholds are lowered step by step, each step going to the head
that gains most log recall per clean post newly flagged (`--objective log`; so no section is
starved for another's easy gains; `sum` counts positives), until the share of clean posts flagged
by the whole classifier would pass `--budget`; `low` is the same at `--low-budget` (three times
the budget unless given; `low` is the support a cue-word finding needs from its section's head,
sections.py's `corroborate`), `high` a calibrated confidence of 0.9 (never below `medium`).
`../shared/eval/dev/policy_dev.jsonl` is never read here: it measures the result.

    .venv/bin/uv pip install -p .venv/bin/python -e '.[build]'
    .venv/bin/python -m devkit.training.train_sections [--budget 0.08] [--low-budget 0.24]
        [--extra FOLDER]
        [--extra-list devkit/training/data/read_probes.txt]

Deterministic for the same batches, encoder and library versions (lbfgs has no randomness).
"""

# ruff: noqa: E402  (BLAS threads must be pinned before numpy is first imported)
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import json
import random
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from core.sections import Section
from detectors.encoder import DEFAULT_ENCODER, SentenceEncoder, encoder_dir, file_sha256
from detectors.policy.sections import MODEL_PATH, SECTION_HEADS
from detectors.policy.textmodel import TextModel, analyze_chars, analyze_words

DATA: Final = Path(__file__).resolve().parent / "data" / "policy"
REPO: Final = Path(__file__).resolve().parents[2]
# The probe sets (eval/probe/) read by round 15: the shipped model (round 16's T6) trains on them
# as more writers' batches (`--extra-list`); the sets not named here stay out of its training data.
READ_PROBES: Final = Path(__file__).resolve().parent / "data" / "read_probes.txt"
VALIDATION: Final = "validation_mixed.jsonl"
MIX: Final = 0.7
C_WORDS: Final = 8.0
C_EMBEDDING: Final = 4.0
WORD_MIN_DF: Final = 2
CHAR_MIN_DF: Final = 3
CHAR_MAX_FEATURES: Final = 100_000
HIGH_CONFIDENCE: Final = 0.9

Matrix = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Post:
    id: str
    text: str
    sections: frozenset[str]
    source: str


# The writers used the reserved top-level domain ".example" for every address, adult or not, so
# a head could learn ".example" itself; real posts carry .com, .co.uk... Each address's
# ".example" is replaced by a real-looking one (seeded per post) before anything is fitted.
_EXAMPLE_TLD: Final = re.compile(r"(?i)(\.\s*|\bdot\s+)example\b")
TLDS: Final = ("com", "co.uk", "net", "org", "org.uk", "uk", "io")


def realistic_addresses(text: str, seed: str) -> str:
    rng = random.Random(seed)
    return _EXAMPLE_TLD.sub(lambda m: m.group(1) + rng.choice(TLDS), text)


def read_batch(path: Path) -> list[Post]:
    """One labelled batch; a bad line or an unknown section stops the run with its line number."""
    posts = []
    known = {s.value for s in Section}
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            text, sections = row["text"], frozenset(row["sections"])
        except (ValueError, KeyError, TypeError) as exc:
            raise SystemExit(f"{path}: line {lineno}: {exc}") from None
        unknown = sections - known
        if unknown or not isinstance(text, str):
            raise SystemExit(f"{path}: line {lineno}: bad text or sections {sorted(unknown)}")
        post_id = str(row.get("id", lineno))
        text = realistic_addresses(text, f"{path.name}:{post_id}")
        posts.append(Post(post_id, text, sections, path.name))
    return posts


def read_folder(folder: Path, *, skip: str = "") -> list[Post]:
    """Every batch in `folder` (sorted by name) but `skip`, one after another."""
    return [
        post
        for path in sorted(folder.glob("*.jsonl"))
        if path.name != skip
        for post in read_batch(path)
    ]


def read_list(path: Path) -> list[Path]:
    """The batches a list file names, one path per line relative to the repository (# comments)."""
    lines = [
        line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines()
    ]
    return [REPO / line for line in lines if line]


def read_batches(folder: Path = DATA) -> tuple[list[Post], list[Post]]:
    """(training posts from every batch but the validation one, the validation batch)."""
    return read_folder(folder, skip=VALIDATION), read_batch(folder / VALIDATION)


def labels(posts: Sequence[Post], heads: Sequence[str]) -> npt.NDArray[np.bool_]:
    return np.array([[h in p.sections for h in heads] for p in posts], dtype=bool)


def embed(encoder: SentenceEncoder, posts: Sequence[Post]) -> Matrix:
    return np.array([encoder.encode(p.text).vector for p in posts], dtype=np.float64)


def fit_platt(z: Matrix, y: npt.NDArray[np.bool_]) -> tuple[float, float]:
    """Scale and shift so that sigmoid(scale * z + shift) is a calibrated probability."""
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=1e4, max_iter=1000).fit(z.reshape(-1, 1), y)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def thresholds(
    p: Matrix, y: npt.NDArray[np.bool_], budget: float, objective: str = "sum"
) -> tuple[list[float], float]:
    """Per head, a threshold such that the union of flags on the clean posts stays within
    `budget`: starting above every clean post, the head whose next step down (to just above the
    next clean post's score) gains most per clean post newly flagged takes it, until the next
    step would pass the budget; (thresholds, share of clean flagged). The gain is the positives
    caught (objective "sum": macro recall) or the rise in log recall (objective "log": the sum
    of log recalls, which a head left far behind raises most, so no section is starved for
    another's easy gains)."""
    clean = ~y.any(axis=1)
    pc = p[clean]
    n_clean = max(1, int(clean.sum()))
    # For each head, the clean scores from the highest down: the successive places to stop.
    steps = [np.sort(pc[:, j])[::-1] for j in range(p.shape[1])]
    depth = [0] * p.shape[1]
    cut = [float(s[0]) + 1e-6 for s in steps]

    def flagged(c: Sequence[float]) -> npt.NDArray[np.bool_]:
        return np.asarray((pc >= np.array(c)).any(axis=1))

    while True:
        now = flagged(cut)
        best: tuple[float, int, int, float] | None = None
        for j, s in enumerate(steps):
            for k in range(depth[j] + 1, len(s)):  # the next stop that catches a positive
                trial = list(cut)
                trial[j] = float(s[k]) + 1e-6  # every clean post above it is flagged
                extra = int((flagged(trial) & ~now).sum())
                if (now.sum() + extra) / n_clean > budget:
                    break
                gain = float(((p[:, j] >= trial[j]) & (p[:, j] < cut[j]) & y[:, j]).sum())
                if gain > 0 and objective == "log":
                    caught = float(((p[:, j] >= cut[j]) & y[:, j]).sum())
                    gain = float(np.log((caught + gain + 0.5) / (caught + 0.5)))
                if gain > 0:
                    value = gain / max(extra, 0.5)
                    if best is None or value > best[0]:
                        best = (value, j, k, trial[j])
                    break
        if best is None:
            return cut, float(flagged(cut).mean())
        _, j, depth[j], cut[j] = best


def recall_table(p: Matrix, y: npt.NDArray[np.bool_], cut: Sequence[float]) -> list[float]:
    return [
        float((p[y[:, j], j] >= cut[j]).mean()) if y[:, j].any() else 0.0 for j in range(len(cut))
    ]


@dataclass(frozen=True, slots=True)
class Features:
    """Both views of the same posts: TF-IDF (sparse) and the sentence embedding."""

    words: Any
    embedding: Matrix

    def rows(self, index: npt.NDArray[np.intp]) -> Features:
        return Features(self.words[index], self.embedding[index])


@dataclass(frozen=True, slots=True)
class Head:
    bow: Any
    emb: Any
    mix: float

    def decision(self, f: Features) -> Matrix:
        """The mixed logit, before calibration."""
        return np.asarray(
            self.mix * self.bow.decision_function(f.words)
            + (1 - self.mix) * self.emb.decision_function(f.embedding)
        )


def fit_head(
    f: Features, y: npt.NDArray[np.bool_], *, c_words: float, c_emb: float, mix: float
) -> Head:
    from sklearn.linear_model import LogisticRegression

    bow = LogisticRegression(C=c_words, max_iter=5000, class_weight="balanced").fit(f.words, y)
    emb = LogisticRegression(C=c_emb, max_iter=5000, class_weight="balanced").fit(f.embedding, y)
    return Head(bow, emb, mix)


def out_of_fold(
    f: Features, y: npt.NDArray[np.bool_], groups: Sequence[str], **fit: float
) -> Matrix:
    """Each post's logits from heads fitted without its whole group (its batch): what the heads
    make of a writer they have never read. A head whose training rows lack a class scores -inf or
    +inf (never a threshold-setter)."""
    z = np.zeros(y.shape)
    names = np.array(groups)
    for group in sorted(set(groups)):
        out = names == group
        rest = np.flatnonzero(~out)
        for j in range(y.shape[1]):
            yj = y[rest, j]
            if yj.all() or not yj.any():
                z[out, j] = np.inf if yj.all() else -np.inf
                continue
            z[out, j] = fit_head(f.rows(rest), yj, **fit).decision(f.rows(np.flatnonzero(out)))
        print(f"  out of fold: {group} ({int(out.sum())} posts)", flush=True)
    return z


def calibrated(z: Matrix, platt: Sequence[tuple[float, float]]) -> Matrix:
    scale = np.array([a for a, _ in platt])
    shift = np.array([b for _, b in platt])
    return np.asarray(1 / (1 + np.exp(-(scale * z + shift))))


def summary(
    p: Matrix, y: npt.NDArray[np.bool_], cut: Sequence[float], heads: Sequence[str]
) -> dict[str, Any]:
    recall = recall_table(p, y, cut)
    clean = ~y.any(axis=1)
    return {
        "recall_at_medium": dict(zip(heads, (round(r, 3) for r in recall), strict=True)),
        "macro_recall": round(float(np.mean(recall)), 3),
        "clean_flagged": round(float((p[clean] >= np.array(cut)).any(axis=1).mean()), 3),
        "posts": int(len(y)),
        "clean": int(clean.sum()),
    }


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The TF-IDF vocabularies fitted on the training posts, and the encoder: how any post
    becomes Features."""

    word: Any
    char: Any
    encoder: SentenceEncoder

    @classmethod
    def fit(cls, posts: Sequence[Post], encoder: SentenceEncoder) -> tuple[Vocabulary, Features]:
        from scipy.sparse import hstack
        from sklearn.feature_extraction.text import TfidfVectorizer

        texts = [p.text for p in posts]
        word = TfidfVectorizer(analyzer=analyze_words, min_df=WORD_MIN_DF, sublinear_tf=True)
        char = TfidfVectorizer(
            analyzer=analyze_chars,
            min_df=CHAR_MIN_DF,
            sublinear_tf=True,
            max_features=CHAR_MAX_FEATURES,
        )
        words = hstack([word.fit_transform(texts), char.fit_transform(texts)]).tocsr()
        return cls(word, char, encoder), Features(words, embed(encoder, posts))

    def features(self, posts: Sequence[Post]) -> Features:
        from scipy.sparse import hstack

        texts = [p.text for p in posts]
        words = hstack([self.word.transform(texts), self.char.transform(texts)]).tocsr()
        return Features(words, embed(self.encoder, posts))


@dataclass(frozen=True, slots=True)
class Choice:
    """Calibration and thresholds chosen on one set of scores."""

    platt: list[tuple[float, float]]
    medium: list[float]
    low: list[float]
    p: Matrix  # the calibrated scores they were chosen on


def choose(
    z: Matrix,
    y: npt.NDArray[np.bool_],
    budget: float,
    objective: str,
    low_budget: float | None = None,
    section_budgets: Mapping[int, float] | None = None,
) -> Choice:
    """Platt scaling per head (on its finite scores), then `medium` thresholds within `budget`
    and `low` ones within `low_budget` (three times `budget` unless given)."""
    platt = []
    for j in range(y.shape[1]):
        finite = np.isfinite(z[:, j])
        platt.append(fit_platt(z[finite, j], y[finite, j]))
    p = calibrated(z, platt)
    medium, _ = thresholds(p, y, budget, objective)
    # A head named in `section_budgets` keeps the `medium` threshold the walk gives it at its own
    # budget (so a tighter budget for the rest need not cost pupils identified their recall).
    budgets = section_budgets or {}
    walks = {b: thresholds(p, y, b, objective)[0] for b in set(budgets.values())}
    for j, b in budgets.items():
        medium[j] = walks[b][j]
    low_budget = min(0.5, 3 * budget) if low_budget is None else low_budget
    low, _ = thresholds(p, y, low_budget, objective)
    return Choice(platt, medium, low, p)


def main(argv: Sequence[str] | None = None) -> int:

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument(
        "--extra", type=Path, action="append", default=[], help="another folder of training batches"
    )
    parser.add_argument(
        "--extra-list",
        type=Path,
        action="append",
        default=[],
        help=f"a file naming more batches, one per line (e.g. {READ_PROBES.name})",
    )
    parser.add_argument("--thresholds-from", choices=("oof", "validation"), default="oof")
    parser.add_argument("--encoder", default=DEFAULT_ENCODER)
    parser.add_argument("--budget", type=float, default=0.08, help="clean posts flagged")
    parser.add_argument(
        "--low-budget",
        type=float,
        default=None,
        help="clean posts at `low` or above (default: three times --budget); `low` is what a "
        "cue-word finding needs from its section's head to reach review",
    )
    parser.add_argument(
        "--section-budget",
        action="append",
        default=[],
        metavar="SECTION=BUDGET",
        help="this head's `medium` threshold from the walk at its own budget (e.g. 8.4=0.06)",
    )
    parser.add_argument("--objective", choices=("sum", "log"), default="log")
    parser.add_argument("--mix", type=float, default=MIX, help="weight of the bag of words")
    parser.add_argument("--c-words", type=float, default=C_WORDS)
    parser.add_argument("--c-embedding", type=float, default=C_EMBEDDING)
    parser.add_argument("--output", type=Path, default=MODEL_PATH)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    train, valid = read_batches(args.data)
    for folder in args.extra:
        train += read_folder(folder)
    listed = [path for listing in args.extra_list for path in read_list(listing)]
    for path in listed:
        train += read_batch(path)
    heads = [s.value for s in SECTION_HEADS]
    y, yv = labels(train, heads), labels(valid, heads)
    print(f"{len(train)} training posts, {len(valid)} validation posts")
    encoder = SentenceEncoder(encoder_dir(args.encoder))
    vocabulary, f = Vocabulary.fit(train, encoder)
    fv = vocabulary.features(valid)
    word, char = vocabulary.word, vocabulary.char
    n_words = len(word.vocabulary_)
    fit = {"c_words": args.c_words, "c_emb": args.c_embedding, "mix": args.mix}
    fitted = [fit_head(f, y[:, j], **fit) for j in range(len(heads))]
    zv = np.stack([h.decision(fv) for h in fitted], axis=1)
    if args.thresholds_from == "oof":
        # The vocabulary is the whole training set's (a fold's heads only weigh words they saw).
        z_choose, y_choose = out_of_fold(f, y, [p.source for p in train], **fit), y
    else:
        z_choose, y_choose = zv, yv
    own = dict(item.split("=", 1) for item in args.section_budget)
    unknown = set(own) - set(heads)
    if unknown:
        parser.error(f"--section-budget names no head: {sorted(unknown)}")
    section_budgets = {heads.index(h): float(b) for h, b in own.items()}
    choice = choose(
        z_choose, y_choose, args.budget, args.objective, args.low_budget, section_budgets
    )
    platt, medium, low = choice.platt, choice.medium, choice.low
    parts: dict[str, dict[str, Any]] = {}
    for j, head in enumerate(heads):
        h = fitted[j]
        parts[head] = {
            "bias": float(h.bow.intercept_[0]),
            "word": h.bow.coef_[0][:n_words],
            "char": h.bow.coef_[0][n_words:],
            "embedding": (h.emb.coef_[0], float(h.emb.intercept_[0]), h.mix),
            "calibration": platt[j],
        }
    table: dict[str, dict[str, float]] = {}
    for j, head in enumerate(heads):
        table[head] = {
            "low": round(min(low[j], medium[j]), 6),
            "medium": round(medium[j], 6),
            "high": round(max(medium[j], HIGH_CONFIDENCE), 6),
        }
    validation = summary(calibrated(zv, platt), yv, medium, heads)
    if args.thresholds_from == "oof":
        validation["out_of_fold"] = summary(choice.p, y_choose, medium, heads)
    meta = {
        "kind": "sections",
        "trained_by": "python -m devkit.training.train_sections",
        "args": {k: str(v) for k, v in vars(args).items()},
        "encoder": {"name": encoder.name, "sha256": encoder.sha256},
        "thresholds": table,
        "data": {
            path.name: file_sha256(path)
            for path in [
                *(p for folder in (args.data, *args.extra) for p in sorted(folder.glob("*.jsonl"))),
                *listed,
            ]
        },
        "validation": validation,
        "posts": {"train": len(train), "validation": len(valid)},
    }
    shared = {
        "word": (word.get_feature_names_out().tolist(), word.idf_),
        "char": (char.get_feature_names_out().tolist(), char.idf_),
    }
    TextModel.save(args.output, parts, meta, shared=shared)
    print(json.dumps(validation, indent=1))
    print(
        f"saved {args.output} ({args.output.stat().st_size / 1e6:.1f} MB) in "
        f"{time.perf_counter() - started:.0f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
