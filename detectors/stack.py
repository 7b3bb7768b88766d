"""Every detector over many posts, with spaCy run once per post and shared by all detectors.

spaCy is the expensive step (about 99% of `detect_many`'s time on ~200-character posts), so the
stack computes the NLP artifacts once per post, in batches, and hands the same artifacts to each
detector. A new detector (policy rules, UK identifiers...) is one more object with a
`detect(text, artifacts)` method.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Final, Protocol, runtime_checkable

from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngine

from detectors.base import Finding
from detectors.nlp import LANGUAGE, load_nlp_engine
from detectors.presidio_pii import PresidioPiiDetector

if TYPE_CHECKING:
    from postwarden.settings import Settings

# Parser and NER memory grows with the characters in one spaCy batch (~3.4 KB per character with
# en_core_web_sm: 64 posts of 10,000 characters peak at ~2 GB). Long posts are cut into chunks and
# batches are capped in characters so one huge input cannot exhaust a small server.
MAX_CHUNK_CHARS: Final = 10_000
MAX_BATCH_CHARS: Final = 50_000

# spaCy's tokenizer encodes text to UTF-8 and raises on lone surrogates (possible in JSON input
# via "\ud800" escapes). Replacing each with U+FFFD keeps every offset unchanged.
_SURROGATE = re.compile("[\ud800-\udfff]")
_WHITESPACE = re.compile(r"\s")


@runtime_checkable
class ArtifactDetector(Protocol):
    """A detector that reads a post and the stack's shared spaCy artifacts for it."""

    def detect(self, text: str, artifacts: NlpArtifacts) -> list[Finding]:
        """Findings for `text`, spans relative to `text`."""
        ...


class DetectorStack:
    """Loads the NLP engine and detectors once; scores posts in spaCy batches."""

    def __init__(
        self,
        nlp_engine: NlpEngine,
        detectors: Sequence[ArtifactDetector],
        *,
        batch_size: int = 64,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.nlp_engine = nlp_engine
        self.detectors: tuple[ArtifactDetector, ...] = tuple(detectors)
        self.batch_size = batch_size

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> DetectorStack:
        """The production stack for `settings` (default: the process-wide settings)."""
        if settings is None:
            from postwarden.settings import get_settings

            settings = get_settings()
        engine = load_nlp_engine(settings.spacy_model)
        return cls(engine, [PresidioPiiDetector(engine)], batch_size=settings.detect_batch_size)

    def detect(self, text: str) -> list[Finding]:
        """Findings for one post (prefer `detect_many` for several: it batches spaCy)."""
        return self.detect_many([text])[0]

    def detect_many(self, texts: Sequence[str]) -> list[list[Finding]]:
        """Findings per post, in input order; each list sorted by (start, end, type)."""
        found: list[list[Finding]] = [[] for _ in texts]
        for batch in _batches(_units(texts), self.batch_size, MAX_BATCH_CHARS):
            processed = self.nlp_engine.process_batch(
                [unit.text for unit in batch], language=LANGUAGE, batch_size=len(batch)
            )
            for unit, (_, artifacts) in zip(batch, processed, strict=True):
                for detector in self.detectors:
                    found[unit.index].extend(
                        _shifted(finding, unit.offset)
                        for finding in detector.detect(unit.text, artifacts)
                    )
        return [_dedupe_and_sort(findings) for findings in found]


@dataclass(frozen=True, slots=True)
class _Unit:
    """One piece of one post sent to spaCy: the whole post, or a chunk of a long one."""

    index: int
    offset: int
    text: str


def _units(texts: Sequence[str]) -> Iterator[_Unit]:
    """Non-blank posts (or chunks), sanitised for spaCy with offsets unchanged."""
    for index, text in enumerate(texts):
        if not text or text.isspace():
            continue
        clean = _SURROGATE.sub("\ufffd", text)
        for offset, chunk in _chunks(clean, MAX_CHUNK_CHARS):
            if not chunk.isspace():
                yield _Unit(index, offset, chunk)


def _chunks(text: str, limit: int) -> Iterator[tuple[int, str]]:
    """(offset, piece) covering `text`, each at most `limit` long, cut after whitespace."""
    start = 0
    while len(text) - start > limit:
        end = start + limit
        window = text[start + limit // 2 : end]
        cuts = [m.end() for m in _WHITESPACE.finditer(window)]
        if cuts:
            end = start + limit // 2 + cuts[-1]
        yield start, text[start:end]
        start = end
    yield start, text[start:]


def _batches(units: Iterator[_Unit], max_count: int, max_chars: int) -> Iterator[list[_Unit]]:
    """Groups of at most `max_count` units and (unless one unit alone exceeds it) `max_chars`."""
    batch: list[_Unit] = []
    chars = 0
    for unit in units:
        if batch and (len(batch) >= max_count or chars + len(unit.text) > max_chars):
            yield batch
            batch, chars = [], 0
        batch.append(unit)
        chars += len(unit.text)
    if batch:
        yield batch


def _shifted(finding: Finding, offset: int) -> Finding:
    """`finding` with its span moved from chunk to post coordinates."""
    if offset == 0:
        return finding
    return replace(finding, start=finding.start + offset, end=finding.end + offset)


def _dedupe_and_sort(findings: list[Finding]) -> list[Finding]:
    """One finding per (start, end, type): the most severe, then highest-scoring, then first."""
    best: dict[tuple[int, int, str], Finding] = {}
    for finding in findings:
        key = (finding.start, finding.end, finding.type)
        kept = best.get(key)
        if kept is None or (finding.severity.rank, finding.score) > (
            kept.severity.rank,
            kept.score,
        ):
            best[key] = finding
    return [best[key] for key in sorted(best)]
