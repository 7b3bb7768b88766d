"""Section 10: staff posting their own date of birth, home address or bank details."""

from __future__ import annotations

from detectors.policy.rules import RulePackDetector


class StaffDetailsDetector(RulePackDetector):
    """A date, address or account number beside a first-person cue (packs/staff_details.yaml)."""

    PACK = "staff_details"
