"""Policy-pack detectors: their lists and rules in YAML (detectors/packs/), one file a section.

`policy_detectors(packs_dir)` builds every detector the stack runs after Presidio. Every pack of
`kind: rules` (shipped or the trust's own) is one `RulePackDetector`: a new keyword rule is one
YAML file and one test row, no code. Packs of the other kinds (suppliers, pornographic links,
slurs, the offensive classifier) have a detector class each, because they do more than match.
A trust's own folder (setting `detection.packs_dir`, env POSTWARDEN_DETECTION__PACKS_DIR)
extends or replaces the shipped packs.
"""

from __future__ import annotations

from pathlib import Path

from detectors.policy.offensive import OffensiveClassifierDetector
from detectors.policy.packs import PackError, PackSet, RulePack, load_packs
from detectors.policy.porn_links import PornLinkDetector
from detectors.policy.rules import RulePackDetector
from detectors.policy.slurs import SlurDetector
from detectors.policy.suppliers import SupplierDetector

PolicyDetector = (
    RulePackDetector
    | SupplierDetector
    | PornLinkDetector
    | SlurDetector
    | OffensiveClassifierDetector
)

# Packs whose detector does more than match rules.
_SPECIAL = (SupplierDetector, PornLinkDetector, SlurDetector, OffensiveClassifierDetector)


def policy_detectors(
    packs_dir: Path | None = None, packs: PackSet | None = None
) -> list[PolicyDetector]:
    """Every policy detector, built from the shipped packs plus the trust's `packs_dir`."""
    packs = packs or load_packs(packs_dir)
    detectors: list[PolicyDetector] = [
        RulePackDetector(packs, name)
        for name, pack in sorted(packs.packs.items())
        if isinstance(pack, RulePack)
    ]
    detectors.extend(cls(packs) for cls in _SPECIAL)
    return detectors


__all__ = [
    "OffensiveClassifierDetector",
    "PackError",
    "PackSet",
    "PornLinkDetector",
    "RulePackDetector",
    "SlurDetector",
    "SupplierDetector",
    "load_packs",
    "policy_detectors",
]
