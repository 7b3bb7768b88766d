"""Who is named in a post, and whether they are plainly an adult: shared by the PERSON recognizer
and the pupil detectors, computed once per post from the stack's spaCy artifacts.

Names come from the name tagger (detectors/name_tagger.py: the sentence encoder's token vectors
with the social-tuned NER's vote) when the stack runs it, else from the NER alone; never from
@handles, #hashtags or URLs. A name with a
title ("Mrs Patel"), an adult role before it ("parent rep Karen Doyle") or after it ("Helen
Marsh, our headteacher") is an adult's: a named adult is not a pupil.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Final

from presidio_analyzer.nlp_engine import NlpArtifacts
from spacy.tokens import Doc

from detectors.cues import cues
from detectors.encoder import Embedding
from detectors.name_tagger import NameTagger
from detectors.social import SocialSpan, social_spans, trim_outside

_ATTR: Final = "_postwarden_post"
_SENTENCE_END: Final = re.compile(r"(?<=[.!?…])[\"')\]]*\s+|\n\s*|\s[–—-]\s")
_NOT_A_SENTENCE_END: Final = frozenset(
    {"mr", "mrs", "ms", "dr", "st", "prof", "no", "rev", "revd", "fr", "cllr", "sgt", "vs", "v"}
)
# Capitalised words that start sentences or name school things, never a child's name.
_NOT_NAMES: Final = frozenset(
    """year years yr reception nursery class form team group school academy primary trust
    well done happy congratulations congrats thank thanks huge big great good brilliant amazing
    welcome please reminder today tomorrow tonight this next last our the a an and or to for
    with from in on at of by player star match week month term pupil pupils student students
    head mr mrs ms miss dr sir monday tuesday wednesday thursday friday saturday sunday january
    february march april may june july august september october november december christmas
    easter harvest sports day world book assembly council captain house rt via cast auditions
    spring summer autumn winter half mock mocks exams gcse gcses sats ks1 ks2 eyfs pe art music
    maths science english history geography re pshe computing french spanish open evening
    morning afternoon fair disco party trip festival concert show club parents families
    biology chemistry physics drama dance german latin italian mandarin psychology sociology
    economics business media film photography textiles food dt ict citizenship rs philosophy
    politics statistics literature language languages design technology engineering
    my your his her their its we they i every each all some most any no cup league trophy
    shield final finals schools fa leader leaders lead coordinator stay play progress duke
    duchess teaching buddhism hinduism sikhism islam judaism christianity catholicism""".split()
)
_NAME_TOKEN: Final = re.compile(r"(?-i:[A-Z][a-z'’]+(?:-[A-Z][a-z'’]+)*|[A-Z][A-Z'’]{1,}|[A-Z]\.?)")


@dataclass(frozen=True, slots=True)
class Name:
    """One person named in a post; `adult` when the wording says so."""

    start: int
    end: int
    adult: bool
    source: str  # "ner" (the name models said PERSON) or "shape" (capitalised words by a cue)


@dataclass(slots=True)
class PostView:
    """Everything about one post that several detectors read."""

    text: str
    doc: Doc
    social: list[SocialSpan]
    names: list[Name]
    starts: list[int]  # token start offsets, for char -> token lookups
    sentences: list[tuple[int, int]]

    def token_at(self, char: int) -> int:
        """Index of the token containing (or first after) character `char`."""
        i = bisect.bisect_right(self.starts, char) - 1
        if i >= 0 and char < self.doc[i].idx + len(self.doc[i]):
            return i
        return i + 1

    def words_between(self, a_end: int, b_start: int) -> int:
        """Word tokens (not punctuation) strictly between two character positions."""
        if b_start <= a_end:
            return 0
        i, j = self.token_at(a_end), self.token_at(b_start)
        return sum(1 for t in self.doc[i:j] if not (t.is_punct or t.is_space))

    def sentence_of(self, char: int) -> tuple[int, int]:
        for s, e in self.sentences:
            if s <= char < e:
                return s, e
        return 0, len(self.text)

    def around(self, char: int) -> tuple[int, int]:
        """The sentence of `char` with its neighbours: "Need to get hold of us? 📞 ... 01969
        600123" says whose number it is a sentence before the number."""
        for i, (s, e) in enumerate(self.sentences):
            if s <= char < e:
                before = self.sentences[i - 1][0] if i else s
                after = self.sentences[i + 1][1] if i + 1 < len(self.sentences) else e
                return before, after
        return 0, len(self.text)


def view(
    text: str,
    artifacts: NlpArtifacts,
    *,
    embedding: Embedding | None = None,
    tagger: NameTagger | None = None,
) -> PostView:
    """The post's `PostView`, computed once and kept on the artifacts for the other detectors.

    The stack builds it first, with the post's embedding and the name tagger; a detector run on
    its own (no tagger) gets the NER's names.
    """
    cached = getattr(artifacts, _ATTR, None)
    if isinstance(cached, PostView) and cached.text == text:
        return cached
    doc: Doc = artifacts.tokens
    social = social_spans(text)
    built = PostView(
        text=text,
        doc=doc,
        social=social,
        names=[],
        starts=[t.idx for t in doc],
        sentences=sentences(text),
    )
    spans = ner_person_spans(text, doc, social)
    if tagger is not None and embedding is not None:
        spans = tagger.names(text, embedding, spans)
    built.names = _names(built, spans)
    setattr(artifacts, _ATTR, built)
    return built


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence ranges by punctuation and line breaks, not fooled by "Mrs." or "Amelia W."."""
    out, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        if text[m.start() - 1 : m.start()] == ".":  # "Mrs. Patel", "Amelia W. in Year 2"
            words = text[start : m.start() - 1].split()
            last = words[-1] if words else ""
            if last.lower() in _NOT_A_SENTENCE_END or (len(last) == 1 and last.isupper()):
                continue
        if m.start() > start:
            out.append((start, m.start()))
        start = m.end()
    if start < len(text):
        out.append((start, len(text)))
    return out or [(0, len(text))]


def ner_person_spans(text: str, doc: Doc, social: list[SocialSpan]) -> list[tuple[int, int]]:
    """The NER's PERSON entities with @handles, #hashtags and addresses trimmed off (also the
    vote the name tagger was trained to read)."""
    out = []
    for ent in doc.ents:
        if ent.label_ == "PERSON":
            start, end = trim_outside(ent.start_char, ent.end_char, text, social)
            if end > start:
                out.append((start, end))
    return out


# Sentence punctuation a word-piece span may end on (the tagger's last piece can be the full
# stop after a surname).
_CLOSING: Final = ".,;:!?"


def _initial(text: str, end: int) -> bool:
    """Whether text[:end] ends with an initial and its full stop ("Ava R.")."""
    return (
        end >= 2
        and text[end - 1] == "."
        and text[end - 2].isupper()
        and (end < 3 or not text[end - 3].isalnum())
    )


def _names(post: PostView, spans: list[tuple[int, int]]) -> list[Name]:
    names = []
    for start, end in spans:
        start, end = trim_outside(start, end, post.text, post.social)
        while start < end and not post.text[start].isalnum():  # "🏆 Ethan" -> "Ethan"
            start += 1
        while end > start and post.text[end - 1] in _CLOSING and not _initial(post.text, end):
            end -= 1  # "Adam Wilson." -> "Adam Wilson"; "Ava R." keeps its initial's stop
        start, end = _strip_title(post.text, start, end)
        if end - start < 2 or not any(c.isalpha() for c in post.text[start:end]):
            continue
        # "our Year 10 Duke of Edinburgh group", "Teaching Buddhism to Y8": no word of it a name
        if all(w in _NOT_NAMES for w in post.text[start:end].lower().split()):
            continue
        names.append(Name(start, end, is_adult(post, start, end), "ner"))
    return names


def _strip_title(text: str, start: int, end: int) -> tuple[int, int]:
    """ "Mrs Patel" tagged whole becomes "Patel" (the title is kept as a cue, not as the name)."""
    first = text[start:end].split(maxsplit=1)
    if len(first) == 2 and first[0].lower().rstrip(".") in cues().adult_titles:
        return start + len(text[start:end]) - len(first[1]), end
    return start, end


def is_adult(post: PostView, start: int, end: int) -> bool:
    """A title or adult role right before the name, or an adult role in apposition after it.
    A role read as a name by itself ("Matron made him a cake") is an adult too."""
    c = cues()
    said = post.text[start:end].lower()
    if said in c.adult_roles or said in c.adult_titles:
        return True
    i = post.token_at(start)
    before = [t for t in post.doc[max(0, i - 3) : i] if not t.is_punct]
    if before and before[-1].lower_.rstrip(".") in c.adult_titles:
        return True
    if any(
        t.lower_ in c.adult_roles and not _pupils_role(post, t.i) and not _parent_of(post, t.i)
        for t in before[-2:]
    ):
        return True
    if c.staff_working_day.match(post.text, end):
        return True
    j = post.token_at(end)
    after = post.doc[j : j + 5]
    if len(after) and after[0].text in {",", "(", "–", "-", "—"}:
        words = [t.lower_ for t in after[1:] if not t.is_punct]
        return any(w in c.adult_roles for w in words[:4]) or "our new" in " ".join(words[:2])
    return False


_PUPIL_AFTER: Final = frozenset({"boy", "boys", "girl", "girls"})  # "head girl Kira Patel"
_PUPIL_BEFORE: Final = frozenset({"student", "students", "pupil", "pupils", "junior", "youth"})


_FAMILY_ROLES: Final = frozenset(
    "parent parents mum dad mother father grandparent grandma grandad carer".split()
)


def _parent_of(post: PostView, i: int) -> bool:
    """Whether the role word at token `i` is a family role followed by "of": in "father of
    Tanvir" the name after it is the child's, not the adult's."""
    doc = post.doc
    return doc[i].lower_ in _FAMILY_ROLES and i + 1 < len(doc) and doc[i + 1].lower_ == "of"


def _pupils_role(post: PostView, i: int) -> bool:
    """Whether the role word at token `i` is a pupil's ("head girl", "student rep")."""
    doc = post.doc
    after = doc[i + 1].lower_ if i + 1 < len(doc) else ""
    before = doc[i - 1].lower_ if i > 0 else ""
    return after in _PUPIL_AFTER or before in _PUPIL_BEFORE


def name_shapes(post: PostView) -> list[tuple[int, int]]:
    """Runs of 1-3 capitalised words (hyphens allowed) that could be a name, stop-words excluded.

    Only used next to a strong child cue ("Lily-Mae Thompson in Year 4"), where the NER's label
    for the words (it sometimes says ORG) matters less than the wording around them.
    """
    out: list[tuple[int, int]] = []
    run: list[tuple[int, int]] = []
    doc = post.doc

    def flush() -> None:
        if run:
            out.append((run[0][0], run[-1][1]))
            run.clear()

    i = 0
    while i < len(doc):
        token = doc[i]
        # Hyphenated given names are three tokens ("Lily", "-", "Mae"): join them back.
        j, end = i, token.idx + len(token)
        while (
            j + 2 < len(doc)
            and doc[j + 1].text == "-"
            and doc[j + 1].idx == end
            and doc[j + 2].idx == end + 1
        ):
            j += 2
            end = doc[j].idx + len(doc[j])
        word = post.text[token.idx : end]
        if (
            _NAME_TOKEN.fullmatch(word)
            and word.lower().rstrip(".") not in _NOT_NAMES
            and word.lower().rstrip(".") not in cues().adult_titles
            and not any(token.idx < s.end and s.start < end for s in post.social)
            and len(run) < 3
        ):
            run.append((token.idx, end))
        else:
            flush()
        i = j + 1
    flush()
    return out
