"""Policy-detector fixtures: the shipped packs, and spaCy artifacts from the shared stack."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from presidio_analyzer.nlp_engine import NlpArtifacts

from detectors.nlp import LANGUAGE
from detectors.policy import PackSet, load_packs
from detectors.stack import DetectorStack


@pytest.fixture(scope="session")
def packs() -> PackSet:
    return load_packs()


@pytest.fixture(scope="session")
def artifacts_for(stack: DetectorStack) -> Callable[[str], NlpArtifacts]:
    """spaCy artifacts of a text, as the stack hands them to every detector."""

    def process(text: str) -> NlpArtifacts:
        return stack.nlp_engine.process_text(text, LANGUAGE)

    return process
