"""Offensive or discriminatory words aimed at the school's own people also breach section 8.10.

Section 8.15 forbids offensive, obscene or discriminatory language wherever it is aimed; section
8.10 forbids derogatory or offensive remarks "towards the School, employees, pupils, pupils'
relatives". A slur about "our new international lot in Y12" or "another traveller family starting
with us" is both, and writers label it both (round 32: three of eleven such posts lost 8.10).
This step runs after `sections.corroborate`: an 8.15 finding that reaches review, in a sentence
(or the one before or after it) that names pupils, families or staff, adds one 8.10 finding over
the same words. It never flags a post that nothing else flags.
"""

from __future__ import annotations

import bisect
import re
from typing import Final

from core.findings import Finding, Severity
from core.sections import Section
from detectors.names import sentences as split_sentences

DETECTOR_NAME: Final = "policy:aimed"
EXPLANATION: Final = (
    "The offensive or discriminatory words in this post are aimed at the school's own pupils, "
    "their families or staff. Besides section 8.15, section 8.10 of the Social Media Policy "
    "forbids derogatory or offensive remarks towards the school, its employees, pupils and "
    "pupils' relatives: remove the post."
)
# The school's own people, in the words staff use for them.
_COMMUNITY: Final = re.compile(
    r"(?i)\b(?:pupils?|students?|kids|children|parents?|mums|dads|families|family|carers|"
    r"colleagues?|staff|teachers?|TAs|SLT|SMT|headteacher|head\s+of\s+\w+|(?:the|our|new)\s+head|"
    r"deputy|depute|DHT|probationers?|NQTs?|ECTs?|trainees?|supply|our\s+(?:new\s+)?[\w-]+\s+lot|"
    r"(?:year|yr|y)\s?(?:[1-9]|1[0-3])s?|reception|sixth\s+form|my\s+(?:class|form|tutor\s+group)|"
    r"(?:starting|joining|start|join)\s+(?:with\s+)?us|at\s+(?:our|this)\s+school|"
    r"(?:girls|boys|lads|lasses)\s+in\s+(?:my|our|(?-i:(?:1[0-3]|[1-9])[A-Z]{1,2}))|"
    r"whoever\s+(?:timetabled|organised|organized|planned|booked|decided|scheduled|thought|"
    r"wrote|set\s+up)"
    r")\b"
)


def _around(sentences: list[tuple[int, int]], at: int) -> tuple[int, int]:
    """From the start of the sentence before the one holding `at` to the end of the one after."""
    i = max(0, bisect.bisect_right([s for s, _ in sentences], at) - 1)
    return sentences[max(0, i - 1)][0], sentences[min(len(sentences) - 1, i + 1)][1]


def aimed_at_the_school(text: str, findings: list[Finding]) -> list[Finding]:
    """`findings`, plus one 8.10 finding when an 8.15 finding at review level is aimed at the
    school's pupils, families or staff and nothing already cites 8.10 at that level."""
    reviewed = [f for f in findings if f.severity.rank >= Severity.MEDIUM.rank]
    offences = [f for f in reviewed if f.section == Section.EQUALITY]
    if not offences or any(f.section == Section.DEROGATORY for f in reviewed):
        return findings
    sentences = split_sentences(text)
    for f in offences:
        start, end = _around(sentences, f.start)
        if _COMMUNITY.search(text, start, end) is not None:
            aimed = Finding(
                type="DEROGATORY",
                start=f.start,
                end=f.end,
                score=f.score,
                section=Section.DEROGATORY.value,
                severity=Severity.MEDIUM,
                explanation=EXPLANATION,
                detector=DETECTOR_NAME,
            )
            return [*findings, aimed]
    return findings
