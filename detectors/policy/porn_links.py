"""Section 8.14: links to pornographic sites, by list and by the words in the address.

Links are found with or without a scheme (`https://x.com/a`, `www.x.com`, bare `x.com/a`). A link
is flagged when its host is a listed domain (or a subdomain of one) or under a listed top-level
domain (packs/pornographic.yaml), or, for any other site, when its host or path reads as adult
(`address_words`, or two different `weak_address_words`, after undoing digit-for-letter spellings
and removing `innocent_words` such as Essex). Links written to dodge filters ("h o t s i t e .
example / uk", "site[.]com", "site (dot) com") are read back into addresses first, with offsets
kept. No request is made: shortened links are expanded by the connectors, which put the expanded
address into the post text, where it is judged like any other.
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
# Ways of writing an address so that filters miss it.
_BRACKET_DOT: Final = re.compile(r"\s*[\[({]\s*(?:\.|dot)\s*[\])}]\s*", re.IGNORECASE)
_SPACED_SEP: Final = re.compile(r"\s+([./])\s+|\s+dot\s+(?=[a-z]{2,}\b)", re.IGNORECASE)
_SPACED_LETTERS: Final = re.compile(r"(?<!\S)(?:[A-Za-z0-9] ){3,}[A-Za-z0-9](?!\S)")
_HINT: Final = re.compile(r"\s[./]\s|[\[({]\s*(?:\.|dot)\s*[\])}]|\sdot\s|(?:\b\w ){3}", re.I)
_LEET: Final = str.maketrans("013457$@", "oieastsa")


class PornLinkDetector:
    """Every link whose host is listed or whose address reads as an adult site."""

    name = DETECTOR_NAME

    def __init__(self, packs: PackSet, pack_name: str = "pornographic") -> None:
        pack = packs.get(pack_name)
        if not isinstance(pack, DomainPack):
            raise PackError(f"pack {pack_name!r} has kind {pack.kind!r}, expected 'domains'")
        self.pack = pack
        self._domains = frozenset(pack.domains)
        self._tlds = frozenset(pack.tlds)
        self._strong = tuple(w.lower() for w in pack.address_words)
        self._weak = tuple(w.lower() for w in pack.weak_address_words)
        self._innocent = tuple(sorted((w.lower() for w in pack.innocent_words), key=len)[::-1])

    def validate_result(self, host: str) -> bool:
        """True when `host` is a listed domain, a subdomain of one, or under a listed TLD."""
        labels = host.lower().rstrip(".").split(".")
        if labels[-1] in self._tlds:
            return True
        return any(".".join(labels[i:]) in self._domains for i in range(len(labels) - 1))

    def reads_as_adult(self, host: str, path: str = "") -> bool:
        """Whether the address's words mark an adult site (no list of sites needed)."""
        address = f"{host} {path}".lower()
        for word in self._innocent:
            address = address.replace(word, " ")
        address = address.translate(_LEET) + " " + address
        if any(word in address for word in self._strong):
            return True
        return len({word for word in self._weak if word in address}) >= 2

    def detect(self, text: str, artifacts: NlpArtifacts | None) -> list[Finding]:
        """One finding per flagged link; the span is the whole link as written."""
        findings = self._links(text, list(range(len(text) + 1)))
        if _HINT.search(text):
            plain, where = deobfuscate(text)
            seen = {(f.start, f.end) for f in findings}
            for f in self._links(plain, where):
                if not any(f.start < b and a < f.end for a, b in seen):
                    findings.append(f)
        return findings

    def _links(self, text: str, where: list[int]) -> list[Finding]:
        findings = []
        pack = self.pack
        for match in PATTERNS["link"].finditer(text):
            host, path = match.group("host"), match.group("path") or ""
            if self.validate_result(host):
                severity, explanation, score = pack.severity, pack.explanation, 0.95
            elif self.reads_as_adult(host, path):
                why = pack.address_explanation or pack.explanation
                severity, explanation, score = pack.address_severity, why, 0.8
            else:
                continue
            end = match.end()
            while end > match.start() and text[end - 1] in ".,;:!?)]}":
                end -= 1
            findings.append(
                Finding(
                    type=pack.type,
                    start=where[match.start()],
                    end=where[end - 1] + 1,
                    score=score,
                    section=pack.section,
                    severity=severity,
                    explanation=explanation,
                    detector=DETECTOR_NAME,
                )
            )
        return findings


def deobfuscate(text: str) -> tuple[str, list[int]]:
    """The text with dodged addresses written plainly, and for each of its characters (plus one
    past the end) the offset of the character it came from."""
    chars = list(text)
    where = list(range(len(text)))

    def apply(pattern: re.Pattern[str], replace: str | None) -> None:
        nonlocal chars, where
        joined = "".join(chars)
        out: list[str] = []
        pos: list[int] = []
        last = 0
        for m in pattern.finditer(joined):
            out += chars[last : m.start()]
            pos += where[last : m.start()]
            if replace is None:  # spaced letters: keep the letters, drop the spaces
                for i in range(m.start(), m.end()):
                    if not chars[i].isspace():
                        out.append(chars[i])
                        pos.append(where[i])
            else:
                sep = m.group(1) if m.lastindex else replace
                out.append(sep or replace)
                pos.append(where[m.start()])
            last = m.end()
        chars, where = out + chars[last:], pos + where[last:]

    apply(_BRACKET_DOT, ".")
    apply(_SPACED_LETTERS, None)
    apply(_SPACED_SEP, ".")
    return "".join(chars), [*where, len(text)]
