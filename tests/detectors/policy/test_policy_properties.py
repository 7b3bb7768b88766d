"""Properties of every policy detector on arbitrary text: no crash, spans in bounds, the same
answer twice. Hostile post text must never stop a run."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detectors.policy import PackSet, policy_detectors

# Arbitrary Unicode (lone surrogates included) mixed with fragments the detectors react to, so
# the search reaches their matching code and not only the "nothing found" path.
FRAGMENTS = [
    "Ofsted",
    " outcome ",
    "budget deficit",
    "Labour",
    " vote ",
    "our school",
    "Chartwells",
    " useless ",
    "www.pornhub.com/x",
    "http://a.xxx",
    " retard ",
    '"',
    "the word",
    "fucking",
    "posting as",
    " account ",
    "date of birth",
    "12/03/1986",
    "sort code",
    "20-45-77",
    "LE2 3AB",
    "42 Elm Grove",
    "I live at",
    "İ",
    "ß",
    "\u0130",
    "\ufb01",
    "\u200d",
    "😂",
    "\n",
]
TEXT = st.lists(st.one_of(st.text(max_size=30), st.sampled_from(FRAGMENTS)), max_size=12).map(
    "".join
)


@pytest.fixture(scope="module")
def detectors(packs: PackSet) -> list:
    return policy_detectors(packs=packs)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=TEXT)
def test_any_text_gives_in_bounds_deterministic_findings(detectors: list, text: str) -> None:
    for detector in detectors:
        first = detector.detect(text, None)
        assert first == detector.detect(text, None), detector.name
        for f in first:
            assert 0 <= f.start <= f.end <= len(text), (detector.name, f)
            assert f.end > f.start, (detector.name, f)
            assert 0 < f.score <= 1
            assert f.section and f.explanation


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=TEXT.map(lambda t: "".join(c for c in t if not "\ud800" <= c <= "\udfff")))
def test_with_spacy_artifacts_spans_stay_in_bounds(
    detectors: list, artifacts_for, text: str
) -> None:
    artifacts = artifacts_for(text)
    for detector in detectors:
        found = detector.detect(text, artifacts)
        assert found == detector.detect(text, artifacts), detector.name
        assert all(0 <= f.start < f.end <= len(text) for f in found), detector.name
