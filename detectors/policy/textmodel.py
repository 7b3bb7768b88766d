"""A small linear text classifier (TF-IDF word and character n-grams) run with numpy alone.

Training (devkit/training/train_offensive.py) uses scikit-learn with the analyzers defined here, so
training and serving read text the same way; serving needs only numpy and a `.npz` of arrays
(loaded with `allow_pickle=False`: no pickled code ever runs). Because the model is linear, each
token's share of a post's score is known, which gives the span of the most offensive word.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

# URLs and @handles are replaced by placeholders (their spelling is noise), words are lower-cased
# with runs of 3+ identical letters cut to 2 ("sooooo" -> "soo"), every other non-space
# character (punctuation, emoji) is a token of its own, and '#' is dropped so hashtags read as
# words.
_TOKEN: Final = re.compile(
    r"(?P<url>https?://\S+|www\.\S+)|(?P<user>@\w+)|(?P<word>\w+)|(?P<sym>[^\w\s#])"
)
_REPEAT: Final = re.compile(r"(.)\1{2,}")
CHAR_NGRAMS: Final = (2, 5)
MODEL_FORMAT: Final = 1


@dataclass(frozen=True, slots=True)
class Token:
    """One normalised token and where it sits in the original text."""

    norm: str
    start: int
    end: int
    is_word: bool


def tokenize(text: str) -> list[Token]:
    """Normalised tokens of `text` with their original offsets."""
    tokens: list[Token] = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind == "url":
            tokens.append(Token("url", m.start(), m.end(), False))
        elif kind == "user":
            tokens.append(Token("@user", m.start(), m.end(), False))
        elif kind == "word":
            norm = _REPEAT.sub(r"\1\1", m.group().lower())
            tokens.append(Token(norm, m.start(), m.end(), True))
        else:
            tokens.append(Token(m.group(), m.start(), m.end(), False))
    return tokens


def word_features(tokens: list[Token]) -> list[tuple[str, int, int]]:
    """Word unigrams and bigrams, each with the indices of the tokens it covers."""
    feats = [(t.norm, i, i) for i, t in enumerate(tokens)]
    pairs = enumerate(zip(tokens, tokens[1:], strict=False))
    feats += [(f"{a.norm} {b.norm}", i, i + 1) for i, (a, b) in pairs]
    return feats


def char_features(tokens: list[Token]) -> list[tuple[str, int, int]]:
    """Character 2-5-grams inside each word, padded with a space at either end."""
    lo, hi = CHAR_NGRAMS
    feats: list[tuple[str, int, int]] = []
    for i, token in enumerate(tokens):
        if not token.is_word:
            continue
        padded = f" {token.norm} "
        for n in range(lo, min(hi, len(padded)) + 1):
            feats.extend((padded[k : k + n], i, i) for k in range(len(padded) - n + 1))
    return feats


def analyze_words(text: str) -> list[str]:
    """scikit-learn analyzer: the word features of `text`."""
    return [f for f, _, _ in word_features(tokenize(text))]


def analyze_chars(text: str) -> list[str]:
    """scikit-learn analyzer: the character features of `text`."""
    return [f for f, _, _ in char_features(tokenize(text))]


_BLOCKS: Final = (("word", word_features), ("char", char_features))


@dataclass(frozen=True, slots=True)
class Block:
    """One TF-IDF block: vocabulary, idf and the linear weight of each feature."""

    vocab: Mapping[str, int]
    idf: npt.NDArray[np.float64]
    coef: npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Score:
    """A probability and the token span that pushed it up most (None if no token did)."""

    probability: float
    span: tuple[int, int] | None


class LinearHead:
    """Sublinear TF-IDF per block, l2-normalised per block, then a logistic regression."""

    def __init__(self, blocks: Mapping[str, Block], bias: float) -> None:
        self.blocks = dict(blocks)
        self.bias = float(bias)

    def score(self, text: str) -> Score:
        return self.score_features(Featurized.of(text))

    def score_features(self, featurized: Featurized, threshold: float = 0.0) -> Score:
        """Score pre-computed features; the span is worked out only at or above `threshold`,
        since attributing shares to tokens costs more than the score itself."""
        logit = self.bias
        found: list[tuple[list[tuple[str, int, int]], Counter[str], dict[str, float]]] = []
        for name, _ in _BLOCKS:
            block = self.blocks[name]
            feats = featurized.features[name]
            counts = Counter(f for f, _, _ in feats if f in block.vocab)
            if not counts:
                continue
            ids = np.fromiter((block.vocab[f] for f in counts), dtype=np.intp, count=len(counts))
            tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
            values = tf * block.idf[ids]
            values /= np.linalg.norm(values)
            weighted = values * block.coef[ids]
            logit += float(weighted.sum())
            found.append((feats, counts, dict(zip(counts, weighted.tolist(), strict=True))))
        probability = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, logit))))
        tokens = featurized.tokens
        if probability < threshold or not tokens:
            return Score(probability, None)
        share = np.zeros(len(tokens))
        for feats, counts, contrib in found:
            for f, first, last in feats:
                c = contrib.get(f)
                if c is not None:
                    # Each occurrence of a feature gets its share of the feature's contribution.
                    share[first : last + 1] += c / counts[f] / (last - first + 1)
        span = None
        if share.max() > 0:
            best = int(np.argmax(share))
            span = (tokens[best].start, tokens[best].end)
        return Score(probability, span)


@dataclass(frozen=True, slots=True)
class Featurized:
    """A post's tokens and features, computed once and shared by every head."""

    tokens: list[Token]
    features: Mapping[str, list[tuple[str, int, int]]]

    @classmethod
    def of(cls, text: str) -> Featurized:
        tokens = tokenize(text)
        return cls(tokens, {name: featurize(tokens) for name, featurize in _BLOCKS})


class TextModel:
    """Several named heads (e.g. offensive, hate) loaded from one `.npz` file."""

    def __init__(self, heads: Mapping[str, LinearHead], meta: Mapping[str, Any]) -> None:
        self.heads = dict(heads)
        self.meta = dict(meta)

    @classmethod
    def load(cls, path: Path) -> TextModel:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(bytes(data["meta"]).decode("utf-8"))
            if meta.get("format") != MODEL_FORMAT:
                raise ValueError(f"{path}: model format {meta.get('format')!r} is not supported")
            heads = {}
            for head in meta["heads"]:
                blocks = {}
                for name, _ in _BLOCKS:
                    words = bytes(data[f"{head}.{name}.vocab"]).decode("utf-8").split("\n")
                    blocks[name] = Block(
                        vocab={w: i for i, w in enumerate(words)},
                        idf=data[f"{head}.{name}.idf"].astype(np.float64),
                        coef=data[f"{head}.{name}.coef"].astype(np.float64),
                    )
                heads[head] = LinearHead(blocks, float(data[f"{head}.bias"]))
        return cls(heads, meta)

    @staticmethod
    def save(path: Path, heads: Mapping[str, Mapping[str, Any]], meta: Mapping[str, Any]) -> None:
        """Write heads given as {head: {"bias": b, "word"|"char": (vocab, idf, coef)}}."""
        arrays: dict[str, npt.NDArray[Any]] = {}
        for head, parts in heads.items():
            arrays[f"{head}.bias"] = np.array(parts["bias"], dtype=np.float64)
            for name, _ in _BLOCKS:
                vocab, idf, coef = parts[name]
                if any("\n" in w for w in vocab):
                    raise ValueError("a feature contains a newline")
                arrays[f"{head}.{name}.vocab"] = np.frombuffer(
                    "\n".join(vocab).encode("utf-8"), dtype=np.uint8
                )
                arrays[f"{head}.{name}.idf"] = np.asarray(idf, dtype=np.float32)
                arrays[f"{head}.{name}.coef"] = np.asarray(coef, dtype=np.float32)
        full_meta = {"format": MODEL_FORMAT, "heads": list(heads), **meta}
        arrays["meta"] = np.frombuffer(json.dumps(full_meta).encode("utf-8"), dtype=np.uint8)
        with path.open("wb") as f:
            np.savez_compressed(f, **arrays)  # type: ignore[arg-type]
