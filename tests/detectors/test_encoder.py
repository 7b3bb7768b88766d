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
    int8_sums_exact,
    load_encoder,
    matmul_integer,
    run_product,
    split_products,
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


@pytest.mark.parametrize("seed", [0, 1])
def test_split_weights_sum_exactly_on_any_cpu(seed: int) -> None:
    """Full-range 8-bit weights against activations of 255: the pairs that saturate 16-bit
    lanes on an AVX2-only CPU. The split graph gives numpy's exact sums wherever it runs."""
    rng = np.random.default_rng(seed)
    w = rng.integers(-127, 128, size=(96, 24), dtype=np.int8)
    w[0], w[1] = 127, 127  # a pair that saturates: 255 * 127 * 2 > 32,767
    a = rng.integers(0, 256, size=(5, 96), dtype=np.uint8)
    a[:, :2] = 255
    exact = a.astype(np.int64) @ w.astype(np.int64)
    split = split_products(matmul_integer(w))
    assert np.array_equal(run_product(split, a), exact)
    # The probe says whether this CPU's own int8 kernels give the same answer.
    assert np.array_equal(run_product(matmul_integer(w), a), exact) == int8_sums_exact()


def test_split_weights_fit_seven_bits_and_keep_the_rest_of_the_graph() -> None:
    import onnx
    from onnx import numpy_helper

    source = (encoder_dir(DEFAULT_ENCODER) / "model.onnx").read_bytes()
    before, after = onnx.load_from_string(source), onnx.load_from_string(split_products(source))
    weights = {i.name: numpy_helper.to_array(i) for i in after.graph.initializer}
    products = [n for n in after.graph.node if n.op_type == "MatMulInteger"]
    assert len(products) == sum(n.op_type == "MatMulInteger" for n in before.graph.node) > 0
    assert all(np.abs(weights[n.input[1]].astype(np.int16)).max() <= 64 for n in products)
    others = {n.op_type for n in before.graph.node} - {"MatMulInteger"}
    assert others <= {n.op_type for n in after.graph.node}
    assert [o.name for o in after.graph.output] == [o.name for o in before.graph.output]


def test_auto_runs_exact_sums_and_int8_only_where_they_are_exact(encoder: SentenceEncoder) -> None:
    """`auto` (the default) picks this CPU's int8 kernels only where they sum exactly; either
    way its embeddings are the exact ones, the same as the split graph's on every CPU."""
    assert encoder.products == ("int8" if int8_sums_exact() else "exact")
    exact = SentenceEncoder(encoder_dir(DEFAULT_ENCODER), products="exact")
    plain = SentenceEncoder(encoder_dir(DEFAULT_ENCODER), products="int8")
    texts = ["Well done to 4B for the assembly!", "Staff meeting moved to Thursday. " * 12]
    for text in texts:
        np.testing.assert_allclose(
            encoder.encode(text).vector, exact.encode(text).vector, atol=1e-6
        )
        if int8_sums_exact():
            np.testing.assert_allclose(
                plain.encode(text).vector, exact.encode(text).vector, atol=1e-6
            )
    with pytest.raises(EncoderError, match="products"):
        SentenceEncoder(encoder_dir(DEFAULT_ENCODER), products="fp16")
