"""PERSON names read from the sentence encoder's token vectors, with the social NER as a witness.

Why: the social NER (a small spaCy CNN) misses half the names in tweets written elsewhere, and its
recall is the gap (docs/detectors.md). The stack already runs the sentence encoder on every post
for the section heads, so every word piece's contextual vector is there for free. A logistic
regression over each piece's vector, its neighbours' vectors, the shape of its word (the encoder
is uncased, so capitals come from here) and whether the social NER called it a person decides,
piece by piece, whether it belongs to a name; positive pieces are joined into names. Trained on
WNUT-17 and Broad Twitter Corpus train with @handles and #hashtags left out
(devkit/training/train_name_tagger.py); the NER's votes it learned from were made by NER models
that had not seen those tweets, so it learned how far to trust them. Serving is numpy only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from detectors.encoder import Embedding

MODEL_PATH: Final = Path(__file__).resolve().parent / "models" / "name_tagger.npz"
FEATURES_VERSION: Final = 1
TITLES: Final = frozenset({"mr", "mrs", "ms", "miss", "dr", "sir", "prof", "mx"})
_WORD: Final = re.compile(r"\S+")
_INITIAL: Final = re.compile(r" [A-Z]\.(?=\s|$)")
_EDGE: Final = ".,!?:;\"'()[]"
_SHAPES: Final = (
    "piece starts upper",
    "piece all upper",
    "word title case",
    "word all upper",
    "word all lower",
    "word has digit",
    "word starts @ or #",
    "first piece of word",
    "starts a sentence",
    "after a title",
    "word is an address",
    "piece is a symbol",
    "word of 1-2 letters",
    "post in one case",
)
SHAPE_DIM: Final = len(_SHAPES)
Spans = list[tuple[int, int]]
Matrix = npt.NDArray[np.float32]


def shape_features(text: str, spans: Sequence[tuple[int, int]]) -> Matrix:
    """Per word piece, the shape of the piece and of its whitespace-delimited word."""
    words = [m.span() for m in _WORD.finditer(text)]
    out = np.zeros((len(spans), SHAPE_DIM), np.float32)
    one_case = text.isupper() or text.islower()
    w = 0
    for k, (a, b) in enumerate(spans):
        while w < len(words) and words[w][1] <= a:
            w += 1
        ws, we = words[w] if w < len(words) else (a, b)
        word, piece = text[ws:we], text[a:b]
        core = word.strip(_EDGE)
        before = text[words[w - 1][0] : words[w - 1][1]] if 0 < w <= len(words) else ""
        out[k] = (
            piece[:1].isupper(),
            piece.isupper() and len(piece) > 1,
            bool(core) and core[:1].isupper() and core[1:].islower(),
            core.isupper() and len(core) > 1,
            core.islower(),
            any(c.isdigit() for c in word),
            word[:1] in "@#",
            a == ws,
            w == 0 or before[-1:] in ".!?:",
            before.lower().rstrip(".") in TITLES,
            "http" in word or "www." in word or ".com" in word,
            not piece[:1].isalnum(),
            len(core) <= 2,
            one_case,
        )
    return out


def _neighbours(x: Matrix) -> tuple[Matrix, Matrix]:
    """Each row's previous and next row (zeros at the ends)."""
    pad = np.zeros((1, x.shape[1]), x.dtype)
    return np.vstack([pad, x[:-1]]), np.vstack([x[1:], pad])


def piece_vectors(embedding: Embedding) -> Matrix:
    """The encoder's last-layer vector of each word piece, unit length (the embedding keeps them
    scaled by the pooling, which differs between posts)."""
    terms = np.asarray(embedding.token_terms, dtype=np.float32)
    norms = np.linalg.norm(terms, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return terms / norms


def piece_features(
    text: str, spans: Sequence[tuple[int, int]], vectors: Matrix, ner: Sequence[tuple[int, int]]
) -> Matrix:
    """One row per word piece: its vector, shape and NER vote, and its neighbours' (the same
    function builds training and serving rows)."""
    shapes = shape_features(text, spans)
    vote = np.array([[any(a < e and s < b for s, e in ner)] for a, b in spans], np.float32)
    vote = vote.reshape(len(spans), 1)
    parts = [vectors, shapes, *_neighbours(vectors), *_neighbours(shapes), vote]
    parts.extend(_neighbours(vote))
    return np.hstack(parts).astype(np.float32)


def join_pieces(text: str, spans: Sequence[tuple[int, int]], positive: Sequence[bool]) -> Spans:
    """Names from positive pieces: neighbours joined across a space or hyphen ("Lily-Mae
    Thompson"), each name widened to whole words (a piece inside a word takes the word)."""
    out: Spans = []
    for (a, b), hit in zip(spans, positive, strict=True):
        if not hit:
            continue
        if out and text[out[-1][1] : a] in {"", " ", "-", "'", "’"}:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    widened = []
    for a, b in out:
        while a > 0 and text[a - 1].isalnum():
            a -= 1
        while b < len(text) and text[b].isalnum():
            b += 1
        if text[b : b + 1] == "." and b - a > 1 and text[b - 1].isupper() and text[b - 2] == " ":
            b += 1
        elif _INITIAL.match(text, b):  # "Amelia W.": schools' first name and initial
            b += 3
        if b - a > 2 and text[b - 2 : b].lower() in {"'s", "’s"}:
            b -= 2  # "Kofi Annan's biographer": the name without the possessive
        widened.append((a, b))
    return widened


@dataclass(frozen=True, slots=True)
class NameTagger:
    """The trained weights: `coef @ features + bias`, a piece is in a name at `threshold`."""

    coef: npt.NDArray[np.float32]
    bias: float
    threshold: float
    meta: dict[str, Any]

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> NameTagger:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(bytes(data["meta"]).decode("utf-8"))
            if meta.get("features_version") != FEATURES_VERSION:
                raise ValueError(
                    f"{path}: features version {meta.get('features_version')!r}, expected "
                    f"{FEATURES_VERSION}: retrain it (devkit/training/train_name_tagger.py)"
                )
            return cls(
                coef=data["coef"].astype(np.float32),
                bias=float(data["bias"]),
                threshold=float(meta["threshold"]),
                meta=meta,
            )

    def save(self, path: Path) -> None:
        meta = {**self.meta, "features_version": FEATURES_VERSION, "threshold": self.threshold}
        with path.open("wb") as f:
            np.savez_compressed(
                f,
                coef=self.coef.astype(np.float32),
                bias=np.array(self.bias, dtype=np.float64),
                meta=np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8),
            )

    def check_encoder(self, sha256: str) -> None:
        """The token vectors must come from the encoder the weights were trained on."""
        trained = self.meta["encoder"]["sha256"]
        if sha256 != trained:
            raise ValueError(
                f"the name tagger was trained on encoder {self.meta['encoder']['name']} "
                f"({trained[:12]}), not on this one ({sha256[:12]}): retrain it "
                "(devkit/training/train_name_tagger.py) or set POSTWARDEN_DETECTION__NAME_TAGGER"
                "=false"
            )

    def probabilities(
        self, text: str, embedding: Embedding, ner: Sequence[tuple[int, int]]
    ) -> npt.NDArray[np.float64]:
        """Per word piece of `embedding`, the probability that it is part of a person's name."""
        if not embedding.spans:
            return np.zeros(0)
        rows = piece_features(text, embedding.spans, piece_vectors(embedding), ner)
        logits = rows.astype(np.float64) @ self.coef.astype(np.float64) + self.bias
        return 1.0 / (1.0 + np.exp(-logits))

    def names(self, text: str, embedding: Embedding, ner: Sequence[tuple[int, int]]) -> Spans:
        """Character spans of the person names in `text` (`ner`: the social NER's PERSON
        spans, @handles, #hashtags and addresses already trimmed off)."""
        probs = self.probabilities(text, embedding, ner)
        return join_pieces(text, embedding.spans, list(probs >= self.threshold))


@lru_cache(maxsize=2)
def load_name_tagger(path: Path = MODEL_PATH) -> NameTagger:
    """The process-wide name tagger (a few hundred KB of weights)."""
    return NameTagger.load(path)
