"""The engine behind the context-rule packs (kind: rules): trigger, context, exclusion, window.

A rule fires where one of its terms or patterns matches, if (when the rule lists context) a
context cue is within `window` tokens and no exclusion cue is. An escalation cue anywhere in the
post raises the severity (e.g. a school affiliation next to a party-political appeal). The
section-specific detectors are this class bound to one pack.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from presidio_analyzer.nlp_engine import NlpArtifacts

from core.findings import Finding, Severity
from detectors.policy.matching import Tokens, compile_terms, finditer, found_in
from detectors.policy.packs import PackError, PackSet, Rule, RulePack


@dataclass(frozen=True, slots=True)
class _CompiledRule:
    rule: Rule
    trigger: re.Pattern[str]
    context: re.Pattern[str] | None
    exclude: re.Pattern[str] | None
    escalate: re.Pattern[str] | None
    severity: Severity
    explanation: str


class RulePackDetector:
    """Findings from one rules pack (confidential, derogatory, political, impersonation...)."""

    def __init__(self, packs: PackSet, name: str) -> None:
        pack = packs.get(name)
        if not isinstance(pack, RulePack):
            raise PackError(f"pack {name!r} has kind {pack.kind!r}, expected 'rules'")
        self.pack = pack
        self.name = f"policy:{name}"
        self._rules = [self._compile(rule) for rule in pack.rules]

    def _compile(self, rule: Rule) -> _CompiledRule:
        trigger = compile_terms(rule.terms, rule.patterns)
        assert trigger is not None  # a Rule always has terms or patterns
        return _CompiledRule(
            rule=rule,
            trigger=trigger,
            context=compile_terms(rule.context, rule.context_patterns),
            exclude=compile_terms(rule.exclude),
            escalate=compile_terms(rule.escalate),
            severity=rule.severity or self.pack.severity,
            explanation=rule.explanation or self.pack.explanation,
        )

    def detect(self, text: str, artifacts: NlpArtifacts | None) -> list[Finding]:
        """One finding per trigger match that has its context and no exclusion nearby."""
        tokens = Tokens.of(text, artifacts)
        findings: list[Finding] = []
        for compiled in self._rules:
            rule = compiled.rule
            escalated: bool | None = None  # read once, and only when a trigger stands
            for match in finditer(compiled.trigger, text):
                lo, hi = tokens.window(match.start(), match.end(), rule.window)
                if compiled.context is not None and not found_in(compiled.context, text, lo, hi):
                    continue
                if found_in(compiled.exclude, text, lo, hi):
                    continue
                severity = compiled.severity
                if escalated is None:
                    escalated = found_in(compiled.escalate, text, 0, len(text))
                if escalated and rule.escalate_severity.rank > severity.rank:
                    severity = rule.escalate_severity
                findings.append(
                    Finding(
                        type=self.pack.type,
                        start=match.start(),
                        end=match.end(),
                        score=rule.score,
                        section=self.pack.section,
                        severity=severity,
                        explanation=compiled.explanation,
                        detector=f"{self.name}:{rule.name}",
                    )
                )
        return findings
