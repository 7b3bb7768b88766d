"""Section 8.10: derogatory or defamatory remarks about the school community."""

from __future__ import annotations

from detectors.policy.rules import RulePackDetector


class DerogatoryDetector(RulePackDetector):
    """Put-downs near a school-community target, and serious accusations (packs/derogatory.yaml)."""

    PACK = "derogatory"
