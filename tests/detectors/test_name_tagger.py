"""The name tagger: word pieces joined into names, the shipped weights tied to their encoder, and
the stack's names coming from it (names the NER alone misses, never @handles)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from detectors.config import StackConfig
from detectors.encoder import DEFAULT_ENCODER, load_encoder
from detectors.name_tagger import (
    FEATURES_VERSION,
    MODEL_PATH,
    SHAPE_DIM,
    NameTagger,
    join_pieces,
    load_name_tagger,
    piece_features,
    piece_vectors,
    shape_features,
)
from detectors.stack import DetectorStack


def _pieces(text: str, words: list[str]) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for w in words:
        at = text.index(w, pos)
        spans.append((at, at + len(w)))
        pos = at + len(w)
    return spans


@pytest.mark.parametrize(
    ("text", "pieces", "positive", "names"),
    [
        # neighbours across a space or a hyphen are one name
        ("well done Lily-Mae Thompson", ["well", "done", "Lily", "-", "Mae", "Thompson"],
         [0, 0, 1, 0, 1, 1], ["Lily-Mae Thompson"]),
        # a comma separates two names
        ("Zainab, Ruqayyah won", ["Zainab", ",", "Ruqayyah", "won"], [1, 0, 1, 0],
         ["Zainab", "Ruqayyah"]),
        # a piece inside a word takes the whole word
        ("thanks Okonkwo today", ["thanks", "Oko", "nkwo", "today"], [0, 0, 1, 0], ["Okonkwo"]),
        # a closing initial keeps its full stop; a possessive is left out
        ("Amelia W. read", ["Amelia", "W", ".", "read"], [1, 1, 0, 0], ["Amelia W."]),
        # the initial is taken even when the tagger stopped at the first name
        ("Amelia W. read", ["Amelia", "W", ".", "read"], [1, 0, 0, 0], ["Amelia W."]),
        ("Amelia W.", ["Amelia", "W", "."], [1, 0, 0], ["Amelia W."]),
        ("Ask Ben I think", ["Ask", "Ben", "I", "think"], [0, 1, 0, 0], ["Ben"]),
        ("Kofi Annan's book", ["Kofi", "Annan", "'", "s", "book"], [1, 1, 1, 1, 0],
         ["Kofi Annan"]),
        ("no names here", ["no", "names", "here"], [0, 0, 0], []),
    ],
)  # fmt: skip
def test_positive_pieces_are_joined_into_names(
    text: str, pieces: list[str], positive: list[int], names: list[str]
) -> None:
    spans = join_pieces(text, _pieces(text, pieces), [bool(p) for p in positive])
    assert [text[a:b] for a, b in spans] == names


def test_shape_features_carry_the_case_the_uncased_encoder_drops() -> None:
    text = "met Sarah at NASA. dave came"
    rows = shape_features(text, _pieces(text, ["met", "Sarah", "at", "NASA", ".", "dave"]))
    assert rows.shape == (6, SHAPE_DIM)
    title_case, all_upper, all_lower = rows[:, 2], rows[:, 3], rows[:, 4]
    sentence_start = rows[:, 8]
    assert list(title_case) == [0, 1, 0, 0, 0, 0]
    assert list(all_upper) == [0, 0, 0, 1, 1, 0]  # "." is a piece of the word "NASA."
    assert all_lower[0] == 1 and all_lower[5] == 1
    assert sentence_start[0] == 1 and sentence_start[5] == 1 and sentence_start[1] == 0


def test_the_shipped_tagger_matches_the_shipped_encoder_and_its_features() -> None:
    tagger = load_name_tagger()
    encoder = load_encoder(DEFAULT_ENCODER)
    tagger.check_encoder(encoder.sha256)  # no error
    text = "Well done Oliver"
    embedding = encoder.encode(text)
    rows = piece_features(text, embedding.spans, piece_vectors(embedding), [(10, 16)])
    assert rows.shape == (len(embedding.spans), tagger.coef.shape[0])
    assert text[slice(*embedding.spans[-1])] == "Oliver"
    assert rows[-1, -3] == 1.0 and rows[0, -3] == 0.0  # the NER's vote, on "Oliver" only
    assert tagger.meta["chosen"] in tagger.meta["cross_validation"]
    assert set(tagger.meta["data"]) == {"wnut17_train.jsonl", "btc_train.jsonl"}
    with pytest.raises(ValueError, match="retrain it"):
        tagger.check_encoder("0" * 64)


def test_a_tagger_saved_with_other_features_is_refused(tmp_path: Path) -> None:
    tagger = NameTagger.load(MODEL_PATH)
    path = tmp_path / "tagger.npz"
    tagger.save(path)
    assert NameTagger.load(path).threshold == tagger.threshold
    np.testing.assert_array_equal(NameTagger.load(path).coef, tagger.coef)
    data = dict(np.load(path, allow_pickle=False))
    meta = (
        bytes(data["meta"])
        .decode()
        .replace(f'"features_version": {FEATURES_VERSION}', '"features_version": 99')
    )
    data["meta"] = np.frombuffer(meta.encode(), dtype=np.uint8)
    np.savez(path, **data)
    with pytest.raises(ValueError, match="features version 99"):
        NameTagger.load(path)


@pytest.fixture(scope="module")
def ner_only() -> DetectorStack:
    return DetectorStack.build(StackConfig(name_tagger=False, workers=1))


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("watching the game with my mate dave lol", ["dave"]),
        ("Shoutout to my boy Tyrese for the assist", ["Tyrese"]),
        ("Well done to Freya Okonkwo-Blake for her reading", ["Freya Okonkwo-Blake"]),
        ("Zainab and Ruqayyah in Y4 did amazing in the quiz", ["Zainab", "Ruqayyah"]),
        ("Great to see Year 6 at the museum today", []),
        ("Thanks @JakePeralta and #TeamSarah for the help", []),  # handles are not names
    ],
)
def test_the_stack_finds_names_the_ner_alone_misses(
    stack: DetectorStack, ner_only: DetectorStack, text: str, names: list[str]
) -> None:
    assert stack.name_tagger is not None and ner_only.name_tagger is None
    found = [text[f.start : f.end] for f in stack.detect(text) if f.type == "PERSON"]
    assert found == names
    alone = [text[f.start : f.end] for f in ner_only.detect(text) if f.type == "PERSON"]
    if names:
        assert alone != names, "the NER alone finds these: this row shows nothing"
