"""An 8.15 finding aimed at the school's own people also cites 8.10; nothing else does."""

from __future__ import annotations

import pytest

from core.findings import Finding, Severity
from detectors.policy.aimed import DETECTOR_NAME, aimed_at_the_school

H, M, L = Severity.HIGH, Severity.MEDIUM, Severity.LOW


def _finding(text: str, words: str, section: str, severity: Severity) -> Finding:
    start = text.index(words)
    return Finding(
        type="DISCRIMINATORY" if section == "8.15" else "DEROGATORY",
        start=start,
        end=start + len(words),
        score=0.9,
        section=section,
        severity=severity,
        explanation="test",
        detector="policy:slurs",
    )


# (post, the 8.15 words, their severity, other findings (words, section, severity), 8.10 added)
CASES = [
    (
        "Half our new international lot in Y12 can barely string a sentence together 😂 send "
        "them back to Beijing",
        "send them back",
        M,
        [],
        True,
    ),
    (
        "Heard another traveller family's starting with us in September. Lock up your bikes 🙄",
        "Lock up your bikes",
        M,
        [],
        True,
    ),
    # round 33: a new colleague is one of the school's people
    (
        "Did ye see the troosers on the new probationer fae Glasgow? Right wee poof 😂😂",
        "poof",
        H,
        [],
        True,
    ),
    # round 37: a class's girls told what they will become
    (
        "Told the girls in 10P not to bother, it's a bloke's world and half of them will be "
        "pregnant by 18 anyway",
        "girls",
        M,
        [],
        True,
    ),
    # round 38: the colleague who timetabled it
    (
        "whoever timetabled debate club into L3 is an actual retard, there's 30 of them",
        "retard",
        H,
        [],
        True,
    ),
    # aimed at no one in the school: 8.15 only
    ("Some absolute bellend cut me up on the A38 this morning", "bellend", H, [], False),
    # held at low: it opens no review item, so neither does the 8.10 it would imply
    ("Half the Y9 parents are useless muppets", "muppets", L, [], False),
    # 8.10 already reaches review: no second line for it
    (
        "The parents at our place are morons, every one of them",
        "morons",
        M,
        [("morons", "8.10", M)],
        False,
    ),
    # the school's people named two sentences away from the words
    (
        "Year 6 trip was lovely. The coach was late. Then some bloke on the motorway called me a "
        "slag. Charming.",
        "slag",
        M,
        [],
        False,
    ),
]


@pytest.mark.parametrize(("text", "words", "severity", "others", "added"), CASES)
def test_offence_aimed_at_pupils_families_or_staff_also_cites_8_10(
    text: str,
    words: str,
    severity: Severity,
    others: list[tuple[str, str, Severity]],
    added: bool,
) -> None:
    findings = [_finding(text, words, "8.15", severity)]
    findings += [_finding(text, w, s, sev) for w, s, sev in others]
    out = aimed_at_the_school(text, findings)
    assert out[: len(findings)] == findings  # nothing taken away or changed
    aimed = [f for f in out if f.detector == DETECTOR_NAME]
    if not added:
        assert aimed == []
        return
    assert len(aimed) == 1
    (f,) = aimed
    assert (f.section, f.type, f.severity) == ("8.10", "DEROGATORY", M)
    assert text[f.start : f.end] == words
    assert "8.10" in f.explanation and "pupils" in f.explanation
