"""The social NER's training data and the PERSON F1 measure (the training itself runs by hand)."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import spacy
from spacy.tokens import Span

from detectors.evaluation import Counts, token_offsets
from devkit.training.person_f1 import score
from devkit.training.social_ner_data import annotate, school_posts, with_case_copies


def _teacher(text: str, ents: list[tuple[int, int, str]]) -> spacy.tokens.Doc:
    doc = spacy.blank("en")(text)
    doc.ents = [doc.char_span(s, e, label=label) for s, e, label in ents]  # type: ignore[misc]
    assert all(isinstance(e, Span) for e in doc.ents)
    return doc


def test_annotate_keeps_gold_names_and_never_labels_handles_or_hashtags() -> None:
    text = "RT @NikoWavy : Allen Iverson visits Leeds #Trump"
    teacher = _teacher(
        text, [(3, 12, "PERSON"), (15, 28, "ORG"), (36, 41, "GPE"), (43, 48, "PERSON")]
    )
    ents = annotate(text, [(3, 12), (15, 28), (42, 48)], [(36, 41, "GPE")], teacher)
    assert [(text[s:e], label) for s, e, label in ents] == [
        ("Allen Iverson", "PERSON"),  # gold wins over the teacher's ORG
        ("Leeds", "GPE"),
    ]


def test_generated_school_posts_mark_names_not_titles() -> None:
    posts = school_posts(200, random.Random(1))
    assert len(posts) == 200
    for text, ents in posts:
        for s, e, label in ents:
            assert label == "PERSON"
            assert text[s:e].split()[0].rstrip(".") not in {"Mr", "Mrs", "Ms", "Miss", "Dr"}
    names = {text[s:e] for text, ents in posts for s, e, _ in ents}
    assert not names & {"Lily-Mae Thompson", "Oliver Bennett", "Ethan Walsh", "Harry Finch"}


def test_case_copies_keep_offsets() -> None:
    items = [("Well done Amelia", [(10, 16, "PERSON")]), ("Straße Zoë", [])]
    out = with_case_copies(items, random.Random(0), lower=1.0, upper=1.0)
    assert ("well done amelia", [(10, 16, "PERSON")]) in out
    assert ("WELL DONE AMELIA", [(10, 16, "PERSON")]) in out
    assert all(len(t) == len(items[0][0]) for t, e in out if e)  # "STRASSE" is skipped


def test_token_overlap_f1() -> None:
    row = {
        "text": "@bob and Ann Lee met Tom",
        "tokens": ["@bob", "and", "Ann", "Lee", "met", "Tom"],
        "spans": [
            {"start": 0, "end": 4, "label": "PERSON", "mention": True},
            {"start": 9, "end": 16, "label": "PERSON", "mention": False},
            {"start": 21, "end": 24, "label": "PERSON", "mention": False},
        ],
    }
    assert token_offsets(row["text"], row["tokens"])[2] == (9, 12)  # type: ignore[arg-type]
    # Predicted: the handle (left out of both sides, as in `postwarden eval`), "Ann" and "met".
    result = score([row], [[(0, 4), (9, 12), (17, 20)]])
    assert (result.tp, result.fp, result.fn) == (1, 1, 2)
    assert Counts(1, 1, 2).f1 == 2 * 0.5 * (1 / 3) / (0.5 + 1 / 3)


def test_placeholder_domains_become_real_looking_ones_reproducibly() -> None:
    from devkit.training.train_sections import TLDS, realistic_addresses

    text = "see h o t . example / uk, xxxtube dot example/v/1 and oakfield.example"
    out = realistic_addresses(text, "batch:1")
    assert "example" not in out and out == realistic_addresses(text, "batch:1")
    assert any(f". {t} / uk" in out for t in TLDS)
    assert realistic_addresses("an example of good work", "x") == "an example of good work"


def test_thresholds_keep_clean_posts_flagged_within_the_budget() -> None:
    import numpy as np

    from devkit.training.train_sections import recall_table, thresholds

    rng = np.random.default_rng(0)
    y = np.zeros((200, 2), dtype=bool)
    y[:20, 0] = True
    y[20:40, 1] = True
    p = rng.uniform(0, 0.5, size=(200, 2))
    p[y] += 0.4  # positives score higher, with overlap
    for budget in (0.0, 0.05, 0.2):
        cut, flagged = thresholds(p, y, budget)
        clean = ~y.any(axis=1)
        assert flagged == float((p[clean] >= np.array(cut)).any(axis=1).mean()) <= budget
    loose, _ = thresholds(p, y, 0.2)
    tight, _ = thresholds(p, y, 0.05)
    assert all(
        a >= b for a, b in zip(recall_table(p, y, loose), recall_table(p, y, tight), strict=True)
    )


def _two_heads(*, seed: int, shift: float) -> tuple[np.ndarray, np.ndarray]:
    """Raw scores of two heads over 300 posts, 30 positives each, positives `shift` higher."""
    rng = np.random.default_rng(seed)
    y = np.zeros((300, 2), dtype=bool)
    y[:30, 0] = True
    y[30:60, 1] = True
    z = rng.normal(0, 1, size=(300, 2))
    z[y] += shift
    return z, y


def test_low_thresholds_follow_their_own_budget() -> None:
    """`low` (the support a cue-word finding needs) is chosen at `--low-budget` when given, so a
    tighter `medium` budget need not take the support away."""
    from devkit.training.train_sections import choose

    z, y = _two_heads(seed=1, shift=2.0)
    default = choose(z, y, 0.06, "log")
    given = choose(z, y, 0.06, "log", low_budget=0.24)
    assert given.medium == default.medium and given.platt == default.platt
    assert all(a <= b for a, b in zip(given.low, default.low, strict=True))
    assert given.low != default.low
    assert choose(z, y, 0.08, "log").low == given.low  # three times 0.08 is 0.24


def test_a_section_budget_keeps_that_heads_medium_threshold() -> None:
    """`--section-budget 8.4=0.06`: that head's `medium` comes from the walk at its own budget,
    every other head's from `--budget`."""
    from devkit.training.train_sections import choose

    z, y = _two_heads(seed=2, shift=1.5)
    tight, loose = choose(z, y, 0.05, "log"), choose(z, y, 0.2, "log")
    mixed = choose(z, y, 0.05, "log", section_budgets={0: 0.2})
    assert mixed.medium == [loose.medium[0], tight.medium[1]]
    assert mixed.medium[0] < tight.medium[0]  # the looser budget reaches lower on that head
    assert mixed.low == tight.low


def test_log_objective_does_not_starve_the_hard_head() -> None:
    """Head 0 is easy (three positives per step down), head 1 hard (one per step): macro recall
    spends the budget on head 0; the sum of log recalls gives head 1 more of it."""
    import numpy as np

    from devkit.training.train_sections import recall_table, thresholds

    n_clean, n_pos = 100, 30
    y = np.zeros((n_clean + 2 * n_pos, 2), dtype=bool)
    y[n_clean : n_clean + n_pos, 0] = True
    y[n_clean + n_pos :, 1] = True
    p = np.zeros(y.shape)
    # Clean posts: head 0 scores them 0.50-0.59, head 1 0.30-0.39 (ten steps down each); the
    # posts one head scores high the other scores low, so each step flags new clean posts.
    p[:n_clean, 0] = 0.50 + np.repeat(np.arange(10), 10)[::-1] / 100
    p[:n_clean, 1] = 0.30 + np.repeat(np.arange(10), 10) / 100
    # Head 0's positives sit three to a step; head 1's one to a step, the rest below every
    # clean post.
    p[n_clean : n_clean + n_pos, 0] = 0.505 + np.repeat(np.arange(10), 3)[::-1] / 100
    p[n_clean + n_pos :, 1] = np.r_[0.305 + np.arange(10)[::-1] / 100, np.full(20, 0.1)]
    for objective in ("sum", "log"):
        cut, flagged = thresholds(p, y, 0.3, objective)
        assert flagged <= 0.3
    by_sum = recall_table(p, y, thresholds(p, y, 0.3, "sum")[0])
    by_log = recall_table(p, y, thresholds(p, y, 0.3, "log")[0])
    assert min(by_log) > min(by_sum), (by_sum, by_log)  # the hard head gets more
    assert sum(by_sum) >= sum(by_log)  # at some cost to macro recall on this toy


def test_out_of_fold_scores_never_see_their_own_batch() -> None:
    """A batch's scores come from heads fitted without it: flipping that batch's labels leaves
    them as they were and changes the other batches'. A head whose other batches hold one class
    only scores the batch -inf (it cannot set a threshold)."""
    import numpy as np
    from scipy.sparse import csr_matrix

    from devkit.training.train_sections import Features, out_of_fold

    rng = np.random.default_rng(1)
    n = 90
    groups = ["a"] * 30 + ["b"] * 30 + ["c"] * 30
    y = np.zeros((n, 2), dtype=bool)
    y[::3, 0] = True
    y[60::4, 1] = True  # head 1: positives only in batch c
    x = rng.normal(size=(n, 6)) + y[:, :1] * 1.5
    f = Features(csr_matrix(np.abs(x)), x)
    fit = {"c_words": 1.0, "c_emb": 1.0, "mix": 0.5}
    z = out_of_fold(f, y, groups, **fit)
    flipped = y.copy()
    flipped[:30, 0] = ~flipped[:30, 0]
    z2 = out_of_fold(f, flipped, groups, **fit)
    assert np.array_equal(z[:30, 0], z2[:30, 0])
    assert not np.allclose(z[30:, 0], z2[30:, 0])
    assert np.isneginf(z[60:, 1]).all() and np.isfinite(z[:60, 1]).all()


def test_a_bad_batch_line_names_its_number(tmp_path: Path) -> None:
    import pytest

    from devkit.training.train_sections import read_batch

    path = tmp_path / "b.jsonl"
    path.write_text('{"text": "ok", "sections": []}\n{"text": "x", "sections": ["9.9"]}\n')
    with pytest.raises(SystemExit, match="line 2"):
        read_batch(path)


def test_social_ner_fit_is_deterministic_and_learns() -> None:
    """`fit` (shared by train_social_ner and train_name_tagger's half-NERs) on a few tweets: the
    same seed gives the same averaged weights, and they differ from the base model's."""
    from devkit.training.person_f1 import load_rows
    from devkit.training.train_social_ner import BASE_MODEL, EVAL, NOT_NER, fit

    rows = load_rows(EVAL / "train" / "wnut17_train.jsonl")[:16]
    first = fit(rows, random.Random(3), seed=3, epochs=1, school=8)
    again = fit(rows, random.Random(3), seed=3, epochs=1, school=8)
    base = spacy.load(BASE_MODEL, exclude=NOT_NER)
    assert first.pipe_names == ["ner"]
    assert first.get_pipe("ner").to_bytes() == again.get_pipe("ner").to_bytes()
    assert first.get_pipe("ner").to_bytes() != base.get_pipe("ner").to_bytes()


def _ner_row(text: str, names: list[str], handles: list[str]) -> dict[str, object]:
    spans = [
        {"start": text.index(n), "end": text.index(n) + len(n), "label": "PERSON",
         "mention": n in handles, "hashtag": False}
        for n in [*names, *handles]
    ]  # fmt: skip
    return {"text": text, "spans": spans, "tokens": text.split()}


def test_name_tagger_training_labels_names_and_leaves_handles_out_of_the_loss() -> None:
    import numpy as np

    from detectors.encoder import load_encoder
    from devkit.training.train_name_tagger import encode, f1_at, fit_head

    rows = [
        _ner_row(f"{name} met @{handle} at the market today", [name], [f"@{handle}"])
        for name, handle in [
            ("Sarah Jones", "bobsmith"), ("Kwame", "thegrocer"), ("Priya Patel", "citynews"),
            ("Tom", "kate_m"), ("Aisha Khan", "weatherguy"), ("Liam O'Neill", "busfan"),
        ]
    ] + [_ner_row("nothing to see at the market today", [], []) for _ in range(4)]  # fmt: skip
    votes: list[list[tuple[int, int]]] = [[] for _ in rows]
    data = encode(load_encoder(), rows, votes, seed=0)
    assert data.x.shape[0] == len(data.y) == len(data.ignore) == len(data.post)
    first = [i for i in range(len(data.post)) if data.post[i] == 0]
    pieces = [rows[0]["text"][a:b] for a, b in data.spans[0]]  # type: ignore[index]
    labelled = [p for p, i in zip(pieces, first, strict=True) if data.y[i]]
    ignored = [p for p, i in zip(pieces, first, strict=True) if data.ignore[i]]
    assert "".join(labelled).lower() == "sarahjones"
    assert "bob" in "".join(ignored) and not set(labelled) & set(ignored)
    coef, bias = fit_head(data.x[~data.ignore], data.y[~data.ignore], 1.0)
    probs = 1 / (1 + np.exp(-(data.x.astype(np.float64) @ coef + bias)))
    assert f1_at(data, probs, 0.5).f1 > 0.9  # it fits its own training rows


def test_finetune_experiment_holds_out_a_fixed_disjoint_tenth() -> None:
    from devkit.training.finetune_offensive import best_threshold, hold_out

    fit, held = hold_out(100)
    assert len(held) == 10 and len(fit) == 90
    assert set(fit) | set(held) == set(range(100)) and not set(fit) & set(held)
    assert hold_out(100) == (fit, held)  # the split the published figures were measured on
    y = np.array([0, 0, 0, 1, 1, 1])
    p = np.array([0.1, 0.2, 0.35, 0.4, 0.8, 0.9])
    threshold, f1 = best_threshold(y, p)
    assert 0.35 < threshold <= 0.4 and f1 == 1.0


def test_offensive_inputs_stacker_chooses_on_the_folds_only() -> None:
    from devkit.training.offensive_inputs import logit, stack

    y = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    useful = np.array([-3.0, -2.0, -2.5, -1.0, 1.0, 2.0, 2.5, 3.0])
    noise = np.array([0.5, -0.5, 0.2, -0.2, 0.4, -0.4, 0.1, -0.1])
    threshold, f1, dev_p = stack(y, np.c_[useful, noise], np.array([[-4.0, 0.0], [4.0, 0.0]]))
    assert f1 == 1.0 and 0.2 <= threshold < 0.9
    assert dev_p[0] < threshold <= dev_p[1]  # dev is scored, never chosen on
    assert np.allclose(
        logit([0.5, 0.0, 1.0]), [0.0, np.log(1e-4 / (1 - 1e-4)), np.log((1 - 1e-4) / 1e-4)]
    )


REPO = Path(__file__).resolve().parents[2]
PROBE = sorted((REPO / "eval/probe").glob("*.jsonl"))
# Batches written for a candidate model and not shipped: trainable with --extra, so checked too.
CANDIDATES = sorted((REPO / "devkit/training/data/candidates_round11").glob("*.jsonl"))
BATCHES = sorted([*(REPO / "devkit/training/data/policy").glob("*.jsonl")] + PROBE + CANDIDATES)


def test_every_labelled_batch_is_found() -> None:
    names = {p.parent.name for p in BATCHES}
    assert names == {"policy", "probe", "candidates_round11"}, names


@pytest.mark.parametrize("path", BATCHES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_labelled_batch_reads_with_known_sections(path: Path) -> None:
    from devkit.training.train_sections import read_batch

    posts = read_batch(path)
    assert len(posts) >= 80  # a long-post set of two writers holds 80
    assert len({p.id for p in posts}) == len(posts), "ids are unique"


def test_no_measured_post_is_in_the_training_data() -> None:
    """The probe sets the shipped heads were not trained on, and policy_dev, measure the heads:
    none of their posts may be trained on. The probe sets they were trained on are named in the
    read list (read_probes.txt), never anywhere else."""
    import json

    from detectors.policy.sections import load_model
    from devkit.training.train_sections import READ_PROBES, read_batch, read_batches, read_list

    data = load_model().meta["data"]
    read = [path for path in read_list(READ_PROBES) if path.name in data]
    assert {p.name for p in PROBE if p.name in data} == {p.name for p in read}
    train, _ = read_batches()
    train += [p for path in [*CANDIDATES, *read] for p in read_batch(path)]
    trained = {" ".join(p.text.split()) for p in train}
    unread = [path for path in PROBE if path not in read]
    assert len(unread) >= 6, "new writers' sets stay out of sample"
    measured = [*unread, REPO.parent / "shared/eval/dev/policy_dev.jsonl"]
    for path in measured:
        for line in path.read_text(encoding="utf-8").splitlines():
            text = " ".join(json.loads(line)["text"].split())
            assert text not in trained, f"{path.name}: a measured post is in a training batch"


def test_the_read_probe_list_names_probe_sets_that_read(tmp_path: Path) -> None:
    """`--extra-list` batches: paths relative to the repository, comments and blanks skipped;
    the shipped list names probe sets only, and each reads as a labelled batch."""
    from devkit.training.train_sections import READ_PROBES, read_batch, read_list

    listing = tmp_path / "list.txt"
    listing.write_text("# a comment\n\neval/probe/probe_a.jsonl  # the first set\n")
    assert read_list(listing) == [REPO / "eval/probe/probe_a.jsonl"]
    read = read_list(READ_PROBES)
    assert read and set(read) <= set(PROBE)
    assert set(PROBE) - set(read), "some probe sets stay unread measurements"
    assert all(len(read_batch(path)) >= 90 for path in read)
