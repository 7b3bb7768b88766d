"""Section 8.4: posts that identify a pupil — a roster name, a child's name beside their year
group, class, age, birthday, team or home, a pupil's street, or a pupil's own @handle.

A name on its own is low severity (it is usually an adult's, or a first name that identifies
no-one); the same name beside a child cue is high severity. A titled or role-named adult
("Mrs Patel, our new SENCo") and the trust's own staff are never taken for pupils.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from presidio_analyzer.nlp_engine import NlpArtifacts
from spacy.tokens import Token

from core.findings import Finding, Severity
from core.sections import Section
from detectors.cues import cues
from detectors.hashing import normalise
from detectors.knowledge import NO_KNOWLEDGE, AccountKnowledge
from detectors.names import PostView, is_adult, name_shapes, view

DETECTOR_NAME: Final = "pupils"
# A child named beside their class or form ("Jayden in 4B", "Laiba Shah, 8H", "by Rhys Pemberton,
# Year 13") or as someone's pupil ("as Poppy's teacher") opens a review item on its own: the other
# cues (a year group elsewhere, an age, a role) are everyday words in adults' news and wait for
# the section heads' support (sections.corroborate), but a name beside a class code or a teacher
# is a pupil. Findings that carry this name are not held back.
STANDALONE_KINDS: Final = frozenset({"class", "teacher", "year after name"})
CLASS_DETECTOR_NAME: Final = f"{DETECTOR_NAME}:class"
SECTION: Final = Section.PUPIL_IDENTITY
MAX_NGRAM: Final = 4
_WORD: Final = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*|[^\W\d_]\.")  # words, "B." initials

_CUE_WORDS: Final = {
    "year group": "their year group",
    "class": "their class",
    "year after name": "their year group",
    "teacher": "their teacher",
    "age": "their age",
    "birthday": "their birthday or date of birth",
    "team": "a team, role or award",
    "pupil": "words that make them a pupil",
    "photo": "a photo caption",
    "home": "their home",
    "parent": "their parent at the school gate",
    "pupil number": "a pupil number",
}


@dataclass(frozen=True, slots=True)
class _Cue:
    kind: str
    start: int
    end: int
    link: int
    side: str  # before | after | either: where the name may stand


@dataclass(frozen=True, slots=True)
class _Candidate:
    start: int
    end: int
    source: str  # ner | shape | roster


def identified_explanation(kinds: list[str]) -> str:
    cue_words = sorted({_CUE_WORDS.get(k, k) for k in kinds})
    return (
        "A child is named in this post beside "
        + " and ".join(cue_words)
        + ", which identifies them as a pupil. Section 8.4 of the Social Media Policy forbids "
        "posting anything that discloses a pupil's identity: remove the name or the detail."
    )


ROSTER_EXPLANATION: Final = (
    "A name in this post matches a pupil on the school's roster. Section 8.4 of the Social Media "
    "Policy forbids posting anything that discloses a pupil's identity: remove the name."
)
HOME_EXPLANATION: Final = (
    "A street or postcode is given beside a pupil and their home. Section 8.4 of the Social "
    "Media Policy forbids posting anything that links a pupil to their home: remove it."
)
DESCRIBED_EXPLANATION: Final = (
    "This post singles out one child without naming them (a year group or class with a "
    'description, a family name, "the pupil concerned" in an incident, or a parent named '
    "about their child), which staff and parents can link to the pupil. Section 8.4 "
    "of the Social Media Policy forbids posting anything that could be linked to a pupil: remove "
    "the description."
)
HANDLE_EXPLANATION: Final = (
    "This post tags the social media account of a pupil of the school. Section 8.4 of the Social "
    "Media Policy forbids linking a pupil to the school's posts (and section 8.2 forbids pupils "
    "as contacts): remove the tag."
)


class PupilIdentificationDetector:
    """Child-context, roster and handle matching over the stack's shared artifacts."""

    name: Final = DETECTOR_NAME

    def detect(self, text: str, artifacts: NlpArtifacts) -> list[Finding]:
        """Without account knowledge: child-context identification only."""
        return self.detect_for(text, artifacts, NO_KNOWLEDGE)

    def detect_for(
        self, text: str, artifacts: NlpArtifacts, knowledge: AccountKnowledge
    ) -> list[Finding]:
        post = view(text, artifacts)
        found: list[Finding] = []
        roster_hits = _roster_names(post, knowledge)
        for start, end in roster_hits:
            found.append(self._finding("PUPIL_NAME", start, end, 0.95, ROSTER_EXPLANATION))
        identified = identified_children(post, knowledge)
        said_names = {(n.start, n.end) for n in post.names}
        for (start, end), kinds in identified.items():
            # A name the models read is HIGH; capitalised words beside a cue ("Y12 Politics")
            # are MEDIUM, held back unless the section classifier agrees (sections.corroborate).
            said = (start, end) in said_names
            alone = said and not STANDALONE_KINDS.isdisjoint(kinds)
            found.append(
                self._finding(
                    "PUPIL_IDENTIFIED",
                    start,
                    end,
                    0.85 if said else 0.7,
                    identified_explanation(kinds),
                    Severity.HIGH if said else Severity.MEDIUM,
                    CLASS_DETECTOR_NAME if alone else DETECTOR_NAME,
                )
            )
        described = [
            (m.start(), m.end())
            for m in cues().described_child.finditer(text)
            if not any(m.start() < e and s < m.end() for s, e in identified)
        ]
        for start, end in described[:1]:  # one line per post: the first description says it
            found.append(
                self._finding(
                    "PUPIL_DESCRIBED", start, end, 0.6, DESCRIBED_EXPLANATION, Severity.MEDIUM
                )
            )
        if identified or roster_hits or described:
            found.extend(self._homes(post, [*identified, *roster_hits, *described]))
        found.extend(self._handles(post, knowledge))
        return found

    def _finding(
        self,
        type_: str,
        start: int,
        end: int,
        score: float,
        why: str,
        severity: Severity = Severity.HIGH,
        detector: str = DETECTOR_NAME,
    ) -> Finding:
        return Finding(type_, start, end, score, SECTION, severity, why, detector)

    def _homes(self, post: PostView, children: list[tuple[int, int]]) -> list[Finding]:
        """Streets in a sentence that (with the one before it: spaCy splits at a dash) names a
        child and says it is their home."""
        out = []
        home = [c.pattern for c in cues().child_cues if c.kind == "home"]
        for m in cues().street.finditer(post.text):
            if any(m.start() < c[1] and c[0] < m.end() for c in children):
                continue  # "Noah Green" is a child, not a street
            s, e = post.around(m.start())[0], post.sentence_of(m.start())[1]
            sentence = post.text[s:e]
            if any(h.search(sentence) for h in home) and any(s <= c[0] < e for c in children):
                out.append(self._finding("PUPIL_HOME", m.start(), m.end(), 0.8, HOME_EXPLANATION))
        return out

    def _handles(self, post: PostView, knowledge: AccountKnowledge) -> list[Finding]:
        out = []
        for span in post.social:
            if span.kind != "handle":
                continue
            handle = post.text[span.start + 1 : span.end].lower()
            if knowledge.on_roster("handle", handle):
                out.append(
                    self._finding("PUPIL_HANDLE", span.start, span.end, 0.95, HANDLE_EXPLANATION)
                )
        return out


def child_cues(post: PostView) -> list[_Cue]:
    """Every child cue in the post, plus UPN-like pupil numbers. A birthday that is the post's
    only cue does not count when the greeting reads as between adults (`adult_celebration`)."""
    found = [
        _Cue(cue.kind, m.start(), m.end(), cue.link, cue.side)
        for cue in cues().child_cues
        for m in cue.pattern.finditer(post.text)
    ]
    if found and cues().birthday_between_adults({c.kind for c in found}, post.text):
        return []
    return found


def _candidates(post: PostView, knowledge: AccountKnowledge) -> list[_Candidate]:
    """Names that are not plainly adults: NER names, capitalised shapes, roster first names."""
    out = [
        _Candidate(n.start, n.end, "ner")
        for n in post.names
        if not n.adult and not knowledge.is_staff(post.text[n.start : n.end])
    ]
    for start, end in name_shapes(post):
        if any(c.start < end and start < c.end for c in out):
            continue
        if is_adult(post, start, end) or knowledge.is_staff(post.text[start:end]):
            continue
        out.append(_Candidate(start, end, "shape"))
    return sorted(out, key=lambda c: c.start)


def identified_children(
    post: PostView, knowledge: AccountKnowledge = NO_KNOWLEDGE
) -> dict[tuple[int, int], list[str]]:
    """Name spans linked to a child cue, with the cue kinds; repeated mentions included."""
    candidates = _former_pupils_removed(post, _candidates(post, knowledge))
    if not candidates:
        return {}
    found: dict[tuple[int, int], list[str]] = {}
    for cue in child_cues(post):
        start, end = _reach(post, post.sentence_of(cue.start))
        in_sentence = [c for c in candidates if start <= c.start < end]
        before = [c for c in in_sentence if c.end <= cue.start]
        after = [c for c in in_sentence if c.start >= cue.end]
        nearest = []
        if before and cue.side != "after" and _links(post, before[-1], cue, name_first=True):
            nearest.append(before[-1])
        if after and cue.side != "before" and _links(post, after[0], cue, name_first=False):
            nearest.append(after[0])
        for c in nearest:
            for member in _coordinated(post, in_sentence, c):
                found.setdefault((member.start, member.end), []).append(cue.kind)
    _add_repeats(post, candidates, found)
    return found


def _reach(post: PostView, sentence: tuple[int, int]) -> tuple[int, int]:
    """The sentence a cue is read in, carried over into the next one when spaCy split it at a
    dash or colon rather than a full stop ("our Head Girl for 2025/26 – Chiamaka Eze!")."""
    start, end = sentence
    following = next(((s, e) for s, e in post.sentences if s >= end), None)
    if following is None:
        return start, end
    gap = post.text[end : following[0]].strip()
    if post.text[start:end].rstrip()[-1:] in _CARRIED or (gap and set(gap) <= _CARRIED):
        return start, following[1]
    return start, end


_CARRIED: Final = frozenset("–—-:")


# How many words may stand between a former-pupil phrase and the name it is about: "Former
# student and now Olympic bronze medallist Tariq Hussain", "Amy Lee, who left us in 2016".
_FORMER_REACH: Final = 6


def _former_pupils_removed(post: PostView, candidates: list[_Candidate]) -> list[_Candidate]:
    """Names near "former student", "alumna", "class of 2012"...: adults now, whatever year group
    or class the sentence mentions. Other names in the sentence ("... came back to watch Year 6's
    Lily Smith") are still read."""
    markers = [(m.start(), m.end()) for m in cues().former_pupil.finditer(post.text)]
    if not markers:
        return candidates

    def near(c: _Candidate) -> bool:
        return any(
            (end <= c.start and post.words_between(end, c.start) <= _FORMER_REACH)
            or (c.end <= start and post.words_between(c.end, start) <= _FORMER_REACH)
            for start, end in markers
        )

    return [c for c in candidates if not near(c)]


def _coordinated(post: PostView, names: list[_Candidate], linked: _Candidate) -> list[_Candidate]:
    """`linked` and the names listed with it: "Lily, Noah and Oliver in Year 2" - all three."""
    i = names.index(linked)
    group = [linked]
    for step in (-1, 1):
        j = i
        while 0 <= j + step < len(names):
            a, b = (names[j + step], names[j]) if step < 0 else (names[j], names[j + step])
            between = post.text[a.end : b.start].strip().lower()
            if between not in {",", "and", "&", ", and", "or"}:
                break
            j += step
            group.append(names[j])
    return group


# Words that may stand between a capitalised shape and its cue ("Lily-Mae Thompson in Year 4").
_SHAPE_LINKS: Final = frozenset({"in", "from", "of", "to", "aged", "age"})
_LIST_BREAKS: Final = frozenset({"and", "or", "but", "while", "whereas", "&"})


def _links(post: PostView, cand: _Candidate, cue: _Cue, *, name_first: bool) -> bool:
    """Close enough. A cue after the name reaches `link` words; a cue before it (Year 6's...)
    at most one. A capitalised shape the NER did not call a person must be right beside a year,
    class, age or birthday cue, with at most "in", "from", "of" or "to" between."""
    a, b = (cand.end, cue.start) if name_first else (cue.end, cand.start)
    i, j = post.token_at(a), post.token_at(b)
    between = [t.lower_ for t in post.doc[i:j] if not (t.is_punct or t.is_space)]
    if cue.kind != "home" and _LIST_BREAKS.intersection(between):
        return False  # "Harry (Year 5, age 10) and Nancy by...": the cue is Harry's
    # "Year 5, age 10) and Nancy": a year, class or age cue reaches forward one word at most.
    short = not name_first and cue.kind in {"year group", "class", "age"}
    limit = min(cue.link, 1) if short else cue.link
    if cand.source == "ner":
        return len(between) <= limit
    if cue.kind not in {"year group", "class", "age", "birthday", "team"}:
        return False
    return len(between) <= 1 and all(w in _SHAPE_LINKS for w in between)


def _add_repeats(
    post: PostView, candidates: list[_Candidate], found: dict[tuple[int, int], list[str]]
) -> None:
    """ "Happy birthday Lily-Mae Thompson in Year 4! ... Have the best day, Lily-Mae!" - both."""
    first_names = {
        normalise(post.text[s:e]).split()[0]: kinds
        for (s, e), kinds in found.items()
        if normalise(post.text[s:e])
    }
    for c in candidates:
        key = (c.start, c.end)
        words = normalise(post.text[c.start : c.end]).split()
        if key not in found and words and words[0] in first_names:
            found[key] = list(first_names[words[0]])


def _wordlike(token: Token) -> bool:
    return _WORD.fullmatch(token.text) is not None


def _roster_names(post: PostView, knowledge: AccountKnowledge) -> list[tuple[int, int]]:
    """Spans of 2-4 words whose normalised form is a pupil's full name, or first name and
    initial, on the school's roster (case and punctuation ignored: "lily-mae thompson")."""
    if not knowledge.roster or knowledge.key is None:
        return []
    words = [t for t in post.doc if _wordlike(t) or t.text in {"-", "."}]
    hits: list[tuple[int, int]] = []
    for i, first in enumerate(words):
        if not _wordlike(first) or any(s <= first.idx < e for s, e in hits):
            continue
        for j in range(min(len(words), i + MAX_NGRAM * 2), i + 1, -1):
            last = words[j - 1]
            if last.text == "-":
                continue
            start, end = first.idx, last.idx + len(last)
            value = normalise(post.text[start:end])
            if not 2 <= len(value.split()) <= MAX_NGRAM or end - start > 80:
                continue
            if knowledge.is_staff(post.text[start:end]):
                continue
            if knowledge.on_roster("name", value) or knowledge.on_roster("name_initial", value):
                hits.append((start, end))
                break
    return hits
