"""Section 8.9: confidential school, trust or partner information (packs/confidential.yaml)."""

from __future__ import annotations

from detectors.policy.rules import RulePackDetector


class ConfidentialDetector(RulePackDetector):
    """Unpublished inspection outcomes, budget trouble, staff matters, exam content, casework."""

    PACK = "confidential"
