"""A small linear text classifier (TF-IDF word and character n-grams) run with numpy alone.

Training (devkit/training/train_offensive.py) uses scikit-learn with the analyzers defined here, so
training and serving read text the same way; serving needs only numpy and a `.npz` of arrays
(loaded with `allow_pickle=False`: no pickled code ever runs). Because the model is linear, each
token's share of a post's score is known, which gives the span of the words that weighed most.

Format 2 adds, per head, an optional sentence-embedding term (detectors/encoder.py): the head's
logit is `mix * bag_of_words_logit + (1 - mix) * embedding_logit`, still linear in the tokens
(an embedding is a mean of token vectors), then Platt-calibrated (`calibration`, fitted on a
held-out batch) so the probability is a confidence a reviewer can read.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from detectors.encoder import Embedding

# URLs and @handles are replaced by placeholders (their spelling is noise), words are lower-cased
# with runs of 3+ identical letters cut to 2 ("sooooo" -> "soo"), every other non-space
# character (punctuation, emoji) is a token of its own, and '#' is dropped so hashtags read as
# words.
_TOKEN: Final = re.compile(
    r"(?P<url>https?://\S+|www\.\S+)|(?P<user>@\w+)|(?P<word>\w+)|(?P<sym>[^\w\s#])"
)
_REPEAT: Final = re.compile(r"(.)\1{2,}")
CHAR_NGRAMS: Final = (2, 5)
MODEL_FORMAT: Final = 2
FORMATS: Final = (1, 2)
TOP_WORDS: Final = 3


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
    """A probability, the token span that pushed it up most (None if no token did) and the
    spans of the (at most TOP_WORDS) words that weighed most, strongest first."""

    probability: float
    span: tuple[int, int] | None
    words: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class EmbeddingTerm:
    """A logistic regression on the sentence embedding, mixed into a head's logit."""

    coef: npt.NDArray[np.float64]
    bias: float
    mix: float  # weight of the bag-of-words logit; 1 - mix goes to this term


class LinearHead:
    """Sublinear TF-IDF per block, l2-normalised per block, then a logistic regression;
    optionally mixed with a logistic regression on the post's sentence embedding."""

    def __init__(
        self,
        blocks: Mapping[str, Block],
        bias: float,
        *,
        embedding: EmbeddingTerm | None = None,
        calibration: tuple[float, float] = (1.0, 0.0),
    ) -> None:
        self.blocks = dict(blocks)
        self.bias = float(bias)
        self.embedding = embedding
        self.calibration = (float(calibration[0]), float(calibration[1]))

    def score(self, text: str, embedding: Embedding | None = None) -> Score:
        return self.score_features(Featurized.of(text), embedding=embedding)

    def score_features(
        self,
        featurized: Featurized,
        threshold: float = 0.0,
        *,
        embedding: Embedding | None = None,
    ) -> Score:
        """Score pre-computed features; the span is worked out only at or above `threshold`,
        since attributing shares to tokens costs more than the score itself."""
        term = self.embedding
        if term is not None and embedding is None:
            raise ValueError("this head reads the sentence embedding: pass the post's embedding")
        logit = self.bias
        parts: list[tuple[str, _Vector, npt.NDArray[np.float64]]] = []
        for name, _ in _BLOCKS:
            block = self.blocks[name]
            vector = featurized.tfidf(name, block)
            if vector is None:
                continue
            weighted = vector[2] * block.coef[vector[1]]
            logit += float(weighted.sum())
            parts.append((name, vector, weighted))
        mix = 1.0
        if term is not None and embedding is not None:
            mix = term.mix
            logit = mix * logit + (1.0 - mix) * (term.bias + float(embedding.vector @ term.coef))
        scale, shift = self.calibration
        probability = _sigmoid(scale * logit + shift)
        tokens = featurized.tokens
        if probability < threshold or not tokens:
            return Score(probability, None)
        share = np.zeros(len(tokens))
        for name, (counts, _, _), weighted in parts:  # attribution: only when it will be shown
            feats = featurized.features[name]
            contrib = dict(zip(counts, weighted.tolist(), strict=True))
            for f, first, last in feats:
                c = contrib.get(f)
                if c is not None:
                    # Each occurrence of a feature gets its share of the feature's contribution.
                    share[first : last + 1] += c / counts[f] / (last - first + 1)
        share *= mix
        if term is not None and embedding is not None:
            _add_piece_shares(share, tokens, embedding, (1.0 - mix) * embedding.shares(term.coef))
        return _attributed(probability, tokens, share)


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, x))))


def _add_piece_shares(
    share: npt.NDArray[np.float64],
    tokens: list[Token],
    embedding: Embedding,
    pieces: npt.NDArray[np.float64],
) -> None:
    """Give each word piece's share to the token whose characters it starts in."""
    if not embedding.spans:
        return
    starts = np.fromiter((t.start for t in tokens), dtype=np.int64, count=len(tokens))
    ends = np.fromiter((t.end for t in tokens), dtype=np.int64, count=len(tokens))
    at = np.fromiter((a for a, _ in embedding.spans), dtype=np.int64, count=len(embedding.spans))
    index = np.searchsorted(starts, at, side="right") - 1
    inside = (index >= 0) & (at < ends[np.maximum(index, 0)])
    np.add.at(share, index[inside], pieces[inside])


def _attributed(probability: float, tokens: list[Token], share: npt.NDArray[np.float64]) -> Score:
    """The score with its most influential word (extended over neighbouring words that weighed
    at least half as much) and the words that weighed most."""
    if not tokens or share.max() <= 0:
        return Score(probability, None)
    best = int(np.argmax(share))
    lo = hi = best
    floor = share[best] / 2
    while lo > 0 and share[lo - 1] >= floor and hi - lo < 3:
        lo -= 1
    while hi + 1 < len(tokens) and share[hi + 1] >= floor and hi - lo < 3:
        hi += 1
    order = [int(i) for i in np.argsort(-share, kind="stable")[:TOP_WORDS] if share[i] > 0]
    words = tuple((tokens[i].start, tokens[i].end) for i in order)
    return Score(probability, (tokens[lo].start, tokens[hi].end), words)


@dataclass(frozen=True, slots=True)
class Featurized:
    """A post's tokens and features, computed once and shared by every head."""

    tokens: list[Token]
    features: Mapping[str, list[tuple[str, int, int]]]
    # TF-IDF vectors by (block, vocabulary): heads that share a vocabulary compute it once.
    _tfidf: dict[tuple[str, int], _Vector | None] = field(default_factory=dict)
    _counts: dict[str, Counter[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, text: str) -> Featurized:
        tokens = tokenize(text)
        return cls(tokens, {name: featurize(tokens) for name, featurize in _BLOCKS})

    def tfidf(self, name: str, block: Block) -> _Vector | None:
        """(counts, feature ids, l2-normalised sublinear TF-IDF values) of one block."""
        key = (name, id(block.vocab))
        if key not in self._tfidf:
            vocab = block.vocab
            every = self._counts.get(name)
            if every is None:  # once per block, whatever the number of vocabularies
                every = self._counts[name] = Counter(f for f, _, _ in self.features[name])
            counts = Counter({f: n for f, n in every.items() if f in vocab})
            if not counts:
                self._tfidf[key] = None
            else:
                ids = np.fromiter((vocab[f] for f in counts), dtype=np.intp, count=len(counts))
                tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
                values = (1.0 + np.log(tf)) * block.idf[ids]
                values /= np.linalg.norm(values)
                self._tfidf[key] = (counts, ids, values)
        return self._tfidf[key]


_Vector = tuple[Counter[str], npt.NDArray[np.intp], npt.NDArray[np.float64]]


class TextModel:
    """Several named heads (e.g. offensive, hate) loaded from one `.npz` file."""

    def __init__(self, heads: Mapping[str, LinearHead], meta: Mapping[str, Any]) -> None:
        self.heads = dict(heads)
        self.meta = dict(meta)

    @classmethod
    def load(cls, path: Path) -> TextModel:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(bytes(data["meta"]).decode("utf-8"))
            if meta.get("format") not in FORMATS:
                raise ValueError(f"{path}: model format {meta.get('format')!r} is not supported")
            heads = {}
            mixes = meta.get("mix", {})
            calibration = meta.get("calibration", {})
            shared = {
                name: _vocab(data, f"_shared.{name}")
                for name, _ in _BLOCKS
                if f"_shared.{name}.vocab" in data
            }
            for head in meta["heads"]:
                blocks = {}
                for name, _ in _BLOCKS:
                    vocab, idf = shared.get(name) or _vocab(data, f"{head}.{name}")
                    blocks[name] = Block(
                        vocab=vocab, idf=idf, coef=data[f"{head}.{name}.coef"].astype(np.float64)
                    )
                term = None
                if f"{head}.emb.coef" in data:
                    term = EmbeddingTerm(
                        coef=data[f"{head}.emb.coef"].astype(np.float64),
                        bias=float(data[f"{head}.emb.bias"]),
                        mix=float(mixes[head]),
                    )
                heads[head] = LinearHead(
                    blocks,
                    float(data[f"{head}.bias"]),
                    embedding=term,
                    calibration=_pair(calibration.get(head, (1.0, 0.0))),
                )
        return cls(heads, meta)

    @property
    def reads_embedding(self) -> bool:
        """Whether any head needs the post's sentence embedding."""
        return any(h.embedding is not None for h in self.heads.values())

    @staticmethod
    def save(
        path: Path,
        heads: Mapping[str, Mapping[str, Any]],
        meta: Mapping[str, Any],
        shared: Mapping[str, tuple[list[str], Any]] | None = None,
    ) -> None:
        """Write heads given as {head: {"bias": b, "word"|"char": (vocab, idf, coef)}}, each
        optionally with "embedding": (coef, bias, mix) and "calibration": (scale, shift)."""
        arrays: dict[str, npt.NDArray[Any]] = {}
        mixes: dict[str, float] = {}
        calibration: dict[str, list[float]] = {}
        for head, parts in heads.items():
            arrays[f"{head}.bias"] = np.array(parts["bias"], dtype=np.float64)
            if "embedding" in parts:
                coef, bias, mix = parts["embedding"]
                arrays[f"{head}.emb.coef"] = np.asarray(coef, dtype=np.float32)
                arrays[f"{head}.emb.bias"] = np.array(bias, dtype=np.float64)
                mixes[head] = float(mix)
            if "calibration" in parts:
                calibration[head] = [float(v) for v in parts["calibration"]]
            for name, _ in _BLOCKS:
                if shared and name in shared:  # heads with one vocabulary: only the weights
                    arrays[f"{head}.{name}.coef"] = np.asarray(parts[name], dtype=np.float32)
                    continue
                vocab, idf, coef = parts[name]
                _put_vocab(arrays, f"{head}.{name}", vocab, idf)
                arrays[f"{head}.{name}.coef"] = np.asarray(coef, dtype=np.float32)
        for name, (vocab, idf) in (shared or {}).items():
            _put_vocab(arrays, f"_shared.{name}", vocab, idf)
        full_meta = {
            "format": MODEL_FORMAT,
            "heads": list(heads),
            "mix": mixes,
            "calibration": calibration,
            **meta,
        }
        arrays["meta"] = np.frombuffer(json.dumps(full_meta).encode("utf-8"), dtype=np.uint8)
        with path.open("wb") as f:
            np.savez_compressed(f, **arrays)  # type: ignore[arg-type]


def _put_vocab(arrays: dict[str, npt.NDArray[Any]], key: str, vocab: list[str], idf: Any) -> None:
    if any("\n" in w for w in vocab):
        raise ValueError("a feature contains a newline")
    arrays[f"{key}.vocab"] = np.frombuffer("\n".join(vocab).encode("utf-8"), dtype=np.uint8)
    arrays[f"{key}.idf"] = np.asarray(idf, dtype=np.float32)


def _vocab(data: Any, key: str) -> tuple[dict[str, int], npt.NDArray[np.float64]]:
    words = bytes(data[f"{key}.vocab"]).decode("utf-8").split("\n")
    return {w: i for i, w in enumerate(words)}, data[f"{key}.idf"].astype(np.float64)


def _pair(values: Any) -> tuple[float, float]:
    scale, shift = values
    return float(scale), float(shift)
