"""Every policy section read from the whole post: a trained head per section, OR-ed with the packs.

Keyword packs match the phrasing they were written from; this classifier (models/sections.npz,
trained by devkit/training/train_sections.py on independently written batches) reads the post's
sentence embedding and its words. Each head's probability is calibrated on a held-out batch and
graded by that head's own thresholds (low, medium, high) from the same batch.

A finding names its section and confidence; as in offensive.py its span is the phrase that weighed
most, and the explanation gives the positions of the other words that weighed most, never the
words themselves. A phrase in which a slur's word is innocent (the offensive pack's `not_in`,
such as "chink of light") is blanked out before the post is read. A head for 8.13 that fires on
a post naming one of the trust's listed suppliers (packs/suppliers.yaml) gains confidence and
its explanation names that supplier. An 8.15 reading whose weightiest words only name a group
of people is kept at LOW: mentioning a protected characteristic is not discrimination.

The packs' cue-word rules and this classifier are OR-ed, with one check (`corroborate`, applied by
the stack): a generic cue-word finding opens a review item only if this section's head also reads
the post that way; otherwise it is kept at low severity. A classifier finding for a section some
other finding already brings to review is dropped, so a review item lists each reason once.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Final

from presidio_analyzer.nlp_engine import NlpArtifacts

from core.findings import Finding, Severity
from core.sections import Section
from detectors.cues import cues
from detectors.encoder import SentenceEncoder, load_encoder
from detectors.features import PostFeatures
from detectors.policy.matching import compile_terms, finditer
from detectors.policy.packs import OffensivePack, PackSet, RulePack, SupplierPack
from detectors.policy.textmodel import Score, TextModel

DETECTOR_NAME: Final = "classifier:sections"
MODEL_PATH: Final = Path(__file__).resolve().parent / "models" / "sections.npz"
# A listed supplier in a post the 8.13 head already suspects: the odds are multiplied by this.
SUPPLIER_ODDS: Final = 4.0


@dataclass(frozen=True, slots=True)
class SectionHead:
    """What a head's finding is called and how it opens its explanation."""

    type: str
    reads_as: str


HEADS: Final = MappingProxyType(
    {
        Section.PUPIL_IDENTITY: SectionHead(
            "PUPIL_IDENTIFIED",
            "identifying a pupil (a name, picture, class or other detail that points to one child)",
        ),
        Section.PUPILS_DISCUSSED: SectionHead(
            "PUPIL_DISCUSSED", "discussing a pupil (their behaviour, health, family or needs)"
        ),
        Section.CONFIDENTIAL: SectionHead(
            "CONFIDENTIAL", "sharing information confidential to the school, trust or a partner"
        ),
        Section.DEROGATORY: SectionHead(
            "DEROGATORY",
            "a derogatory or possibly defamatory remark about the school, its staff, pupils, "
            "families or partners",
        ),
        Section.POLITICAL: SectionHead(
            "POLITICAL", "political activity that could seem to speak for the school or trust"
        ),
        Section.SUPPLIERS: SectionHead(
            "SUPPLIER", "endorsing or criticising a business that serves the school"
        ),
        Section.PORNOGRAPHY: SectionHead("PORNOGRAPHIC_LINK", "pointing to pornographic material"),
        Section.EQUALITY: SectionHead("OFFENSIVE", "using offensive, obscene or abusive language"),
        Section.IMPERSONATION: SectionHead(
            "IMPERSONATION", "posting as another person or through their account"
        ),
        Section.SECURITY: SectionHead(
            "PERSONAL_DETAILS",
            "revealing personal details that put someone at risk (date of birth, address, bank "
            "or login details)",
        ),
    }
)
SECTION_HEADS: Final = tuple(HEADS)


# Cue-word detectors whose findings open a review item only when the section's head also reads
# the post that way (at its `low` threshold or above); otherwise they are kept at LOW. On
# independently written posts these rules flagged 10% of clean posts for little recall of their
# own (docs/detectors.md). Trust lists, checksums, rosters, slurs and links are never demoted.
# Value: the most severe level that is held back (the tweet-trained offensive head keeps HIGH).
# Pupil findings stay held back at HIGH: letting a name beside a cue stand alone doubled the clean
# posts flagged on independent posts for no recall (docs/detectors.md). A name beside its class
# or form is reported as `pupils:class` and stands alone (round 19: held back once, on no clean
# post, in every labelled post we hold).
CORROBORATED: Final = MappingProxyType(
    {
        ("pupils", "PUPIL_IDENTIFIED"): Severity.HIGH,
        ("pupils", "PUPIL_DESCRIBED"): Severity.HIGH,
        ("pupils_discussed", "PUPIL_DISCUSSED"): Severity.HIGH,
        ("pupils_discussed", "PUPIL_IDENTIFIED"): Severity.HIGH,
        ("policy:confidential", "CONFIDENTIAL"): Severity.HIGH,
        ("policy:derogatory", "DEROGATORY"): Severity.HIGH,
        ("policy:political", "POLITICAL"): Severity.HIGH,
        ("policy:impersonation", "IMPERSONATION"): Severity.HIGH,
        ("policy:staff_details", "PERSONAL_DETAILS"): Severity.HIGH,
        ("policy:supplier_services", "SUPPLIER"): Severity.HIGH,
        ("policy:offensive-classifier", "OFFENSIVE"): Severity.MEDIUM,
    }
)
ONLY_A_MENTION: Final = (
    "Read as a whole, this post could be about offensive or discriminatory language, but the "
    "words that weighed most only name a group of people, and mentioning a group is not "
    "discrimination. Section 8.15 of the Social Media Policy is about hostile language: kept at "
    "low severity."
)
PUPIL_DEMOCRACY: Final = (
    "Read as a whole, this post could be about political activity, but it is about pupils' own "
    "democracy (a mock election, the school council, British values) and campaigns for nothing: "
    f"teaching it is not the staff political activity {Section.POLITICAL.cite()} is about. Kept "
    "at low severity."
)
TEAM_THANKS: Final = (
    "Read as a whole, this post could be about endorsing a business, but it thanks the school's "
    "own teams (kitchen, site, cleaners) without naming a business, praising or complaining, "
    f"which {Section.SUPPLIERS.cite()} does not restrict. Kept at low severity."
)
COLLEAGUE_NEWS: Final = (
    "Read as a whole, this post could be about a pupil, but it is a birthday greeting between "
    'adults (words such as "hun", "cake in the staffroom" or "how old she is", and '
    "nothing else that points to a child) or a colleague's news shared with their consent, "
    f"which {Section.PUPIL_IDENTITY.cite()} does not restrict. Kept at low severity."
)
COLLEAGUE_NEWS_DISCUSSED: Final = (
    "Read as a whole, this post could be discussing a pupil, but it is a birthday greeting "
    "between adults or a colleague's own news passed on at their request or with their consent, "
    f"and nothing in it points to a child: {Section.PUPILS_DISCUSSED.cite()} is about pupils. "
    "Kept at low severity."
)
SCHOOL_CONTACT: Final = (
    "Read as a whole, this post could be about personal details or security, but the contact "
    "details it gives sit beside the school's own words (school, office, reception, our "
    "address) and nothing in it points to a person's home, a login or a password: they read as "
    "the school's published details, which section 10 of the Social Media Policy does not "
    "restrict. Kept at low severity."
)
IMPERSONATION_WARNING: Final = (
    "Read as a whole, this post could be about impersonation, but it warns readers about an "
    "account pretending to be the school or its staff (it is not ours, it has been reported, "
    "block it) and impersonates no one: warning about impersonation is what "
    f"{Section.IMPERSONATION.cite()} wants. Kept at low severity."
)
NOT_CORROBORATED: Final = (
    " Read as a whole, the post did not look like a breach of this section, so this is kept at "
    "low severity."
)


# A pupil named in a post about their needs is both identified and discussed: either head
# supports a pupil finding of the other section.
SUPPORTED_BY: Final = MappingProxyType(
    {
        Section.PUPIL_IDENTITY.value: frozenset({Section.PUPILS_DISCUSSED.value}),
        Section.PUPILS_DISCUSSED.value: frozenset({Section.PUPIL_IDENTITY.value}),
    }
)


def corroborate(findings: list[Finding]) -> list[Finding]:
    """Cue-word findings at medium+ without the section head's support, lowered to LOW.

    A head's reading kept at LOW because the post reads as something its section allows (a
    warning about a fake account, a colleague's news) supports nothing: the same post's cue words
    ("fake account") are that allowed thing too."""
    read = {
        f.section
        for f in findings
        if f.detector == DETECTOR_NAME and f.explanation not in INNOCENT_READINGS
    }
    read |= {s for r in list(read) for s in SUPPORTED_BY.get(r, ())}
    out = []
    for f in findings:
        held = CORROBORATED.get((":".join(f.detector.split(":")[:2]), f.type))
        if (
            held is not None
            and Severity.MEDIUM.rank <= f.severity.rank <= held.rank
            and f.section not in read
        ):
            f = replace(f, severity=Severity.LOW, explanation=f.explanation + NOT_CORROBORATED)
        out.append(f)
    return _without_repeats(out)


def _without_repeats(findings: list[Finding]) -> list[Finding]:
    """Drop the classifier's finding for a section another finding already brings to review
    (medium or above; data protection, 8.7, also covers security, 10): that one has the precise
    span and reason, and the classifier adds the sections the rules missed, not a second line
    for the same thing."""
    cited = {f.section for f in findings if f.detector != DETECTOR_NAME and f.severity.rank >= 1}
    if Section.DATA_PROTECTION.value in cited:
        cited.add(Section.SECURITY.value)
    return [f for f in findings if f.detector != DETECTOR_NAME or f.section not in cited]


# "2026/27", "2025-26", "2026/2027": a school year, whose second year follows the first. Read as
# digits beside a name, it looked like a date of birth to the heads (section 10) and drowned the
# pupil reading of "our new Head Boy for 2026/27 – Tobias Wright".
_SCHOOL_YEAR: Final = re.compile(r"\b((?:19|20)\d\d)\s?[/–-]\s?((?:19|20)?\d\d)\b")


# X sends a retweet as "RT @user: <the start of the text>…" and the whole reposted text beside it
# (stored as a later part). The heads read the text once: the truncated copy is blanked when the
# rest of the post holds it whole, or its half-words dilute the reading ("Star baker: Is…").
# Bounded to a tweet's length, so a hostile post of one long whitespace run costs nothing.
_RETWEET_COPY: Final = re.compile(r"^RT @\w{1,15}: (?P<copy>.{20,280}?)\s{0,8}…", re.DOTALL)


# "**What is sextortion?**", "what a student *thought*": Markdown bold and italics in a blog post.
# The 8.15 head learnt stars from masked swearing ("f**k", "c***s"), so a headed explainer for
# parents read as offensive (round 27: three of one writer's clean long posts). Only marks that
# open and close words count: the stars inside "f***ing" or after "c***" are not Markdown.
_EMPHASIS: Final = re.compile(r"(?<![\w*])(\*{1,2})(?=[^\s*])[^*\n]{1,200}?(?<=[^\s*])\1(?![\w*])")


def emphasis_marks(text: str) -> list[tuple[int, int]]:
    """Spans of the star pairs around Markdown bold or italic text (the words inside are kept)."""
    out = []
    for m in _EMPHASIS.finditer(text):
        n = len(m.group(1))
        out += [(m.start(), m.start() + n), (m.end() - n, m.end())]
    return out


def retweet_copies(text: str) -> list[tuple[int, int]]:
    """The span of a retweet's truncated copy whose text the post also holds in full."""
    m = _RETWEET_COPY.match(text)
    if m is None or text.find(m["copy"], m.end()) < 0:
        return []
    return [m.span()]


def school_years(text: str) -> list[tuple[int, int]]:
    """Spans of school years: the second year must be the year after the first (as a checksum
    is validated), so "2026-09" of an ISO date is not one."""
    out = []
    for m in _SCHOOL_YEAR.finditer(text):
        first, second = int(m.group(1)), int(m.group(2))
        if second == (first + 1) % (100 if second < 100 else 10_000):
            out.append(m.span())
    return out


def _innocent_idioms(packs: PackSet) -> list[str]:
    """Every rule pack's `innocent_phrases` ("thick as thieves", "ugly duckling"): blanked out
    like a slur's `not_in`, so the heads do not read an idiom's word as an insult."""
    return [
        p
        for pack in packs.packs.values()
        if isinstance(pack, RulePack)
        for p in pack.innocent_phrases
    ]


@lru_cache(maxsize=4)
def load_model(path: Path = MODEL_PATH) -> TextModel:
    """The section heads, loaded once per process."""
    return TextModel.load(path)


class SectionClassifierDetector:
    """One finding per section whose head scores at or above its `low` threshold."""

    name = DETECTOR_NAME
    reads_embedding = True

    def __init__(
        self,
        packs: PackSet,
        *,
        encoder: SentenceEncoder | None = None,
        model: TextModel | None = None,
    ) -> None:
        self.model = model or load_model()
        meta = self.model.meta
        self.encoder = encoder or load_encoder(meta["encoder"]["name"])
        if self.encoder.sha256 != meta["encoder"]["sha256"]:
            raise ValueError(
                f"the section heads were trained on encoder {meta['encoder']['name']} "
                f"({meta['encoder']['sha256'][:12]}), not on {self.encoder.name} "
                f"({self.encoder.sha256[:12]}): retrain them (devkit/training/train_sections.py)"
            )
        self.thresholds: dict[str, dict[str, float]] = meta["thresholds"]
        self.heads = [(Section(h), self.model.heads[h]) for h in self.thresholds]
        suppliers = packs.packs.get("suppliers")
        self._suppliers: dict[str, str] = {}
        if isinstance(suppliers, SupplierPack):
            for s in suppliers.suppliers:
                for alias in (s.name, *s.aliases):
                    self._suppliers[alias.casefold()] = s.name
        self._supplier_names = compile_terms(list(self._suppliers))
        offensive = packs.packs.get("offensive")
        innocent = offensive.slurs if isinstance(offensive, OffensivePack) else []
        self._innocent = compile_terms(
            [p for slur in innocent for p in slur.not_in] + _innocent_idioms(packs)
        )
        groups = offensive.protected_groups if isinstance(offensive, OffensivePack) else []
        self._groups = compile_terms(groups)

    def detect(self, text: str, artifacts: NlpArtifacts | None) -> list[Finding]:
        return self.detect_features(PostFeatures.of(text, self.encoder), artifacts)

    def detect_features(
        self, features: PostFeatures, artifacts: NlpArtifacts | None
    ) -> list[Finding]:
        """At most one finding per section."""
        masked = self._masked(features.text)
        if masked is not None:  # rare: an innocent phrase is read with its word blanked out
            features = PostFeatures.of(masked, self.encoder)
        if features.embedding is None:
            features.embedding = self.encoder.encode(features.text)
        # A long post is read whole and passage by passage (features.py says why), both
        # discounted (WHOLE_DISCOUNT, PASSAGE_DISCOUNT); each head keeps its strongest reading,
        # and the allowed readings look at that passage.
        passages = features.passages(self.encoder)
        findings = []
        for section, head in self.heads:
            limits = self.thresholds[section.value]
            read = features
            score = head.score_features(
                features.featurized, limits["low"], embedding=features.embedding
            )
            if passages:  # a long post: its whole reading is discounted too (WHOLE_DISCOUNT)
                score = _discounted(score, 0, WHOLE_DISCOUNT)
            # A passage counts only when its discounted reading opens a review item by itself:
            # it never lends a cue-word finding elsewhere in the post the head's low support.
            floor = limits["medium"]
            least = _moved(floor, PASSAGE_DISCOUNT)  # the passage probability that reaches it
            for offset, passage in passages:
                got = head.score_features(passage.featurized, least, embedding=passage.embedding)
                got = _discounted(got, offset, PASSAGE_DISCOUNT)
                if got.probability >= floor and got.probability > score.probability:
                    read, score = passage, got
            supplier = None
            if section is Section.SUPPLIERS and score.span is not None:
                supplier, score = self._listed_supplier(features.text, score)
            if score.span is None or score.probability < limits["low"]:
                continue
            finding = self._finding(section, score, limits, supplier)
            if section is Section.EQUALITY and self._only_names_groups(features.text, score):
                finding = replace(finding, severity=Severity.LOW, explanation=ONLY_A_MENTION)
            allowed = ALLOWED_READINGS.get(section)
            if allowed is not None and supplier is None and allowed[0](read.text):
                finding = replace(finding, severity=Severity.LOW, explanation=allowed[1])
            findings.append(finding)
        return findings

    def _only_names_groups(self, text: str, score: Score) -> bool:
        """Whether every word that weighed most names a group (women, refugees...): the head
        reacted to a mention of a protected characteristic, which is not discrimination."""
        if self._groups is None or not score.words:
            return False
        return all(self._groups.fullmatch(text[a:b]) for a, b in score.words)

    def _masked(self, text: str) -> str | None:
        """The text with each innocent phrase (a slur's `not_in`, such as "chink of light"), each
        school year ("2026/27"), a retweet's truncated copy and Markdown's bold marks blanked
        out, offsets kept; None when there is none."""
        spans = school_years(text) + retweet_copies(text) + emphasis_marks(text)
        if self._innocent is not None:
            spans += [m.span() for m in finditer(self._innocent, text)]
        if not spans:
            return None
        chars = list(text)
        for a, b in spans:
            chars[a:b] = " " * (b - a)
        return "".join(chars)

    def _listed_supplier(self, text: str, score: Score) -> tuple[str | None, Score]:
        """The trust's listed supplier named in the post, if any, and the raised score."""
        match = next(iter(finditer(self._supplier_names, text)), None)
        if match is None:
            return None, score
        p = score.probability
        odds = SUPPLIER_ODDS * p / max(1e-9, 1 - p)
        raised = Score(odds / (1 + odds), (match.start(), match.end()), score.words)
        return self._suppliers.get(match.group().casefold(), match.group()), raised

    def _finding(
        self, section: Section, score: Score, limits: dict[str, float], supplier: str | None
    ) -> Finding:
        assert score.span is not None
        p = score.probability
        severity = (
            Severity.HIGH
            if p >= limits["high"]
            else Severity.MEDIUM
            if p >= limits["medium"]
            else Severity.LOW
        )
        head = HEADS[section]
        return Finding(
            type=head.type,
            start=score.span[0],
            end=score.span[1],
            score=round(p, 4),
            section=section.value,
            severity=severity,
            # the stored score, so the percentage read in the UI is the score's own rounding
            explanation=explain(section, round(p, 4), score.words, supplier),
            detector=DETECTOR_NAME,
        )


# A long post's passages are many readings of one post, each a chance of a spurious high score:
# a passage's probability is discounted by this much on the log-odds scale before it is graded
# with the post thresholds (for a medium threshold of 0.26, a passage needs 0.94). Chosen with
# the passage size (features.PASSAGE_CHARS) on round 21's long posts (eval/probe/long_r21.jsonl,
# docs/detectors.md): the middle of the range where recall stays 0.98 and no more clean posts are
# flagged than when read whole plus one; 1.5, chosen on glued short posts, flagged 25 of 60.
PASSAGE_DISCOUNT: Final = 3.75
# A long post read whole gives the bag of words many more words than the short posts the heads
# were calibrated on: read at full weight, the heads flagged 24 of the 240 clean long posts of
# rounds 21-25 (10 %, against 2.5-7.5 % of clean short posts). Its whole reading is discounted
# by this much as well; decided on round 26's long posts by a rule registered before they were
# scored (docs/detectors.md): 16 of 80 clean posts flagged -> 5, three breach sections of 84 lost.
WHOLE_DISCOUNT: Final = 1.0


def _moved(p: float, by: float) -> float:
    """`p` moved by `by` on the log-odds scale."""
    p = min(max(p, 1e-9), 1 - 1e-9)
    return 1.0 / (1.0 + math.exp(-(math.log(p / (1 - p)) + by)))


def _discounted(score: Score, offset: int, by: float) -> Score:
    """A passage's (or a long post's whole) score on the post's scale: discounted, spans moved
    to post coordinates."""
    span = None if score.span is None else (score.span[0] + offset, score.span[1] + offset)
    words = tuple((a + offset, b + offset) for a, b in score.words)
    return Score(_moved(score.probability, -by), span, words)


def _only_school_contact(text: str) -> bool:
    """Whether the post's contact details are the school's own: a postcode, number or mailbox in
    a post that names the school or its office, and no word of a person's home, a login or a
    password anywhere in it."""
    c = cues()
    return (
        c.contact_details.search(text) is not None
        and c.school_contact_words.search(text) is not None
        and c.personal_contact_words.search(text) is None
    )


def _pupil_democracy(text: str) -> bool:
    """Whether the post is about pupils' own democracy (a mock election, the school council)
    and campaigns for nothing."""
    c = cues()
    return c.pupil_democracy.search(text) is not None and c.campaign_words.search(text) is None


def _team_thanks(text: str) -> bool:
    """Whether the post thanks the school's own teams (kitchen, site, cleaners) without naming a
    business, praising one above others or complaining of anything."""
    c = cues()
    return (
        c.team_thanks.search(text) is not None
        and c.business_named.search(text) is None
        and c.verdict_words.search(text) is None
    )


def _impersonation_warning(text: str) -> bool:
    """Whether the post warns about an account pretending to be the school or its staff."""
    return cues().impersonation_warning.search(text) is not None


def _colleague_news(text: str) -> bool:
    """Whether the post is a birthday greeting between adults ("have a lovely day hun x", "cake
    in the kitchen"): a birthday is its only child cue, and an adult's celebration words are in
    it; or staff news told with the colleague's consent ("Mrs Nowak is expecting! Shared with her
    blessing"), or passed on at their request in a post with no word of a child or a family
    ("Donna's asked me to tell yas she's back Monday")."""
    c = cues()
    kinds = {cue.kind for cue in c.child_cues if cue.pattern.search(text) is not None}
    return (
        c.birthday_between_adults(kinds, text)
        or c.adult_news_with_consent.search(text) is not None
        or (
            not kinds
            and c.adult_news_told.search(text) is not None
            and c.child_or_family_words.search(text) is None
        )
    )


# A head's finding is kept at LOW when the post reads as something its section allows (and, for
# 8.13, names no listed supplier): the school's own contact details, pupils' own democracy,
# thanks to the school's own teams, a colleague's birthday, a warning about a fake account.
ALLOWED_READINGS: Final[Mapping[Section, tuple[Callable[[str], bool], str]]] = MappingProxyType(
    {
        Section.SECURITY: (_only_school_contact, SCHOOL_CONTACT),
        Section.POLITICAL: (_pupil_democracy, PUPIL_DEMOCRACY),
        Section.SUPPLIERS: (_team_thanks, TEAM_THANKS),
        Section.PUPIL_IDENTITY: (_colleague_news, COLLEAGUE_NEWS),
        Section.PUPILS_DISCUSSED: (_colleague_news, COLLEAGUE_NEWS_DISCUSSED),
        Section.IMPERSONATION: (_impersonation_warning, IMPERSONATION_WARNING),
    }
)
# Explanations of a head's reading kept at LOW as innocent: `corroborate` takes no support
# from them.
INNOCENT_READINGS: Final = frozenset(
    {ONLY_A_MENTION, *(explanation for _, explanation in ALLOWED_READINGS.values())}
)


def explain(
    section: Section,
    probability: float,
    words: tuple[tuple[int, int], ...],
    supplier: str | None = None,
) -> str:
    """Why, in words a Headteacher reads: never the post's own words, only where they are."""
    where = ""
    others = [f"{a + 1}-{b}" for a, b in sorted(words[1:])]
    if others:
        where = f"; other words that weighed: characters {', '.join(others)}"
    listed = f" The trust lists {supplier} as one of its suppliers." if supplier else ""
    return (
        f"Read as a whole, this post looks like {HEADS[section].reads_as} (an automatic "
        f"reading, confidence {probability:.0%}; the highlighted words weighed most{where})."
        f"{listed} {_upper_first(section.cite())} ({section.heading.lower()}) applies: read "
        "it and decide."
    )


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]
