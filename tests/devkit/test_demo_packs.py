"""The demo trust configures its own suppliers, as a trust would, and the demo flags them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from detectors.config import StackConfig
from detectors.stack import DetectorStack
from devkit.demo.run import DEMO_PACKS
from devkit.sandbox.server import DEMO_DATASET
from postwarden.settings import Settings

DUNMORE = "2120145702559429596"  # the caterer called useless and incompetent


def _text(tweet_id: str) -> str:
    tweets = json.loads(Path(DEMO_DATASET).read_text(encoding="utf-8"))["x"]["tweets"]
    return next(t["text"] for t in tweets if t["id"] == tweet_id)


@pytest.mark.parametrize(("packs", "expected"), [(None, set()), (DEMO_PACKS, {"medium"})])
def test_supplier_criticism_needs_the_trusts_supplier_list(
    sqlite_settings: Settings, packs: Path | None, expected: set[str]
) -> None:
    stack = DetectorStack.build(StackConfig(packs_dir=packs, workers=1))
    try:
        found = stack.detect(_text(DUNMORE))
    finally:
        stack.close()
    assert {str(f.severity) for f in found if f.type == "SUPPLIER" and f.section == "8.13"} == (
        expected
    )
