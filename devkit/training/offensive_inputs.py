"""Experiment: does any other input available here lift the offensive head? (Not shipped.)

The shipped offensive head (`train_offensive.py`) mixes a bag of words and a logistic regression on
the frozen 3-layer MiniLM embedding; it reaches dev macro-F1 0.758 served, short of issue 10's
0.80. This script stacks the shipped recipe's out-of-fold logits (5 seeded folds of TweetEval
offensive train) with other inputs, chooses the stacker and its threshold on those folds, and
reports dev (never chosen on):

- `profanity`: alt-profanity-check's probability (a linear SVM trained on ~200k other comments);
- `hate`: a bag-of-words head trained on TweetEval *hate* train (other tweets, other labels);
- `--encoder-dir DIR`: a larger frozen sentence encoder, mean-pooled (a local Hugging Face folder
  whose publisher and licence you have checked; needs torch and transformers, build-only).

Measured on 2026-11-27 (dev macro-F1 at the threshold chosen on the training folds): shipped
recipe stacked this way 0.764; + profanity 0.765; + hate 0.762; + both 0.765. A frozen
all-mpnet-base-v2 gave 0.705 alone and 0.769 stacked, at ~20x the shipped encoder's per-post cost;
its copy came from a bulk search of the package index for weights, which this workplace's rules
forbid, and had no checkable publisher or licence, so it is not used (docs/detectors.md). None
reaches 0.80; nothing from this script is shipped.

    .venv/bin/python -m devkit.training.offensive_inputs
    # with a larger encoder you have vetted (pip, not uv: pip takes the CPU build of torch on disk):
    .venv/bin/pip install torch==2.13.0 transformers==5.24.0
    .venv/bin/python -m devkit.training.offensive_inputs --encoder-dir /path/to/encoder
"""

from __future__ import annotations

import argparse
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold

from detectors.encoder import DEFAULT_ENCODER, SentenceEncoder, encoder_dir
from devkit.training import train_offensive as recipe

EVAL_DIR: Final = recipe.DEFAULT_EVAL_DIR
SEED: Final = 0
Vector = npt.NDArray[np.float64]


def stack(
    y: npt.NDArray[np.int64], z: npt.NDArray[np.float64], dev_z: npt.NDArray[np.float64]
) -> tuple[float, float, Vector]:
    """(threshold, out-of-fold macro-F1, dev probabilities) of a logistic stacker over the
    out-of-fold logits `z` (one column per input); the threshold is chosen on `z` only."""
    stacker = LogisticRegression(C=1e4, max_iter=2000).fit(z, y)
    threshold, f1 = recipe.best_threshold(y, stacker.predict_proba(z)[:, 1])
    return threshold, f1, np.asarray(stacker.predict_proba(dev_z)[:, 1])


def linear_logits(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.int64], dev_x: npt.NDArray[np.float64], c: float
) -> tuple[Vector, Vector]:
    """Out-of-fold logits of a balanced logistic regression on `x`, and the full fit's on dev."""
    z = np.zeros(len(y))
    for fit, held in StratifiedKFold(5, shuffle=True, random_state=SEED).split(x, y):
        model = LogisticRegression(C=c, max_iter=5000, class_weight="balanced")
        z[held] = model.fit(x[fit], y[fit]).decision_function(x[held])
    full = LogisticRegression(C=c, max_iter=5000, class_weight="balanced").fit(x, y)
    return z, np.asarray(full.decision_function(dev_x))


def logit(p: npt.ArrayLike) -> Vector:
    q = np.clip(np.asarray(p, dtype=np.float64), 1e-4, 1 - 1e-4)
    return np.asarray(np.log(q / (1 - q)))


def mean_pooled(folder: Path, texts: Sequence[str]) -> npt.NDArray[np.float64]:
    """Sentence embeddings of a Hugging Face encoder, mean-pooled and unit length (torch)."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModel.from_pretrained(folder).eval()
    order = np.argsort([len(t) for t in texts])  # similar lengths per batch: less padding
    out = np.zeros((len(texts), model.config.hidden_size))
    for start in range(0, len(texts), 64):
        rows = order[start : start + 64]
        batch = tokenizer(
            [texts[i] for i in rows],
            padding=True,
            truncation=True,
            max_length=128,
            return_tensors="pt",
        )
        with torch.inference_mode():
            hidden = model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        pooled = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1)
        out[rows] = pooled.numpy()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, default=EVAL_DIR)
    parser.add_argument("--encoder-dir", type=Path, help="a larger frozen encoder to try")
    parser.add_argument("--c-encoder", type=float, default=1.0)
    args = parser.parse_args()

    texts, y = recipe.load(args.eval_dir / "train" / "tweeteval_offensive_train.jsonl")
    dev_texts, dev_y = recipe.load(args.eval_dir / "dev" / "tweeteval_offensive_dev.jsonl")
    encoder = SentenceEncoder(encoder_dir(DEFAULT_ENCODER))
    e, dev_e = recipe.embed(encoder, texts), recipe.embed(encoder, dev_texts)
    c = recipe.HEADS["offensive"][1]
    zb, ze = recipe.out_of_fold(texts, e, y, c)
    bow = recipe.fit_bow(texts, y, c)
    inputs: dict[str, tuple[Vector, Vector]] = {
        "bag of words": (zb, recipe.bow_logit(bow, dev_texts)),
        "MiniLM": (ze, np.asarray(recipe.fit_embedding(e, y).decision_function(dev_e))),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import profanity_check  # type: ignore[import-untyped]

        inputs["profanity"] = (
            logit(profanity_check.predict_prob(texts)),
            logit(profanity_check.predict_prob(dev_texts)),
        )
    hate_texts, hate_y = recipe.load(args.eval_dir / "train" / "tweeteval_hate_train.jsonl")
    hate = recipe.fit_bow(hate_texts, hate_y, recipe.HEADS["hate"][1])
    inputs["hate"] = (recipe.bow_logit(hate, texts), recipe.bow_logit(hate, dev_texts))
    if args.encoder_dir:
        big, dev_big = (
            mean_pooled(args.encoder_dir, texts),
            mean_pooled(args.encoder_dir, dev_texts),
        )
        inputs["encoder"] = linear_logits(big, y, dev_big, args.c_encoder)

    shipped = ["bag of words", "MiniLM"]
    extras = [name for name in inputs if name not in shipped]
    trials = [shipped, *([*shipped, extra] for extra in extras), [*shipped, *extras]]
    if args.encoder_dir:
        trials.insert(1, ["encoder"])
    for names in trials:
        z = np.column_stack([inputs[n][0] for n in names])
        dev_z = np.column_stack([inputs[n][1] for n in names])
        threshold, f1, dev_p = stack(y, z, dev_z)
        dev_f1 = f1_score(dev_y, (dev_p >= threshold).astype(int), average="macro")
        print(f"{' + '.join(names)}: folds {f1:.4f} at {threshold:.2f}; dev {dev_f1:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
