"""Section 8.16: impersonating another person."""

from __future__ import annotations

from detectors.policy.rules import RulePackDetector


class ImpersonationDetector(RulePackDetector):
    """Posing as someone, posting from a borrowed account, fake profiles (packs/impersonation.yaml).

    Warnings about someone else's fake account (a school telling parents to report it) and
    role play in lessons are excluded by the pack.
    """

    PACK = "impersonation"
