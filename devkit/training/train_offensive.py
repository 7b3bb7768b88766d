"""Train the offensive-language classifier shipped in detectors/policy/models/offensive.npz.

Two heads, each TF-IDF word 1-2-grams + character 2-5-grams, NB-weighted (log-count ratios,
Wang & Manning 2012) logistic regression, trained on a TweetEval training split:
  offensive <- tweeteval_offensive_train (OLID)    -> OFFENSIVE findings (section 8.15)
  hate      <- tweeteval_hate_train (HatEval-2019) -> DISCRIMINATORY findings (section 8.15)
Then measured on the dev splits against alt-profanity-check (the baseline the issue names), and
the numpy serving code is checked to reproduce scikit-learn's probabilities.

    .venv/bin/python devkit/training/train_offensive.py [--eval-dir ../shared/eval] [--output PATH]

Deterministic: same data, same versions -> same file (lbfgs has no randomness).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, precision_recall_fscore_support

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from detectors.policy.textmodel import TextModel, analyze_chars, analyze_words  # noqa: E402

DEFAULT_EVAL_DIR = REPO.parent / "shared" / "eval"
DEFAULT_OUTPUT = REPO / "detectors" / "policy" / "models" / "offensive.npz"

# head -> (corpus name, LR C). C chosen on dev among 0.5/1/2/4 (see docs/detectors.md).
HEADS: dict[str, tuple[str, float]] = {"offensive": ("offensive", 1.0), "hate": ("hate", 4.0)}
WORD_MIN_DF = 2
CHAR_MIN_DF = 3
CHAR_MAX_FEATURES = 100_000


def load(path: Path) -> tuple[list[str], np.ndarray]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [r["text"] for r in rows], np.array([int(r["label"]) for r in rows])


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def nb_ratio(x: csr_matrix, y: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """Log-count ratio of each feature between positive and negative posts."""
    p = alpha + np.asarray(x[y == 1].sum(axis=0)).ravel()
    q = alpha + np.asarray(x[y == 0].sum(axis=0)).ravel()
    return np.log((p / p.sum()) / (q / q.sum()))


def train_head(texts: list[str], y: np.ndarray, c: float) -> tuple[dict[str, Any], Any]:
    word = TfidfVectorizer(analyzer=analyze_words, min_df=WORD_MIN_DF, sublinear_tf=True)
    char = TfidfVectorizer(
        analyzer=analyze_chars,
        min_df=CHAR_MIN_DF,
        max_features=CHAR_MAX_FEATURES,
        sublinear_tf=True,
    )
    xw, xc = word.fit_transform(texts), char.fit_transform(texts)
    x = hstack([xw, xc]).tocsr()
    r = nb_ratio(x, y)
    lr = LogisticRegression(C=c, max_iter=5000, class_weight="balanced")
    lr.fit(x.multiply(r).tocsr(), y)
    coef = lr.coef_.ravel() * r
    nw = xw.shape[1]
    parts: dict[str, Any] = {"bias": float(lr.intercept_[0])}
    for name, vec, block_coef in (("word", word, coef[:nw]), ("char", char, coef[nw:])):
        vocab = vec.get_feature_names_out().tolist()
        order = [vec.vocabulary_[f] for f in vocab]
        parts[name] = (vocab, vec.idf_[order], block_coef[order])

    def predict(batch: list[str]) -> np.ndarray:
        xb = hstack([word.transform(batch), char.transform(batch)]).tocsr()
        return lr.predict_proba(xb.multiply(r).tocsr())[:, 1]

    return parts, predict


def scores(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    p, r, f, _ = precision_recall_fscore_support(y, pred, average=None, labels=[0, 1])
    return {
        "macro_f1": round(float(f1_score(y, pred, average="macro")), 4),
        "positive_precision": round(float(p[1]), 4),
        "positive_recall": round(float(r[1]), 4),
        "positive_f1": round(float(f[1]), 4),
    }


def baseline(texts: list[str]) -> np.ndarray | None:
    """alt-profanity-check's predictions, or None where it is not installed (dev extra)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import profanity_check  # type: ignore[import-untyped]
    except ImportError:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(profanity_check.predict(texts))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args()

    heads: dict[str, Any] = {}
    predictors = {}
    meta: dict[str, Any] = {
        "trained_with": f"scikit-learn {sklearn.__version__}",
        "heads_detail": {},
    }
    dev_sets = {}
    for head, (corpus, c) in HEADS.items():
        train_path = args.eval_dir / "train" / f"tweeteval_{corpus}_train.jsonl"
        dev_path = args.eval_dir / "dev" / f"tweeteval_{corpus}_dev.jsonl"
        texts, y = load(train_path)
        started = time.perf_counter()
        heads[head], predictors[head] = train_head(texts, y, c)
        print(f"{head}: trained on {len(texts)} posts in {time.perf_counter() - started:.1f} s")
        dev_sets[head] = load(dev_path)
        meta["heads_detail"][head] = {
            "train": f"train/{train_path.name}",
            "train_sha256": sha256(train_path),
            "C": c,
            "features": {n: len(heads[head][n][0]) for n in ("word", "char")},
        }

    args.output.parent.mkdir(parents=True, exist_ok=True)
    rows = []
    for head in HEADS:
        texts, y = dev_sets[head]
        ours = scores(y, (predictors[head](texts) >= 0.5).astype(int))
        base = baseline(texts)
        base_scores = scores(y, base) if base is not None else None
        meta["heads_detail"][head]["dev"] = {"model": ours, "alt_profanity_check": base_scores}
        rows.append((head, len(texts), ours, base_scores))
    TextModel.save(args.output, heads, meta)

    served = TextModel.load(args.output)
    for head in HEADS:
        texts, _ = dev_sets[head]
        want = predictors[head](texts)
        got = np.array([served.heads[head].score(t).probability for t in texts])
        gap = float(np.abs(want - got).max())
        print(f"{head}: numpy serving vs scikit-learn, max |dp| = {gap:.2e}")
        if gap > 1e-3:
            print("error: the served model does not reproduce the trained one", file=sys.stderr)
            return 1

    size = args.output.stat().st_size / 1e6
    print(f"\nwrote {args.output} ({size:.1f} MB)\n")
    print("dev split       posts  model macro-F1  alt-profanity-check macro-F1  (P/R of class 1)")
    for head, n, ours, theirs in rows:
        b = "not installed"
        if theirs:
            pr = f"{theirs['positive_precision']:.2f}/{theirs['positive_recall']:.2f}"
            b = f"{theirs['macro_f1']:.3f} ({pr})"
        print(
            f"{head:14} {n:6}  {ours['macro_f1']:.3f} "
            f"({ours['positive_precision']:.2f}/{ours['positive_recall']:.2f})     {b}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
