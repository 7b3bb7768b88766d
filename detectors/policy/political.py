"""Section 8.11: political activity that looks as if it is on the school's or trust's behalf."""

from __future__ import annotations

from detectors.policy.rules import RulePackDetector


class PoliticalDetector(RulePackDetector):
    """Party appeals and campaigns, high beside a school affiliation (packs/political.yaml).

    Lessons about democracy, mock elections and school councils are excluded by the pack.
    """

    PACK = "political"
