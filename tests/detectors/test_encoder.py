"""The shipped sentence encoder: files checked against their manifest, unit-length embeddings,
exact per-word-piece shares of a linear score, and long posts encoded in bounded windows."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from detectors.config import StackConfig
from detectors.encoder import (
    DEFAULT_ENCODER,
    MANIFEST,
    EncoderError,
    SentenceEncoder,
    encoder_dir,
    load_encoder,
)


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return load_encoder(DEFAULT_ENCODER)


def test_the_default_encoder_is_the_configured_one_and_names_its_sources() -> None:
    assert StackConfig().encoder == DEFAULT_ENCODER
    manifest = json.loads((encoder_dir(DEFAULT_ENCODER) / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["built_by"] == "python -m devkit.training.build_encoder"
    assert set(manifest["sources"]) == {"model", "tokenizer"}
    assert all(len(s["sha256"]) == 64 for s in manifest["sources"].values())


@pytest.mark.parametrize(
    "text",
    ["Well done Year 4!", "", "   ", "😂😂😂", "A" * 5000, "Straße Zoë — naïve café"],
)
def test_embeddings_are_unit_length_and_shares_add_up(encoder: SentenceEncoder, text: str) -> None:
    emb = encoder.encode(text)
    assert emb.vector.shape == (encoder.dim,)
    assert abs(float(np.linalg.norm(emb.vector)) - 1.0) < 1e-4
    assert len(emb.spans) == emb.token_terms.shape[0]
    assert all(0 <= a <= b <= len(text) for a, b in emb.spans)
    coef = np.random.default_rng(0).normal(size=encoder.dim)
    # The word pieces' shares plus the special tokens' share make the whole score.
    assert emb.shares(coef).sum() == pytest.approx(
        float(emb.vector @ coef) - float((emb.vector - emb.token_terms.sum(0)) @ coef), abs=1e-4
    )


def test_similar_posts_are_closer_than_unrelated_ones(encoder: SentenceEncoder) -> None:
    a = encoder.encode("The school trip to the museum was brilliant")
    b = encoder.encode("Our class had a great visit to the museum")
    c = encoder.encode("My bank sort code and account number are below")
    assert float(a.vector @ b.vector) > float(a.vector @ c.vector) + 0.2


def test_a_long_post_is_encoded_in_windows(encoder: SentenceEncoder) -> None:
    text = "word " * 2000  # ~2,000 word pieces: eight windows, not one huge input
    emb = encoder.encode(text)
    assert len(emb.spans) == 2000
    assert abs(float(np.linalg.norm(emb.vector)) - 1.0) < 1e-4


def test_a_tampered_model_file_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "enc"
    shutil.copytree(encoder_dir(DEFAULT_ENCODER), copy)
    with (copy / "tokenizer.json").open("a", encoding="utf-8") as f:
        f.write(" ")
    with pytest.raises(EncoderError, match="tokenizer.json"):
        SentenceEncoder(copy)


def test_a_missing_encoder_says_how_to_rebuild_it(tmp_path: Path) -> None:
    with pytest.raises(EncoderError, match="build_encoder"):
        SentenceEncoder(tmp_path)
