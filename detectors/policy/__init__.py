"""Policy-pack detectors: one per policy section, their lists in YAML (detectors/packs/).

`policy_detectors(packs_dir)` builds every detector the stack runs after Presidio. A trust's
own folder (setting `packs_dir`, env POSTWARDEN_PACKS_DIR) extends or replaces the shipped packs;
a new file there of kind `rules` becomes a detector of its own.
"""

from __future__ import annotations

from pathlib import Path

from detectors.policy.confidential import ConfidentialDetector
from detectors.policy.derogatory import DerogatoryDetector
from detectors.policy.impersonation import ImpersonationDetector
from detectors.policy.offensive import OffensiveClassifierDetector
from detectors.policy.packs import PackError, PackSet, RulePack, load_packs
from detectors.policy.political import PoliticalDetector
from detectors.policy.porn_links import PornLinkDetector
from detectors.policy.rules import RulePackDetector
from detectors.policy.slurs import SlurDetector
from detectors.policy.staff_details import StaffDetailsDetector
from detectors.policy.suppliers import SupplierDetector

PolicyDetector = (
    RulePackDetector
    | SupplierDetector
    | PornLinkDetector
    | SlurDetector
    | OffensiveClassifierDetector
)

_BUILTIN = (
    ConfidentialDetector,
    DerogatoryDetector,
    PoliticalDetector,
    SupplierDetector,
    PornLinkDetector,
    SlurDetector,
    OffensiveClassifierDetector,
    ImpersonationDetector,
    StaffDetailsDetector,
)
_BUILTIN_PACKS = frozenset(
    {"confidential", "derogatory", "political", "suppliers", "pornographic", "offensive"}
    | {"impersonation", "staff_details"}
)


def policy_detectors(
    packs_dir: Path | None = None, packs: PackSet | None = None
) -> list[PolicyDetector]:
    """Every policy detector, built from the shipped packs plus the trust's `packs_dir`."""
    packs = packs or load_packs(packs_dir)
    detectors: list[PolicyDetector] = [cls(packs) for cls in _BUILTIN]
    for name, pack in packs.packs.items():
        if name not in _BUILTIN_PACKS and isinstance(pack, RulePack):
            detectors.append(RulePackDetector(packs, name))
    return detectors


__all__ = [
    "ConfidentialDetector",
    "DerogatoryDetector",
    "ImpersonationDetector",
    "OffensiveClassifierDetector",
    "PackError",
    "PackSet",
    "PoliticalDetector",
    "PornLinkDetector",
    "RulePackDetector",
    "SlurDetector",
    "StaffDetailsDetector",
    "SupplierDetector",
    "load_packs",
    "policy_detectors",
]
