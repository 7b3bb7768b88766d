"""Scanning: every post whose current text is unscanned, through the detector stack, into findings
and review items routed per sections 4, 5 and 12."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Protocol

from sqlmodel import Session

from connectors.parts import part_at
from core.findings import Finding, Severity
from detectors.knowledge import DetectionContext
from pipeline import pull_steps
from pipeline.config import PipelineConfig
from pipeline.credentials import CredentialSource, from_environment
from pipeline.knowledge import database_loader
from pipeline.retention import drop_unflagged_text
from review.domain.actions import concerns_for
from review.domain.routing import choose_reviewer
from storage import connector_crud, crud
from storage.db import session_scope
from storage.models import Account, Person, Post, ReviewItem, Role

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ScanResult:
    scanned: int = 0
    findings: int = 0
    items_opened: int = 0
    items_updated: int = 0
    failed_post_ids: tuple[int, ...] = field(default_factory=tuple)


class Stack(Protocol):
    """The face of `detectors.stack.DetectorStack` the pipeline needs (tests pass fakes)."""

    def detect_many(self, texts: Sequence[str]) -> list[list[Finding]]: ...


def load_stack(config: PipelineConfig) -> Stack:
    """The production stack, reading rosters and allowlists from this database."""
    from detectors.stack import DetectorStack

    knowledge = database_loader(config.engine, config.roster_key)
    return DetectorStack.build(config.detection, knowledge=knowledge)


def _detect(
    stack: Stack, texts: list[str], contexts: list[DetectionContext] | None
) -> list[list[Finding]]:
    """Per-account context (rosters, allowlists) goes to stacks that take it (DetectorStack)."""
    if contexts is not None and getattr(stack, "takes_contexts", False):
        return stack.detect_many(texts, contexts=contexts)  # type: ignore[call-arg]
    return stack.detect_many(texts)


def _detect_batch(
    stack: Stack, texts: list[str], contexts: list[DetectionContext] | None = None
) -> list[list[Finding] | None]:
    """Batch first; if the batch fails, isolate the hostile post so the rest are still scanned."""
    try:
        return list(_detect(stack, texts, contexts))
    except Exception:
        log.exception("batch detection failed; retrying post by post")
    out: list[list[Finding] | None] = []
    for i, text in enumerate(texts):
        try:
            out.append(_detect(stack, [text], contexts[i : i + 1] if contexts else None)[0])
        except Exception:
            log.exception("detection failed for one post")
            out.append(None)
    return out


MediaFetcher = Callable[[int], Sequence[bytes]]


def media_fetcher(config: PipelineConfig, credentials: CredentialSource) -> MediaFetcher:
    """Image bytes of a stored post, fetched through its account's own connector."""

    def fetch(post_id: int) -> list[bytes]:
        media = pull_steps.fetch_post_media(post_id, config, credentials=credentials)
        return [m.data for m in media]

    return fetch


# Planning the scan's fan-out: at least this many posts per part (each part loads a stack, ~3 s),
# at most this many parts (mapped tasks; the executor's slots bound how many run at once).
MIN_POSTS_PER_PART = 400
MAX_PARTS = 8
PLAN_LIMIT = 1_000_000


def plan_scan(
    config: PipelineConfig, *, min_posts: int = MIN_POSTS_PER_PART, max_parts: int = MAX_PARTS
) -> list[tuple[int, int]]:
    """The unscanned posts split into contiguous id ranges `(after_id, until_id]` of similar
    size, one per mapped scan task, so that workers (Celery's or LocalExecutor's) score in
    parallel; [] when nothing is new (the steady state)."""
    with session_scope(config.engine) as session:
        ids = list(crud.unscanned_post_ids(session, limit=PLAN_LIMIT))
    if not ids:
        return []
    parts = max(1, min(max_parts, len(ids) // max(1, min_posts)))
    size = -(-len(ids) // parts)
    bounds, after = [], 0
    for i in range(0, len(ids), size):
        chunk = ids[i : i + size]
        bounds.append((after, chunk[-1]))
        after = chunk[-1]
    bounds[-1] = (bounds[-1][0], max(ids[-1], bounds[-1][1]))
    return bounds


def scan_pending(
    config: PipelineConfig,
    *,
    stack: Stack | None = None,
    load: Callable[[PipelineConfig], Stack] = load_stack,
    credentials: CredentialSource = from_environment,
    fetch_media: MediaFetcher | None = None,
    after_id: int = 0,
    until_id: int | None = None,
) -> ScanResult:
    """Scan every post whose current text is unscanned (with an id in `(after_id, until_id]`,
    one part of `plan_scan`), store findings and open review items.

    Images a post carries are fetched through its account's connector (hence `credentials`),
    scanned with the same stack and dropped: only their findings are kept.
    """
    fetch_media = fetch_media or media_fetcher(config, credentials)
    threshold = config.review.min_severity
    scanned = n_findings = opened = updated = 0
    failed: list[int] = []
    while True:
        with session_scope(config.engine) as session:
            posts = crud.posts_to_scan(
                session, limit=config.detection.batch_size, after_id=after_id
            )
            if until_id is not None:
                posts = [p for p in posts if p.id is not None and p.id <= until_id]
            if not posts:
                break
            after_id = posts[-1].id or after_id
            stack = stack or load(config)
            contexts = [DetectionContext(account_id=p.account_id) for p in posts]
            texts = _detect_batch(stack, [p.text or "" for p in posts], contexts)
            # Images are fetched before the batch writes anything, so no database write lock is
            # held while waiting on the network.
            results = [
                None
                if found is None
                else _where_found(session, post, found)
                + _image_findings(stack, post, ctx, fetch_media)
                for post, found, ctx in zip(posts, texts, contexts, strict=True)
            ]
            for post, findings in zip(posts, results, strict=True):
                if findings is None:
                    failed.append(post.id)  # type: ignore[arg-type]
                    continue
                crud.replace_findings(session, post=post, findings=findings)
                scanned += 1
                n_findings += len(findings)
                due = [f for f in findings if f.severity.rank >= threshold.rank]
                if not due:
                    # Minimisation: nobody will review it, so keep ids and hash, not text.
                    drop_unflagged_text(session, post=post)
                    continue
                _, was_opened = _route(session, post=post, findings=due, config=config)
                opened += was_opened
                updated += not was_opened
    return ScanResult(scanned, n_findings, opened, updated, tuple(failed))


def _where_found(session: Session, post: Post, findings: list[Finding]) -> list[Finding]:
    """Say where a finding outside the body was ("In the image 1 description: ..."), from the
    text parts its connector recorded (`connectors.parts`)."""
    parts = connector_crud.extra_for(session, post_id=post.id).get("parts") if post.id else None
    if not findings or not isinstance(parts, list):
        return findings
    out = []
    for f in findings:
        part = part_at(parts, f.start, f.end)
        if part is None or part.get("kind") == "body" or not part.get("label"):
            out.append(f)
            continue
        label = str(part["label"])
        where = f"In the {label[:1].lower()}{label[1:]}: "
        out.append(replace(f, explanation=where + f.explanation))
    return out


def _image_findings(
    stack: Stack, post: Post, context: DetectionContext, fetch: MediaFetcher
) -> list[Finding]:
    """Findings from the post's images (EXIF location, a named child's face, text in the
    picture). A picture that cannot be fetched or read costs its findings, never the post's."""
    from detectors.images import ImageScanError, scan_image

    def text_detector(text: str) -> list[Finding]:
        return _detect(stack, [text], [context])[0]

    try:
        images = fetch(post.id)  # type: ignore[arg-type]
    except Exception as exc:
        log.warning("post %s: images not fetched: %s", post.id, type(exc).__name__)
        return []
    found: list[Finding] = []
    for data in images:
        try:
            found.extend(scan_image(data, caption=post.text or "", text_detector=text_detector))
        except ImageScanError as exc:
            log.warning("post %s: image not scanned: %s", post.id, exc)
    return found


def _route(
    session: Session, *, post: Post, findings: list[Finding], config: PipelineConfig
) -> tuple[ReviewItem, bool]:
    """Open or refresh the post's one review item, assigned per sections 4, 5 and 12."""
    account = session.get(Account, post.account_id)
    assert account is not None
    creator = session.get(Person, account.creator_id) if account.creator_id else None
    author = crud.person_by_handle(session, platform=post.platform, handle=post.author_handle)

    def with_role(role: Role) -> Sequence[Person]:
        return crud.people_with_role(session, role=role)

    route = choose_reviewer(
        account=account,
        creator=creator,
        author=author,
        people_with_role=with_role,
        concerns=concerns_for(session, post=post, account=account),
    )
    severity = Severity.highest([f.severity for f in findings])
    return crud.open_or_update_item(
        session,
        post=post,
        severity=severity,
        assignee_id=route.assignee_id,
        reason=route.reason,
        due_in=timedelta(hours=config.review.due_hours(severity)),
    )
