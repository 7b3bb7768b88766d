"""The demo trust's tweets: every personal-data breach is flagged at or above the default review
threshold, and no clean tweet is (the queue must not flood with the office's number or "Year 5
loved their trip")."""

from __future__ import annotations

import json
from typing import Any

import pytest

from core.findings import Severity
from detectors.stack import DetectorStack
from devkit.sandbox.dataset import DEMO_DATASET
from review.domain.config import ReviewConfig

OURS = {"presidio", "pupils", "pupils:class", "pupils_discussed"}
THRESHOLD = ReviewConfig().min_severity
TWEETS: list[dict[str, Any]] = json.loads(DEMO_DATASET.read_text(encoding="utf-8"))["x"]["tweets"]
# Breaches of the personal-data sections (8.4, 8.5, 8.7); the others belong to policy packs.
PERSONAL = ("pupil", "parent's personal")


def _ours(stack: DetectorStack, text: str) -> list[tuple[str, Severity]]:
    return [(f.type, f.severity) for f in stack.detect(text) if f.detector in OURS]


def _full_text(tweet: dict[str, Any]) -> str:
    """A retweet's own text is a stub ("RT"); the connector scans the retweeted post's text."""
    by_id = {t["id"]: t for t in TWEETS}
    for ref in tweet.get("referenced_tweets", []):
        if ref.get("type") == "retweeted" and ref.get("id") in by_id:
            return str(by_id[ref["id"]]["text"])
    return str(tweet["text"])


@pytest.mark.parametrize(
    "tweet",
    [t for t in TWEETS if any(word in t.get("note", "") for word in PERSONAL)],
    ids=lambda t: t["id"],
)
def test_personal_data_breaches_open_review_items(
    stack: DetectorStack, tweet: dict[str, Any]
) -> None:
    found = _ours(stack, _full_text(tweet))
    assert Severity.highest([s for _, s in found]).rank >= THRESHOLD.rank, found


@pytest.mark.parametrize("tweet", [t for t in TWEETS if "note" not in t], ids=lambda t: t["id"])
def test_clean_tweets_open_nothing(stack: DetectorStack, tweet: dict[str, Any]) -> None:
    found = _ours(stack, tweet["text"])
    assert [(t, s) for t, s in found if s.rank >= THRESHOLD.rank] == []


@pytest.mark.parametrize(
    ("fragment", "types"),
    [
        ("Lily-Mae Thompson", {"PUPIL_IDENTIFIED", "DATE_OF_BIRTH"}),
        ("Jayden in 4B", {"PUPIL_IDENTIFIED", "PUPIL_DISCUSSED"}),
        ("Ashdown Crescent", {"PUPIL_IDENTIFIED", "PUPIL_HOME"}),
        ("Karen Doyle", {"PHONE_NUMBER", "EMAIL_ADDRESS"}),
        ("Ethan Walsh", {"PUPIL_IDENTIFIED"}),
        ("Harry Finch", {"PUPIL_IDENTIFIED"}),
    ],
)
def test_each_breach_for_the_right_reason(
    stack: DetectorStack, fragment: str, types: set[str]
) -> None:
    (tweet,) = [t for t in TWEETS if fragment in t["text"]]
    found = {t for t, s in _ours(stack, tweet["text"]) if s.rank >= THRESHOLD.rank}
    assert types <= found
