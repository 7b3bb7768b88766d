"""devkit/training/nested_thresholds.py on a small folder of separable batches."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from core.sections import Section
from detectors.policy.sections import SECTION_HEADS

# One give-away phrase per section, so a head that learns anything finds its posts.
CUES = {
    Section.PUPIL_IDENTITY: "pupil full name and class",
    Section.PUPILS_DISCUSSED: "pupil medical diagnosis at home",
    Section.CONFIDENTIAL: "confidential restructure plans leaked",
    Section.DEROGATORY: "the head is a useless liar",
    Section.POLITICAL: "vote for the party candidate",
    Section.SUPPLIERS: "best coach company discount code",
    Section.PORNOGRAPHY: "explicit adult video link",
    Section.EQUALITY: "hateful abusive slur language",
    Section.IMPERSONATION: "posting as another teacher account",
    Section.SECURITY: "home address and phone number",
}
FILLER = "lovely sunny week choir trip lunch library reading garden".split()


def _batch(path: Path, name: str, rng: random.Random, per_section: int, clean: int) -> None:
    rows = []
    for section in SECTION_HEADS:
        for i in range(per_section):
            words = " ".join(rng.sample(FILLER, 3))
            text = f"{words} {CUES[section]} {words}"
            rows.append(
                {"id": f"{name}-{section.value}-{i}", "text": text, "sections": [section.value]}
            )
    for i in range(clean):
        rows.append({"id": f"{name}-c{i}", "text": " ".join(rng.sample(FILLER, 5)), "sections": []})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert set(CUES) == set(SECTION_HEADS)
    root = tmp_path_factory.mktemp("batches")
    rng = random.Random(7)
    for name in ("a", "b", "c", "validation_mixed"):
        _batch(root / f"{name}.jsonl", name, rng, per_section=3, clean=30)
    _batch(root / "held.jsonl", "held", rng, per_section=5, clean=30)
    return root


def test_both_methods_score_the_held_batch(folder: Path) -> None:
    from detectors.encoder import DEFAULT_ENCODER, SentenceEncoder, encoder_dir
    from devkit.training.nested_thresholds import compare
    from devkit.training.train_sections import read_batches

    everything, valid = read_batches(folder)
    out = compare(
        "held.jsonl",
        everything=everything,
        valid=valid,
        budgets=[0.05, 0.2],
        methods=["validation", "oof"],
        encoder=SentenceEncoder(encoder_dir(DEFAULT_ENCODER)),
    )
    assert set(out) == {"validation@0.05", "validation@0.2", "oof@0.05", "oof@0.2"}
    for figures in out.values():
        assert set(figures["recall"]) == {s.value for s in SECTION_HEADS}
        assert figures["macro_recall"] >= 0.8, figures  # separable: found
        assert 0.0 <= figures["clean_flagged"] < 0.5, figures
    for method in ("validation", "oof"):  # a looser budget never flags fewer clean posts
        tight, loose = out[f"{method}@0.05"], out[f"{method}@0.2"]
        assert loose["clean_flagged"] >= tight["clean_flagged"]
        assert loose["macro_recall"] >= tight["macro_recall"]


def test_an_unknown_held_batch_is_an_error(folder: Path) -> None:
    from devkit.training.nested_thresholds import main

    with pytest.raises(SystemExit, match="nope.jsonl"):
        main(["--data", str(folder), "--held", "nope.jsonl", "--methods", "validation"])
