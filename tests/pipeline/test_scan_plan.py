"""The scan's fan-out: unscanned posts split into id ranges, each scanned by its own (mapped)
task, together scanning every post exactly once; nothing to plan once everything is scanned."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from sqlmodel import Session, select

from core.findings import Finding
from pipeline import scan
from postwarden.settings import Settings
from storage.models import Post
from tests.pipeline.test_retention import KeywordStack, _world


class CountingStack(KeywordStack):
    """Records every text it is asked to score."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def detect_many(self, texts: Sequence[str]) -> list[list[Finding]]:
        self.seen += texts
        return super().detect_many(texts)


@pytest.mark.parametrize(
    ("posts", "min_posts", "max_parts", "parts"),
    [(10, 3, 8, 3), (10, 3, 2, 2), (10, 50, 8, 1), (1, 1, 8, 1)],
)
def test_parts_cover_every_unscanned_post_once(
    settings: Settings, posts: int, min_posts: int, max_parts: int, parts: int
) -> None:
    ids = _world(settings, {str(n): f"Post {n} about Year {n % 6}" for n in range(posts)})
    plan = scan.plan_scan(settings.pipeline(), min_posts=min_posts, max_parts=max_parts)
    assert len(plan) == parts
    assert plan[0][0] == 0 and plan[-1][1] == max(ids.values())
    assert all(a < b for a, b in plan) and all(
        plan[i][1] == plan[i + 1][0] for i in range(parts - 1)
    )
    stack = CountingStack()
    for after_id, until_id in plan:
        scan.scan_pending(settings.pipeline(), stack=stack, after_id=after_id, until_id=until_id)
    assert sorted(stack.seen) == sorted(f"Post {n} about Year {n % 6}" for n in range(posts))
    with Session(settings.engine) as s:
        assert all(p.detected_hash == p.content_hash for p in s.exec(select(Post)).all())
    assert scan.plan_scan(settings.pipeline()) == [], "steady state: nothing left to plan"


def test_a_range_scans_only_its_own_posts(settings: Settings) -> None:
    ids = _world(settings, {"a": "Year 1 first", "b": "Year 2 second", "c": "Year 3 third"})
    stack = CountingStack()
    scan.scan_pending(settings.pipeline(), stack=stack, after_id=ids["a"], until_id=ids["b"])
    assert stack.seen == ["Year 2 second"]
