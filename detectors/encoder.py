"""The sentence encoder: one embedding per post, shared by every head that reads it.

A MiniLM encoder (ONNX, int8) run by onnxruntime, with its WordPiece tokenizer from `tokenizers`;
no torch, nothing downloaded. The files live in detectors/models/<name>/ with a manifest of their
sha256 (checked on load: a truncated or swapped file fails loudly, never scores silently) and
the script that rebuilds them (devkit/training/build_encoder.py).

An embedding is the mean of the last layer's token vectors, scaled to unit length. Because that
is a sum over tokens, a linear head's score splits exactly into one share per token
(`Embedding.shares`): the words that weighed most are known without running the model again.
Posts longer than the model's window are encoded in consecutive windows and pooled together.

The graph's int8 products are exact on a CPU with VNNI, where the heads were trained. Without
VNNI (AVX2 alone) onnxruntime sums pairs of u8 x s8 products in 16-bit lanes that saturate, so
the embeddings, and every figure measured on them, drift (docs/detectors.md, "The CPU changes
the figures"). There the encoder runs the same graph with each weight matrix split into two
halves that fit in 7 bits (`split_products`): no pair can saturate, and the sums are the exact
ones a VNNI CPU computes. `int8_sums_exact` asks this CPU once which it needs.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

MODELS_DIR: Final = Path(__file__).resolve().parent / "models"
DEFAULT_ENCODER: Final = "minilm-l3-int8"
MANIFEST: Final = "manifest.json"
# How the int8 products are computed: "auto" asks the CPU (int8_sums_exact); "int8" runs the
# shipped graph as it is; "exact" always splits the weights (same sums, on any CPU).
PRODUCTS: Final = ("auto", "int8", "exact")
# The largest weight magnitude for which a pair of u8 x s8 products fits a 16-bit lane:
# 255 * 64 * 2 = 32,640 <= 32,767.
_SEVEN_BITS: Final = 64

Vector = npt.NDArray[np.float32]


class EncoderError(RuntimeError):
    """The encoder's files are missing, altered or unreadable."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def encoder_dir(name: str) -> Path:
    """An encoder by name (a folder in detectors/models) or by path."""
    path = Path(name)
    if path.is_absolute() or path.parent != Path("."):
        return path
    return MODELS_DIR / name


@dataclass(frozen=True, slots=True)
class Embedding:
    """A post's unit-length embedding and, per word piece, its share of it.

    `vector == token_terms.sum(0) + rest`, where `rest` is the share of the special tokens
    ([CLS], [SEP]): a head's score `coef @ vector` is `token_terms @ coef` plus `coef @ rest`.
    """

    vector: Vector
    spans: tuple[tuple[int, int], ...]  # character span of each word piece in the post
    token_terms: Vector  # (len(spans), dim)

    def shares(self, coef: npt.NDArray[np.floating]) -> npt.NDArray[np.float64]:
        """Each word piece's share of the linear score `coef @ vector`."""
        if not self.spans:
            return np.zeros(0)
        return np.asarray(self.token_terms @ coef, dtype=np.float64)


class SentenceEncoder:
    """A MiniLM ONNX graph and its tokenizer; one intra-op thread (the stack forks workers)."""

    def __init__(self, directory: Path, *, verify: bool = True, products: str = "auto") -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        manifest_path = directory / MANIFEST
        try:
            self.manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise EncoderError(
                f"no readable {MANIFEST} in {directory}: rebuild the encoder with "
                "`python -m devkit.training.build_encoder` or set "
                "POSTWARDEN_DETECTION__ENCODER to an installed one"
            ) from exc
        if verify:
            for name, sha in self.manifest["files"].items():
                path = directory / name
                if not path.is_file() or file_sha256(path) != sha:
                    raise EncoderError(f"{path} is missing or not the file its manifest names")
        self.name = str(self.manifest.get("name", directory.name))
        self.sha256 = str(self.manifest["files"]["model.onnx"])
        self.dim = int(self.manifest["dim"])
        self.max_tokens = int(self.manifest.get("max_tokens", 256))
        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        if products not in PRODUCTS:
            raise EncoderError(f"products must be one of {', '.join(PRODUCTS)}, not {products!r}")
        if products == "auto":
            products = "int8" if int8_sums_exact() else "exact"
        self.products = products
        model: str | bytes = str(directory / "model.onnx")
        if products == "exact":
            model = split_products((directory / "model.onnx").read_bytes())
        self.session = ort.InferenceSession(
            model, single_thread_options(), providers=["CPUExecutionProvider"]
        )
        self._lock = threading.Lock()
        specials = self.tokenizer.encode("").ids  # [CLS] [SEP]
        self._cls, self._sep = specials[0], specials[-1]

    def encode(self, text: str) -> Embedding:
        """The post's embedding (a blank post gives the embedding of the empty text)."""
        encoding = self.tokenizer.encode(text, add_special_tokens=False)
        ids = encoding.ids
        spans = [(int(a), int(b)) for a, b in encoding.offsets]
        window = self.max_tokens - 2
        total = np.zeros(self.dim, dtype=np.float64)
        pieces: list[Vector] = []
        count = 0
        for start in range(0, max(len(ids), 1), window):
            chunk = [self._cls, *ids[start : start + window], self._sep]
            hidden = self._run(chunk)
            total += hidden.sum(axis=0, dtype=np.float64)
            pieces.append(hidden[1:-1])
            count += len(chunk)
        mean = total / count
        norm = float(np.linalg.norm(mean)) or 1.0
        terms = np.concatenate(pieces, axis=0) / (count * norm)
        return Embedding(
            vector=(mean / norm).astype(np.float32),
            spans=tuple(spans),
            token_terms=terms.astype(np.float32),
        )

    def _run(self, ids: list[int]) -> Vector:
        batch = np.asarray([ids], dtype=np.int64)
        feed = {
            "input_ids": batch,
            "attention_mask": np.ones_like(batch),
            "token_type_ids": np.zeros_like(batch),
        }
        with self._lock:
            (hidden,) = self.session.run(["last_hidden_state"], feed)
        return np.asarray(hidden[0], dtype=np.float32)


@lru_cache(maxsize=4)
def load_encoder(name: str = DEFAULT_ENCODER, products: str = "auto") -> SentenceEncoder:
    """The process-wide encoder `name` (~17 MB, loads in ~0.2 s including the hash check)."""
    return SentenceEncoder(encoder_dir(name), products=products)


def single_thread_options() -> Any:
    """onnxruntime options for one thread: the stack forks a worker per core instead."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # the split graph leaves unused zero points: not news
    return options


@lru_cache(maxsize=1)
def int8_sums_exact() -> bool:
    """Whether this CPU's onnxruntime sums u8 x s8 products exactly (VNNI, or a kernel that
    widens first), asked once per process with the case that saturates 16-bit pair sums."""
    a = np.full((4, 64), 255, dtype=np.uint8)
    w = np.full((64, 16), 127, dtype=np.int8)
    got = run_product(matmul_integer(w), a)
    return bool(np.array_equal(got, a.astype(np.int64) @ w.astype(np.int64)))


def matmul_integer(weights: npt.NDArray[np.int8]) -> bytes:
    """A one-node graph: uint8 rows times `weights` (int8, zero point 0), summed in int32."""
    from onnx import TensorProto, helper, numpy_helper

    k, n = weights.shape
    graph = helper.make_graph(
        [helper.make_node("MatMulInteger", ["A", "W", "", "Wz"], ["Y"])],
        "product",
        [helper.make_tensor_value_info("A", TensorProto.UINT8, [None, k])],
        [helper.make_tensor_value_info("Y", TensorProto.INT32, [None, n])],
        [
            numpy_helper.from_array(weights, "W"),
            numpy_helper.from_array(np.zeros(n, np.int8), "Wz"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    return bytes(model.SerializeToString())


def run_product(model: bytes, a: npt.NDArray[np.uint8]) -> npt.NDArray[np.int32]:
    """`model` (from `matmul_integer`, maybe split) run on `a` by this CPU's onnxruntime."""
    import onnxruntime as ort

    session = ort.InferenceSession(
        model, single_thread_options(), providers=["CPUExecutionProvider"]
    )
    (got,) = session.run(None, {"A": a})
    return np.asarray(got, dtype=np.int32)


def split_products(model_bytes: bytes) -> bytes:
    """The graph with each int8 weight matrix W of a MatMulInteger replaced by [W1 | W2], W1 =
    W clipped to +-64 and W2 = W - W1 (both within 7 bits), and the two halves of the product
    added: A @ W1 + A @ W2 == A @ W, summed exactly even where pairs of 8-bit products would
    saturate. One product twice as wide, not two: it packs better."""
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load_from_string(model_bytes)
    weights = {i.name: i for i in model.graph.initializer}
    nodes = []
    for node in model.graph.node:
        b_name = node.input[1] if node.op_type == "MatMulInteger" else ""
        if b_name not in weights:
            nodes.append(node)
            continue
        w = numpy_helper.to_array(weights[b_name])
        if w.dtype != np.int8 or w.ndim != 2:
            nodes.append(node)
            continue
        zero = node.input[3] if len(node.input) > 3 else ""
        if zero and np.any(numpy_helper.to_array(weights[zero])):
            raise EncoderError(f"{node.name}: weights with a zero point cannot be split")
        wide = w.astype(np.int16)
        high = np.clip(wide, -_SEVEN_BITS, _SEVEN_BITS)
        both = np.concatenate([high, wide - high], axis=1).astype(np.int8)
        cols = w.shape[1]
        out = node.output[0]
        model.graph.initializer.extend(
            [
                numpy_helper.from_array(both, f"{b_name}/split"),
                numpy_helper.from_array(np.zeros(2 * cols, np.int8), f"{b_name}/split_zero"),
                numpy_helper.from_array(np.array([cols, cols], np.int64), f"{b_name}/halves"),
            ]
        )
        a_zero = node.input[2] if len(node.input) > 2 else ""
        nodes += [
            helper.make_node(
                "MatMulInteger",
                [node.input[0], f"{b_name}/split", a_zero, f"{b_name}/split_zero"],
                [f"{out}/both"],
            ),
            helper.make_node(
                "Split", [f"{out}/both", f"{b_name}/halves"], [f"{out}/1", f"{out}/2"], axis=-1
            ),
            helper.make_node("Add", [f"{out}/1", f"{out}/2"], [out]),
        ]
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    used = {name for node in nodes for name in node.input}
    kept = [i for i in model.graph.initializer if i.name in used]
    del model.graph.initializer[:]
    model.graph.initializer.extend(kept)
    return bytes(model.SerializeToString())
