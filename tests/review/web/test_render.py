"""Pure pieces of the UI: inert tokens, highlight segments, safe links, policy text, SVG charts,
and the export of one item (JSON and PDF)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.findings import Severity
from review.domain import render
from review.domain.actions import ItemContext
from review.web import charts, policy_text
from storage.models import Account, AccountKind, FindingRow, Platform, Post, ReviewItem, School
from tests.support import settings_with


def _f(start: int, end: int, severity: str = "high", section: str = "8.4") -> FindingRow:
    return FindingRow(
        post_id=1,
        type="T",
        start=start,
        end=end,
        score=0.9,
        section=section,
        severity=severity,
        explanation="e",
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", [("text", "plain")]),
        ("a\u202eb", [("text", "a"), ("ctl", "U+202E"), ("text", "b")]),
        ("\u200bx", [("ctl", "U+200B"), ("text", "x")]),
        ("half \ud83d", [("text", "half "), ("ctl", "\ufffd")]),
        ("line\nbreak\tkept", [("text", "line\nbreak\tkept")]),
        ("bell\x07", [("text", "bell"), ("ctl", "U+0007")]),
        (
            "e\u0301\u0301\u0301\u0301\u0301!",
            [("text", "e\u0301\u0301\u0301"), ("ctl", "+2 marks"), ("text", "!")],
        ),
        ("😀 emoji", [("text", "😀 emoji")]),
    ],
)
def test_tokens(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(t.kind, t.value) for t in render.tokens(text)] == expected


def test_segments_split_at_every_boundary_and_know_their_findings() -> None:
    text = "Harry Finch in Year 5 at 07700 900123"
    segs = render.segments(text, [_f(0, 11), _f(6, 21, "medium", "8.5"), _f(25, 37, "low")])
    shown = [("".join(t.value for t in s.tokens), s.findings, s.severity) for s in segs]
    assert shown == [
        ("Harry ", (1,), "high"),
        ("Finch", (1, 2), "high"),
        (" in Year 5", (2,), "medium"),
        (" at ", (), ""),
        ("07700 900123", (3,), "low"),
    ]


@given(
    st.text(max_size=60),
    st.lists(st.tuples(st.integers(-5, 80), st.integers(-5, 80)), max_size=5),
)
def test_segments_cover_the_text_exactly_and_only_inside_spans(
    text: str, spans: list[tuple[int, int]]
) -> None:
    segs = render.segments(text, [_f(a, b) for a, b in spans])
    assert "".join(s.raw for s in segs) == text
    pos = 0
    for seg in segs:
        for n in seg.findings:
            a, b = spans[n - 1]
            assert max(0, a) <= pos and pos + len(seg.raw) <= min(b, len(text))
        pos += len(seg.raw)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://x.com/i/status/1", "https://x.com/i/status/1"),
        ("http://blog.example/p?a=1", "http://blog.example/p?a=1"),
        ("javascript:alert(1)", None),
        ("JAVASCRIPT:alert(1)", None),
        ("data:text/html,<script>", None),
        ("//evil.example", None),
        ("https://[::1", None),
        (None, None),
    ],
)
def test_only_web_links_to_the_original(url: str | None, expected: str | None) -> None:
    assert render.safe_link(url) == expected


POLICY = Path(__file__).resolve().parents[4] / "shared" / "policy" / "social-media-policy.txt"


def test_policy_sections_are_read_from_the_trusts_policy() -> None:
    sections = policy_text.parse(POLICY.read_text())
    assert sections["8.4"].startswith("8.4. Information must not be posted that would disclose")
    assert sections["5"].startswith("5. Application of the policy")
    assert "Cluster Lead" in sections["5"]
    assert sections["12"].startswith("12. Employee groups")
    assert "1. Scope" in sections["1"] and "Contents" not in sections["1"]


def test_section_text_falls_back_to_the_parent(sqlite_settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s = settings_with(sqlite_settings, web={"policy_file": POLICY})
    assert policy_text.section_text(
        s,
        "8.4.1",
    ).startswith("8.4.")  # type: ignore[union-attr]
    assert policy_text.section_text(s, "99") is None
    missing = settings_with(sqlite_settings, web={"policy_file": tmp_path / "none.txt"})
    assert policy_text.section_text(missing, "8.4") is None


def _ctx(
    school: str, findings: list[FindingRow], opened: datetime, due: datetime, state: str = "open"
) -> ItemContext:
    item = ReviewItem(
        id=1, post_id=1, severity=Severity.HIGH, due_at=due, opened_at=opened, state=state
    )
    post = Post(
        id=1,
        platform=Platform.X,
        external_id="1",
        account_id=1,
        created_at=opened,
        content_hash="h",
    )
    account = Account(
        id=1,
        platform=Platform.X,
        external_id="1",
        handle="h",
        kind=AccountKind.OFFICIAL,
        conn_id="c",
    )
    return ItemContext(
        item=item,
        post=post,
        account=account,
        school=School(id=1, name=school),
        creator=None,
        assignee=None,
        author=None,
        subjects=(),
        findings=tuple(findings),
        escalated_ever=False,
    )


def test_charts_count_findings_per_week_and_queue_age() -> None:
    now = datetime(2026, 11, 25, 12, tzinfo=UTC)
    ctxs = [
        _ctx(
            "Oakfield <b>",
            [_f(0, 1), _f(2, 3, section="8.7")],
            now - timedelta(hours=2),
            now + timedelta(hours=5),
        ),
        _ctx("Oakfield <b>", [_f(0, 1)], now - timedelta(weeks=3), now + timedelta(hours=5)),
        _ctx("Riverside", [_f(0, 1)], now - timedelta(days=10), now - timedelta(days=1)),
        _ctx("Riverside", [_f(0, 1)], now - timedelta(weeks=20), now, state="resolved"),
    ]
    fig = charts.findings_over_time(ctxs, by="school", now=now)
    assert len(fig.labels) == 12 and fig.labels[-1] == "23 Nov"
    counts = {s.name: s.values for s in fig.series}
    assert counts["Oakfield <b>"][-1] == 2 and counts["Oakfield <b>"][-4] == 1
    assert sum(counts["Riverside"]) == 1, "a post older than the window is not counted"
    by_section = charts.findings_over_time(ctxs, by="section", now=now)
    assert {s.name: sum(s.values) for s in by_section.series} == {
        "section 8.4": 3,
        "section 8.7": 1,
    }
    age = charts.queue_age(ctxs, now=now)
    assert age.series[0].values == (1, 0, 0, 0, 1) and age.series[1].values == (0, 0, 0, 1, 0)
    svg = charts.bar_svg(fig)
    assert svg.startswith("<svg") and "Oakfield &lt;b&gt;" in svg and "<b>" not in svg
    assert "<script" not in charts.bar_svg(age) and "<polyline" in charts.line_svg(fig)


def test_export_record_and_pdf(sqlite_settings, sqlite_world, sqlite_browser) -> None:  # type: ignore[no-untyped-def]
    b = sqlite_browser("dsl_a")
    item = sqlite_world.items["a_pupil"]
    b.post(
        f"/items/{item}/escalate",
        {
            "note": "Referred to the LADO",
            "to": "chain",
            "referral": "county_safeguarding_lead",
            "reference": "L-1",
        },
    )
    r = b.post(f"/items/{item}/export.json")
    assert r.headers["content-disposition"] == f'attachment; filename="postwarden-item-{item}.json"'
    data = json.loads(r.text)
    assert data["exported_by"] == "Tom Baker"
    assert data["post"]["text"] == "Well done Harry Finch (Year 5) for the goal!"
    assert data["findings"][0]["phrase"] == "Harry Finch (Year 5)"
    assert data["findings"][0]["section"] == "8.4"
    assert data["account"]["creator"] == "Priya Shah"
    assert data["referrals"][0]["to"] == "county_safeguarding_lead"
    assert data["referrals"][0]["reference"] == "L-1"
    actions = [h["action"] for h in data["history"]]
    assert actions[:1] == ["opened"] and "escalated" in actions and "referred" in actions
    assert actions[-1] == "exported_json", "the export itself is on the record it exports"
    pdf = b.post(f"/items/{item}/export.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-") and pdf.content.rstrip().endswith(b"%%EOF")
    assert pdf.content.count(b"/Type /Page\n") + pdf.content.count(b"/Type /Page ") >= 1
    printed = b.post(f"/items/{item}/print").text
    assert "Harry Finch (Year 5)" in printed and "Referred to the LADO" in printed
