"""The sentence encoder: one embedding per post, shared by every head that reads it.

A MiniLM encoder (ONNX, int8) run by onnxruntime, with its WordPiece tokenizer from `tokenizers`;
no torch, nothing downloaded. The files live in detectors/models/<name>/ with a manifest of their
sha256 (checked on load: a truncated or swapped file fails loudly, never scores silently) and
the script that rebuilds them (devkit/training/build_encoder.py).

An embedding is the mean of the last layer's token vectors, scaled to unit length. Because that
is a sum over tokens, a linear head's score splits exactly into one share per token
(`Embedding.shares`): the words that weighed most are known without running the model again.
Posts longer than the model's window are encoded in consecutive windows and pooled together.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt

MODELS_DIR: Final = Path(__file__).resolve().parent / "models"
DEFAULT_ENCODER: Final = "minilm-l3-int8"
MANIFEST: Final = "manifest.json"

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

    def __init__(self, directory: Path, *, verify: bool = True) -> None:
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
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(
            str(directory / "model.onnx"), options, providers=["CPUExecutionProvider"]
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
def load_encoder(name: str = DEFAULT_ENCODER) -> SentenceEncoder:
    """The process-wide encoder `name` (~17 MB, loads in ~0.2 s including the hash check)."""
    return SentenceEncoder(encoder_dir(name))
