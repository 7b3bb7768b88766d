"""Section 8.5: a specific pupil's behaviour, needs, health, family or safeguarding, discussed
in public — with a name ("Jayden in 4B has been struggling since his dad left") or without
("a Year 3 boy was sent home for biting").

A sentence is flagged when it refers to one particular child (a child's name or a singular
"a pupil / this boy / one of our Year 4 girls") and a sensitive topic is in the same sentence or
the next one. Group news ("Year 6 learnt about healthy eating", "anti-bullying week") is not a
specific pupil and is not flagged. A child named in such a sentence is also identified (8.4):
the name is given beside what must not be said about them ("Kian kicked off in the arithmetic
paper, snapped his ruler").
"""

from __future__ import annotations

from typing import Final

from presidio_analyzer.nlp_engine import NlpArtifacts

from core.findings import Finding, Severity
from core.sections import Section
from detectors.cues import cues
from detectors.knowledge import NO_KNOWLEDGE, AccountKnowledge
from detectors.names import PostView, view
from detectors.pupil_identification import identified_children

DETECTOR_NAME: Final = "pupils_discussed"
SECTION: Final = Section.PUPILS_DISCUSSED
_TOPIC_WORDS: Final = {
    "behaviour": "behaviour",
    "needs": "special educational needs",
    "health": "health",
    "family": "family circumstances",
    "safeguarding": "safeguarding matters",
}


def explanation(topics: list[str], named: bool) -> str:
    words = " and ".join(sorted({_TOPIC_WORDS.get(t, t) for t in topics}))
    who = "a named or identifiable pupil" if named else "a particular pupil, even without a name"
    return (
        f"This post discusses {who}: their {words}. Section 8.5 of the Social Media Policy says "
        "pupils must never be discussed on social media. Remove the post and, if it raises a "
        "concern about the child, tell the school's safeguarding lead."
    )


class PupilsDiscussedDetector:
    """Specific child + sensitive topic, sentence by sentence."""

    name: Final = DETECTOR_NAME

    def detect(self, text: str, artifacts: NlpArtifacts) -> list[Finding]:
        return self.detect_for(text, artifacts, NO_KNOWLEDGE)

    def detect_for(
        self, text: str, artifacts: NlpArtifacts, knowledge: AccountKnowledge
    ) -> list[Finding]:
        post = view(text, artifacts)
        c = cues()
        topic_hits = {
            name: [m.start() for m in pattern.finditer(text)] for name, pattern in c.topics.items()
        }
        if not any(topic_hits.values()):
            return []
        named, shaped = _named_children(post, knowledge)
        generic = [m.start() for m in c.specific_child.finditer(text)]
        found = []
        for i, (s, e) in enumerate(post.sentences):
            has_name = any(s <= start < e for start in named)
            has_child = has_name or any(s <= g < e for g in [*shaped, *generic])
            if not has_child:
                continue
            nxt = post.sentences[i + 1][1] if i + 1 < len(post.sentences) else e
            topics = [
                name for name, starts in topic_hits.items() if any(s <= t < nxt for t in starts)
            ]
            if not topics:
                continue
            start, end = _trim(text, s, e)
            if end <= start:
                continue
            if has_name:
                found.append(_identified(post, named, s, e))
            found.append(
                Finding(
                    type="PUPIL_DISCUSSED",
                    start=start,
                    end=end,
                    score=0.8 if has_name else 0.6,
                    section=SECTION,
                    severity=Severity.HIGH if has_name else Severity.MEDIUM,
                    explanation=explanation(topics, has_name),
                    detector=DETECTOR_NAME,
                )
            )
        return found


IDENTIFIED_EXPLANATION: Final = (
    "A child is named in this post while their behaviour, needs, health or family are "
    "discussed, which identifies them. Section 8.4 of the Social Media Policy forbids posting "
    "anything that discloses a pupil's identity: remove the name."
)


def _identified(post: PostView, named: list[int], start: int, end: int) -> Finding:
    """The first child's name in a discussed sentence (a name the models read, as every start in
    `named` is): naming the child identifies them (8.4). Held back with the 8.5 finding unless a
    section head reads the post as about a pupil (sections.corroborate; either head supports
    both)."""
    name = min(
        (n for n in post.names if n.start in named and start <= n.start < end),
        key=lambda n: n.start,
    )
    return Finding(
        type="PUPIL_IDENTIFIED",
        start=name.start,
        end=name.end,
        score=0.8,
        section=Section.PUPIL_IDENTITY,
        severity=Severity.HIGH,
        explanation=IDENTIFIED_EXPLANATION,
        detector=DETECTOR_NAME,
    )


def _named_children(post: PostView, knowledge: AccountKnowledge) -> tuple[list[int], list[int]]:
    """Starts of a child's names: (names the models read, linked to a cue or not an adult's;
    capitalised words linked to a child cue that no model called a name). Only the first make a
    finding HIGH: "Y12 Politics" beside a cue is a shape, not a child."""
    said = {n.start for n in post.names}
    linked = {s for s, _ in identified_children(post, knowledge)}
    plain = {
        n.start
        for n in post.names
        if not n.adult and not knowledge.is_staff(post.text[n.start : n.end])
    }
    named = plain | (linked & said)
    return sorted(named), sorted(linked - named)


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
