"""Section 8.14: links to pornographic sites, by domain list (packs/pornographic.yaml).

Links are found with or without a scheme (`https://x.com/a`, `www.x.com`, bare `x.com/a`); the
host matches a listed domain or any subdomain of it, or a listed top-level domain. Shortened
links (t.co, bit.ly) are not followed: Postwarden makes no outbound requests for post text.
"""

from __future__ import annotations

import re
from typing import Final

from presidio_analyzer.nlp_engine import NlpArtifacts

from core.findings import Finding
from detectors.policy.packs import DomainPack, PackError, PackSet

DETECTOR_NAME: Final = "policy:pornographic"

# A host of dot-separated labels (letters, digits, hyphens), an optional scheme and any path.
PATTERNS: Final = {
    "link": re.compile(
        r"(?<![\w@.-])(?:https?://)?(?:www\.)?"
        r"(?P<host>(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{1,62})"
        r"(?::\d{1,5})?(?P<path>/[^\s<>\"']*)?",
        re.IGNORECASE | re.ASCII,
    )
}


class PornLinkDetector:
    """Every link whose host is on the pack's domain or top-level-domain list."""

    name = DETECTOR_NAME

    def __init__(self, packs: PackSet, pack_name: str = "pornographic") -> None:
        pack = packs.get(pack_name)
        if not isinstance(pack, DomainPack):
            raise PackError(f"pack {pack_name!r} has kind {pack.kind!r}, expected 'domains'")
        self.pack = pack
        self._domains = frozenset(pack.domains)
        self._tlds = frozenset(pack.tlds)

    def validate_result(self, host: str) -> bool:
        """True when `host` is a listed domain, a subdomain of one, or under a listed TLD."""
        labels = host.lower().rstrip(".").split(".")
        if labels[-1] in self._tlds:
            return True
        return any(".".join(labels[i:]) in self._domains for i in range(len(labels) - 1))

    def detect(self, text: str, artifacts: NlpArtifacts | None) -> list[Finding]:
        """One finding per listed link; the span is the whole link."""
        findings = []
        for match in PATTERNS["link"].finditer(text):
            if not self.validate_result(match.group("host")):
                continue
            end = match.end()
            while end > match.start() and text[end - 1] in ".,;:!?)]}":
                end -= 1
            findings.append(
                Finding(
                    type=self.pack.type,
                    start=match.start(),
                    end=end,
                    score=0.95,
                    section=self.pack.section,
                    severity=self.pack.severity,
                    explanation=self.pack.explanation,
                    detector=DETECTOR_NAME,
                )
            )
        return findings
