"""Section 8.13: endorsing or criticising the school's service providers.

The supplier list is the trust's own (packs/suppliers.yaml, extended in
POSTWARDEN_DETECTION__PACKS_DIR).
A supplier named with no praise or criticism nearby is not flagged: telling parents to pay for a
trip through the payments app is fine. Criticism outranks praise when both are near.
"""

from __future__ import annotations

from presidio_analyzer.nlp_engine import NlpArtifacts

from core.findings import Finding
from detectors.policy.matching import Tokens, compile_terms, finditer, found_in
from detectors.policy.packs import PackError, PackSet, SupplierPack

DETECTOR_NAME = "policy:suppliers"


class SupplierDetector:
    """A supplier's name with an endorsing or criticising cue within the pack's window."""

    name = DETECTOR_NAME

    def __init__(self, packs: PackSet, pack_name: str = "suppliers") -> None:
        pack = packs.get(pack_name)
        if not isinstance(pack, SupplierPack):
            raise PackError(f"pack {pack_name!r} has kind {pack.kind!r}, expected 'suppliers'")
        self.pack = pack
        names = [n for s in pack.suppliers for n in (s.name, *s.aliases)]
        self._names = compile_terms(names)
        self._endorse = compile_terms(pack.endorse)
        self._criticise = compile_terms(pack.criticise)
        self._exclude = compile_terms(pack.exclude)

    def detect(self, text: str, artifacts: NlpArtifacts | None) -> list[Finding]:
        """One finding per supplier mention that carries praise or criticism."""
        tokens = Tokens.of(text, artifacts)
        findings = []
        for match in finditer(self._names, text):
            lo, hi = tokens.window(match.start(), match.end(), self.pack.window)
            if found_in(self._exclude, text, lo, hi):
                continue
            if found_in(self._criticise, text, lo, hi):
                severity = self.pack.criticise_severity
                explanation = self.pack.criticise_explanation
            elif found_in(self._endorse, text, lo, hi):
                severity, explanation = self.pack.severity, self.pack.explanation
            else:
                continue
            findings.append(
                Finding(
                    type=self.pack.type,
                    start=match.start(),
                    end=match.end(),
                    score=0.6,
                    section=self.pack.section,
                    severity=severity,
                    explanation=explanation,
                    detector=DETECTOR_NAME,
                )
            )
        return findings
