"""Compare ways of choosing the section heads' thresholds on a batch nothing was chosen on.

For each `--held` batch: the heads are fitted on every other training batch (validation_mixed.jsonl
and the held batch left out); calibration and thresholds are chosen either on the validation batch
(`validation`, how the model shipped before round 7 was made) or on leave-one-batch-out scores of
the training batches (`oof`, how the shipped model is made), at each `--budgets`; then the held
batch is scored as a writer neither method has read: macro recall over the sections it has five or
more positives for, and the share of its clean posts flagged (classifier alone, at `medium`).
`--extra FOLDER` adds more training batches (e.g. candidate batches kept outside the training
folder). `policy_dev.jsonl` is never read.

    .venv/bin/python -m devkit.training.nested_thresholds [--held hard_cases.jsonl ...]

~2-4 min per held batch on two cores (the `oof` scores fit every head once per training batch).
"""

# ruff: noqa: E402  (BLAS threads must be pinned before numpy is first imported)
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np

from detectors.encoder import DEFAULT_ENCODER, SentenceEncoder, encoder_dir
from detectors.policy.sections import SECTION_HEADS
from devkit.training.train_sections import (
    C_EMBEDDING,
    C_WORDS,
    DATA,
    MIX,
    Post,
    Vocabulary,
    calibrated,
    choose,
    fit_head,
    labels,
    out_of_fold,
    read_batches,
    read_folder,
    summary,
)

# The batches that cover every section, in several voices.
MIXED: Final = (
    "hard_cases.jsonl",
    "head_blog.jsonl",
    "staff_whatsapp_secondary.jsonl",
    "trust_and_personal.jsonl",
    "work_sites.jsonl",
    "early_special_sixth_form.jsonl",
)
MIN_POSITIVES: Final = 5


def compare(
    held: str,
    *,
    everything: Sequence[Post],
    valid: Sequence[Post],
    budgets: Sequence[float],
    methods: Sequence[str],
    encoder: SentenceEncoder,
) -> dict[str, Any]:
    """{method@budget: {macro_recall, clean_flagged, recall}} on the held batch, one of
    `everything` (the training posts); `valid` is the validation batch."""
    test = [p for p in everything if p.source == held]
    if not test:
        raise SystemExit(f"{held}: no such training batch")
    train = [p for p in everything if p.source != held]
    heads = [s.value for s in SECTION_HEADS]
    y, yv, yt = labels(train, heads), labels(valid, heads), labels(test, heads)
    vocabulary, f = Vocabulary.fit(train, encoder)
    fv, ft = vocabulary.features(valid), vocabulary.features(test)
    fit = {"c_words": C_WORDS, "c_emb": C_EMBEDDING, "mix": MIX}
    fitted = [fit_head(f, y[:, j], **fit) for j in range(len(heads))]
    zt = np.stack([h.decision(ft) for h in fitted], axis=1)
    present = [h for j, h in enumerate(heads) if yt[:, j].sum() >= MIN_POSITIVES]
    out: dict[str, Any] = {}
    for method in methods:
        if method == "validation":
            z, yy = np.stack([h.decision(fv) for h in fitted], axis=1), yv
        else:
            z, yy = out_of_fold(f, y, [p.source for p in train], **fit), y
        for budget in budgets:
            choice = choose(z, yy, budget, "log")
            figures = summary(calibrated(zt, choice.platt), yt, choice.medium, heads)
            recall = {h: figures["recall_at_medium"][h] for h in present}
            out[f"{method}@{budget:g}"] = {
                "macro_recall": round(float(np.mean(list(recall.values()))), 3),
                "clean_flagged": figures["clean_flagged"],
                "recall": recall,
            }
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--held", action="append", default=[], help="default: the mixed batches")
    parser.add_argument("--extra", type=Path, action="append", default=[])
    parser.add_argument("--budgets", default="0.05,0.08,0.11")
    parser.add_argument("--methods", default="validation,oof")
    parser.add_argument("--encoder", default=DEFAULT_ENCODER)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    budgets = [float(b) for b in args.budgets.split(",")]
    methods = [m for m in args.methods.split(",") if m]
    if unknown := set(methods) - {"validation", "oof"}:
        parser.error(f"unknown method {sorted(unknown)}")
    encoder = SentenceEncoder(encoder_dir(args.encoder))
    everything, valid = read_batches(args.data)
    for folder in args.extra:
        everything += read_folder(folder)
    results = {}
    for held in args.held or MIXED:
        results[held] = compare(
            held,
            everything=everything,
            valid=valid,
            budgets=budgets,
            methods=methods,
            encoder=encoder,
        )
        row = "  ".join(
            f"{k} {v['macro_recall']:.3f}/{v['clean_flagged']:.3f}"
            for k, v in results[held].items()
        )
        print(f"{held}: {row}  (macro recall / clean flagged)", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
