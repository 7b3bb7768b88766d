"""The demo trust configures its own suppliers, as a trust would: criticism of a caterer is found
with or without the list, and with it the finding points at the supplier's name."""

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


@pytest.mark.parametrize(
    ("packs", "spans"),
    [
        (None, set()),  # found without any list (issue 10), by reading the post
        (DEMO_PACKS, {"Dunmore Catering Ltd"}),  # the trust's list puts the span on the name
    ],
)
def test_supplier_criticism_is_found_and_the_trusts_list_names_the_supplier(
    sqlite_settings: Settings, packs: Path | None, spans: set[str]
) -> None:
    stack = DetectorStack.build(StackConfig(packs_dir=packs, workers=1))
    text = _text(DUNMORE)
    try:
        found = [f for f in stack.detect(text) if f.type == "SUPPLIER" and f.section == "8.13"]
    finally:
        stack.close()
    assert {str(f.severity) for f in found} == {"medium"}
    named = {text[f.start : f.end] for f in found} & {"Dunmore Catering Ltd"}
    assert named == spans
