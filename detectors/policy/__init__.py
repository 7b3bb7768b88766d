"""Policy-pack detectors: their lists and rules in YAML (detectors/packs/), one file a section.

`policy_detectors(packs_dir)` builds every detector the stack runs after Presidio. Every pack of
`kind: rules` (shipped or the trust's own) is one `RulePackDetector`: a new keyword rule is one
YAML file and one test row, no code. Packs of the other kinds (suppliers, pornographic links,
slurs, the offensive classifier) have a detector class each, because they do more than match;
shared passwords and codes (shared_credentials.py) need no pack.
The section classifier (sections.py) reads every section from the whole post and is OR-ed with
the packs: a post is flagged when any of them finds it.
A trust's own folder (setting `detection.packs_dir`, env POSTWARDEN_DETECTION__PACKS_DIR)
extends or replaces the shipped packs.
"""

from __future__ import annotations

from pathlib import Path

from detectors.encoder import SentenceEncoder
from detectors.policy.offensive import OffensiveClassifierDetector
from detectors.policy.packs import PackError, PackSet, RulePack, load_packs
from detectors.policy.porn_links import PornLinkDetector
from detectors.policy.rules import RulePackDetector
from detectors.policy.sections import SectionClassifierDetector
from detectors.policy.shared_credentials import SharedCredentialsDetector
from detectors.policy.slurs import SlurDetector
from detectors.policy.suppliers import SupplierDetector

PolicyDetector = (
    RulePackDetector
    | SupplierDetector
    | PornLinkDetector
    | SlurDetector
    | OffensiveClassifierDetector
    | SectionClassifierDetector
    | SharedCredentialsDetector
)

# Packs whose detector does more than match rules.
_SPECIAL = (SupplierDetector, PornLinkDetector, SlurDetector)


def policy_detectors(
    packs_dir: Path | None = None,
    packs: PackSet | None = None,
    *,
    encoder: SentenceEncoder | None = None,
    section_classifier: bool = True,
) -> list[PolicyDetector]:
    """Every policy detector, built from the shipped packs plus the trust's `packs_dir`, and
    (unless `section_classifier` is off) the section classifier. The classifiers read the
    sentence embeddings of `encoder` (default: the one their heads were trained on)."""
    packs = packs or load_packs(packs_dir)
    detectors: list[PolicyDetector] = [
        RulePackDetector(packs, name)
        for name, pack in sorted(packs.packs.items())
        if isinstance(pack, RulePack)
    ]
    detectors.extend(cls(packs) for cls in _SPECIAL)
    detectors.append(SharedCredentialsDetector())  # no list to read: words and a validator
    detectors.append(OffensiveClassifierDetector(packs, encoder=encoder))
    if section_classifier:
        detectors.append(SectionClassifierDetector(packs, encoder=encoder))
    return detectors


__all__ = [
    "OffensiveClassifierDetector",
    "PackError",
    "PackSet",
    "PornLinkDetector",
    "RulePackDetector",
    "SectionClassifierDetector",
    "SharedCredentialsDetector",
    "SlurDetector",
    "SupplierDetector",
    "load_packs",
    "policy_detectors",
]
