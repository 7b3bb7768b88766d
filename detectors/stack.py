"""Every detector over many posts, with spaCy run once per post and shared by all detectors.

spaCy is the expensive step, so the stack computes the NLP artifacts once per post, in batches,
and hands the same artifacts to each detector. A new detector (policy rules, UK identifiers...)
is one more object with a `detect(text, artifacts)` method; one that needs to know the account
(rosters, staff) also has `detect_for(text, artifacts, knowledge)`.

Per-account context: `detect_many(texts, contexts)` takes one `DetectionContext` per post; the
stack's knowledge loader turns each distinct context into an `AccountKnowledge` (roster digests,
staff names, allowlist) once per call, and findings a reviewer allowlisted for that account are
dropped. Large calls are spread over a pool of forked worker processes (setting
`detect_workers`), each holding the same loaded stack.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import re
import weakref
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from typing import Final, Protocol, runtime_checkable

from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngine

from core.findings import Finding
from detectors.config import StackConfig
from detectors.encoder import SentenceEncoder, load_encoder
from detectors.features import FeatureDetector, PostFeatures
from detectors.knowledge import (
    NO_KNOWLEDGE,
    AccountKnowledge,
    DetectionContext,
    KnowledgeLoader,
    no_knowledge,
)
from detectors.name_tagger import NameTagger, load_name_tagger
from detectors.names import view
from detectors.nlp import LANGUAGE, load_nlp_engine
from detectors.policy.aimed import aimed_at_the_school
from detectors.policy.sections import SectionClassifierDetector, corroborate
from detectors.presidio_pii import PresidioPiiDetector
from detectors.pupil_identification import PupilIdentificationDetector
from detectors.pupils_discussed import PupilsDiscussedDetector

log = logging.getLogger(__name__)

# Parser and NER memory grows with the characters in one spaCy batch (~3.4 KB per character with
# en_core_web_sm: 64 posts of 10,000 characters peak at ~2 GB). Long posts are cut into chunks and
# batches are capped in characters so one huge input cannot exhaust a small server.
MAX_CHUNK_CHARS: Final = 10_000
MAX_BATCH_CHARS: Final = 50_000
# Below this many posts (or chunks) in one call, the worker pool's IPC costs more than it saves.
MIN_PARALLEL_UNITS: Final = 24

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


@runtime_checkable
class KnowledgeDetector(ArtifactDetector, Protocol):
    """A detector that also reads what is known about the post's account (roster, staff)."""

    def detect_for(
        self, text: str, artifacts: NlpArtifacts, knowledge: AccountKnowledge
    ) -> list[Finding]:
        """Findings for `text` posted on an account described by `knowledge`."""
        ...


class DetectorStack:
    """Loads the NLP engine and detectors once; scores posts in spaCy batches."""

    # `pipeline.cycle` passes per-post contexts to stacks that say they take them.
    takes_contexts: Final = True

    def __init__(
        self,
        nlp_engine: NlpEngine,
        detectors: Sequence[ArtifactDetector],
        *,
        batch_size: int = 64,
        knowledge: KnowledgeLoader = no_knowledge,
        workers: int = 1,
        encoder: SentenceEncoder | None = None,
        name_tagger: NameTagger | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.nlp_engine = nlp_engine
        self.detectors: tuple[ArtifactDetector, ...] = tuple(detectors)
        self.batch_size = batch_size
        self.knowledge = knowledge
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        # Posts are encoded once, only if a detector or the name tagger reads the embedding.
        reads = any(isinstance(d, FeatureDetector) and d.reads_embedding for d in self.detectors)
        self.name_tagger = name_tagger if encoder is not None else None
        if self.name_tagger is not None and encoder is not None:
            self.name_tagger.check_encoder(encoder.sha256)
        self.encoder = encoder if reads or self.name_tagger is not None else None
        self._corroborate = any(isinstance(d, SectionClassifierDetector) for d in self.detectors)

    @classmethod
    def build(
        cls, config: StackConfig | None = None, *, knowledge: KnowledgeLoader = no_knowledge
    ) -> DetectorStack:
        """The production stack; `knowledge` reads rosters and allowlists (the pipeline's)."""
        from detectors.policy import policy_detectors

        config = config or StackConfig()
        engine = load_nlp_engine(config.spacy_model, social_ner=config.social_ner)
        encoder = load_encoder(config.encoder, config.encoder_products)
        detectors = [
            PresidioPiiDetector(engine),
            PupilIdentificationDetector(),
            PupilsDiscussedDetector(),
            *policy_detectors(
                config.packs_dir, encoder=encoder, section_classifier=config.section_classifier
            ),
        ]
        return cls(
            engine,
            detectors,
            batch_size=config.batch_size,
            knowledge=knowledge,
            workers=config.workers,
            encoder=encoder,
            name_tagger=load_name_tagger() if config.name_tagger else None,
        )

    def detect(self, text: str) -> list[Finding]:
        """Findings for one post (prefer `detect_many` for several: it batches spaCy)."""
        return self.detect_many([text])[0]

    def detect_many(
        self,
        texts: Sequence[str],
        contexts: Sequence[DetectionContext | None] | None = None,
    ) -> list[list[Finding]]:
        """Findings per post, in input order; each list sorted by (start, end, type).

        `contexts`, when given, has one entry per post (None: nothing known about that post).
        """
        if contexts is not None and len(contexts) != len(texts):
            raise ValueError(f"{len(contexts)} contexts for {len(texts)} texts")
        knowledge = self._knowledge_per_post(len(texts), contexts)
        units = list(_units(texts))
        size = self.batch_size
        if self.workers > 1 and len(units) >= MIN_PARALLEL_UNITS:
            size = min(size, -(-len(units) // self.workers))  # at least one batch per worker
        batches = list(_batches(iter(units), size, MAX_BATCH_CHARS))
        found: list[list[Finding]] = [[] for _ in texts]
        for unit, findings in self._score(batches, knowledge):
            found[unit.index].extend(_shifted(f, unit.offset) for f in findings)
        return [
            _dedupe_and_sort(_allowed(text, findings, knowledge[i]))
            for i, (text, findings) in enumerate(zip(texts, found, strict=True))
        ]

    def _knowledge_per_post(
        self, n: int, contexts: Sequence[DetectionContext | None] | None
    ) -> list[AccountKnowledge]:
        if contexts is None:
            return [NO_KNOWLEDGE] * n
        loaded = self.knowledge({c for c in contexts if c is not None})
        return [loaded.get(c, NO_KNOWLEDGE) if c is not None else NO_KNOWLEDGE for c in contexts]

    def _score(
        self, batches: list[list[_Unit]], knowledge: list[AccountKnowledge]
    ) -> Iterator[tuple[_Unit, list[Finding]]]:
        """(unit, findings) for every unit: in this process, or spread over the worker pool."""
        if self.workers < 2 or len(batches) < 2 or not _can_fork():
            for batch in batches:
                yield from self.score_batch(batch, knowledge)
            return
        pool = self._worker_pool()
        try:
            futures: list[Future[list[tuple[_Unit, list[Finding]]]]] = [
                pool.submit(
                    _score_in_worker,
                    id(self),
                    batch,
                    {u.index: knowledge[u.index] for u in batch},
                )
                for batch in batches
            ]
            for future in futures:
                yield from future.result()
        except BrokenProcessPool:
            self.close()  # a worker died (out of memory?): the next call starts a fresh pool
            raise

    def score_batch(
        self,
        batch: Sequence[_Unit],
        knowledge: Sequence[AccountKnowledge] | dict[int, AccountKnowledge],
    ) -> list[tuple[_Unit, list[Finding]]]:
        """One spaCy batch through every detector (runs in a worker when the pool is used)."""
        processed = self.nlp_engine.process_batch(
            [unit.text for unit in batch], language=LANGUAGE, batch_size=len(batch)
        )
        out = []
        for unit, (_, artifacts) in zip(batch, processed, strict=True):
            known = knowledge[unit.index]
            findings: list[Finding] = []
            features = PostFeatures.of(unit.text, self.encoder)  # one per post, for every head
            if self.name_tagger is not None and features.embedding is not None:
                # The names every detector reads (detectors.names.view, kept on the artifacts).
                view(unit.text, artifacts, embedding=features.embedding, tagger=self.name_tagger)
            for detector in self.detectors:
                if isinstance(detector, FeatureDetector):
                    findings.extend(detector.detect_features(features, artifacts))
                elif known is not NO_KNOWLEDGE and isinstance(detector, KnowledgeDetector):
                    findings.extend(detector.detect_for(unit.text, artifacts, known))
                else:
                    findings.extend(detector.detect(unit.text, artifacts))
            if self._corroborate:
                findings = corroborate(findings)
            out.append((unit, aimed_at_the_school(unit.text, findings)))
        return out

    def _worker_pool(self) -> ProcessPoolExecutor:
        """Forked workers that inherit this loaded stack (no reloading, shared pages)."""
        if self._pool is None:
            _STACKS[id(self)] = self
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("fork")
            )
            weakref.finalize(self, _shutdown, self._pool, id(self))
        return self._pool

    def close(self) -> None:
        """Stop the worker processes, if any (they also stop when the stack is collected)."""
        if self._pool is not None:
            _shutdown(self._pool, id(self))
            self._pool = None


# Stacks with a worker pool, by id: forked workers find theirs here. Weak, so a stack that is no
# longer used is collected and its `weakref.finalize` stops the workers.
_STACKS: weakref.WeakValueDictionary[int, DetectorStack] = weakref.WeakValueDictionary()


def _can_fork() -> bool:
    """A daemonic process (a Celery prefork worker's task) may not have children: it scores in
    process, and the DAG's mapped scan tasks spread the work instead."""
    return (
        "fork" in multiprocessing.get_all_start_methods()
        and os.name == "posix"
        and not multiprocessing.current_process().daemon
    )


def _score_in_worker(
    stack_id: int, batch: list[_Unit], knowledge: dict[int, AccountKnowledge]
) -> list[tuple[_Unit, list[Finding]]]:
    """Runs in a forked worker: the stack was registered before the fork."""
    return _STACKS[stack_id].score_batch(batch, knowledge)


def _shutdown(pool: ProcessPoolExecutor, stack_id: int) -> None:
    pool.shutdown(wait=True, cancel_futures=True)
    _STACKS.pop(stack_id, None)


def _allowed(text: str, findings: list[Finding], knowledge: AccountKnowledge) -> list[Finding]:
    """Drop findings whose phrase reviewers allowlisted for this account, and the classifiers'
    findings whose span lies on such a phrase (the classifier keyed on what was judged fine)."""
    if not knowledge.allowlist:
        return findings
    kept, cleared = [], []
    for f in findings:
        if knowledge.allows(f.type, text[f.start : f.end]):
            cleared.append((f.start, f.end))
        else:
            kept.append(f)
    return [
        f
        for f in kept
        if not (
            f.detector.startswith("classifier:")
            and any(f.start < end and start < f.end for start, end in cleared)
        )
    ]


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
    """One finding per (start, end, type, section): the most severe, then highest-scoring,
    then first. The section is in the key because one span can breach two sections for two
    reasons (a school's posted password: confidential, 8.9, and a security risk, 10)."""
    best: dict[tuple[int, int, str, str], Finding] = {}
    for finding in findings:
        key = (finding.start, finding.end, finding.type, finding.section)
        kept = best.get(key)
        if kept is None or (finding.severity.rank, finding.score) > (
            kept.severity.rank,
            kept.score,
        ):
            best[key] = finding
    return [best[key] for key in sorted(best)]
