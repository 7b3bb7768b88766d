"""The numpy classifier reproduces scikit-learn exactly, and the shipped model beats the
alt-profanity-check baseline on the TweetEval dev splits (../shared/eval/dev)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

from detectors.encoder import load_encoder
from detectors.policy.offensive import load_model
from detectors.policy.packs import OffensivePack, load_packs
from detectors.policy.textmodel import TextModel, analyze_chars, analyze_words, tokenize

DEV = Path(__file__).resolve().parents[4] / "shared" / "eval" / "dev"

TRAIN = [
    ("you are a stupid idiot", 1),
    ("what a lovely day at the seaside", 0),
    ("shut up you moron!!!", 1),
    ("thanks for the great concert tonight", 0),
    ("@user go away loser https://t.co/x", 1),
    ("#proud of our year 6 choir", 0),
    ("idiot idiot idiot", 1),
    ("sports day is on friday", 0),
]


def test_tokens_keep_original_offsets() -> None:
    text = "Sooooo ANGRY @someone #fail https://t.co/abc 😂"
    tokens = tokenize(text)
    assert [t.norm for t in tokens] == ["soo", "angry", "@user", "fail", "url", "😂"]
    assert all(text[t.start : t.end].lower().startswith(t.norm[:1]) for t in tokens[:2])
    assert text[tokens[4].start : tokens[4].end] == "https://t.co/abc"


def test_numpy_serving_reproduces_scikit_learn(tmp_path: Path) -> None:
    texts, y = [t for t, _ in TRAIN], np.array([label for _, label in TRAIN])
    word = TfidfVectorizer(analyzer=analyze_words, sublinear_tf=True)
    char = TfidfVectorizer(analyzer=analyze_chars, sublinear_tf=True)
    x = hstack([word.fit_transform(texts), char.fit_transform(texts)]).tocsr()
    lr = LogisticRegression(C=10).fit(x, y)
    nw = len(word.vocabulary_)
    parts = {"bias": float(lr.intercept_[0])}
    for name, vec, coef in (("word", word, lr.coef_[0][:nw]), ("char", char, lr.coef_[0][nw:])):
        vocab = vec.get_feature_names_out().tolist()
        parts[name] = (vocab, vec.idf_, coef)  # type: ignore[assignment]
    path = tmp_path / "m.npz"
    TextModel.save(path, {"toy": parts}, {"note": "test"})
    served = TextModel.load(path)
    probes = ["you idiot", "lovely concert", "", "😂😂", "SHUT UP loser @x", "unseen words only"]
    want = lr.predict_proba(hstack([word.transform(probes), char.transform(probes)]).tocsr())[:, 1]
    got = [served.heads["toy"].score(p).probability for p in probes]
    assert np.allclose(want, got, atol=1e-5)
    assert served.meta["note"] == "test"


def test_loading_refuses_an_unknown_format(tmp_path: Path) -> None:
    path = tmp_path / "bad.npz"
    meta = json.dumps({"format": 99, "heads": []}).encode()
    np.savez(path, meta=np.frombuffer(meta, dtype=np.uint8))
    with pytest.raises(ValueError, match="format 99"):
        TextModel.load(path)


def _dev(name: str) -> tuple[list[str], np.ndarray]:
    rows = [json.loads(line) for line in (DEV / name).read_text(encoding="utf-8").splitlines()]
    return [r["text"] for r in rows], np.array([r["label"] for r in rows])


@pytest.mark.parametrize(
    ("head", "corpus"),
    [("offensive", "tweeteval_offensive_dev.jsonl"), ("hate", "tweeteval_hate_dev.jsonl")],
)
def test_shipped_model_beats_alt_profanity_check_on_dev(head: str, corpus: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import profanity_check

        texts, y = _dev(corpus)
        baseline = f1_score(y, profanity_check.predict(texts), average="macro")
    model = load_model().heads[head]
    encoder = load_encoder(load_model().meta["encoder"]["name"])
    pack = load_packs().get("offensive")
    assert isinstance(pack, OffensivePack)
    cut = pack.offensive_medium_threshold if head == "offensive" else pack.hate_medium_threshold
    probabilities = [model.score(t, encoder.encode(t)).probability for t in texts]
    ours = f1_score(y, [p >= cut for p in probabilities], average="macro")
    assert ours > baseline + 0.05, (ours, baseline)


def test_a_head_that_reads_embeddings_refuses_a_post_without_one() -> None:
    with pytest.raises(ValueError, match="embedding"):
        load_model().heads["offensive"].score("hello")
