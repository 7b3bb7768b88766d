"""Dashboard figures and their SVG plots, drawn on the server (no JavaScript, nothing external).

Counts come from the items the viewer may see, so a chart never leaks what the queue hides.
Labels (school names, section numbers) are escaped like any other text.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from markupsafe import escape

from review.domain.context import ItemContext
from storage.models import ItemState

PALETTE = ["#1f6feb", "#d9480f", "#2b8a3e", "#9c36b5", "#c92a2a", "#0b7285", "#5c940d", "#862e9c"]
AGE_BUCKETS: list[tuple[str, timedelta]] = [
    ("under 1 day", timedelta(days=1)),
    ("1–3 days", timedelta(days=3)),
    ("3–7 days", timedelta(days=7)),
    ("1–2 weeks", timedelta(days=14)),
    ("over 2 weeks", timedelta.max),
]


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[int, ...]


@dataclass(frozen=True)
class Figure:
    """A chart's numbers: x labels and one series per line/bar group (also shown as a table)."""

    title: str
    labels: tuple[str, ...]
    series: tuple[Series, ...]
    colours: tuple[str, ...] = tuple(PALETTE)

    @property
    def empty(self) -> bool:
        return not any(any(s.values) for s in self.series)


def _week_start(at: datetime) -> datetime:
    day = at.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def findings_over_time(
    contexts: Sequence[ItemContext], *, by: str, now: datetime, weeks: int = 12, top: int = 6
) -> Figure:
    """Findings per week of posting (when the breach was made public), per school or section."""
    first = _week_start(now) - timedelta(weeks=weeks - 1)
    starts = [first + timedelta(weeks=i) for i in range(weeks)]
    counts: dict[str, Counter[int]] = defaultdict(Counter)
    for ctx in contexts:
        key = ctx.school.name if (by == "school" and ctx.school) else None
        posted = ctx.post.created_at
        week = (_week_start(posted) - first).days // 7
        if not 0 <= week < weeks:
            continue
        for f in ctx.findings:
            name = key or ("no school" if by == "school" else f"section {f.section}")
            counts[name][week] += 1
    ranked = sorted(counts, key=lambda k: (-sum(counts[k].values()), k))[:top]
    series = tuple(Series(k, tuple(counts[k][i] for i in range(weeks))) for k in ranked)
    what = "school" if by == "school" else "policy section"
    return Figure(
        f"Findings per week, by {what}",
        tuple(s.strftime("%d %b") for s in starts),
        series,
    )


def queue_age(contexts: Sequence[ItemContext], *, now: datetime) -> Figure:
    """Open and escalated items by how long they have waited, and how many of them are overdue."""
    waiting = [0] * len(AGE_BUCKETS)
    overdue = [0] * len(AGE_BUCKETS)
    for ctx in contexts:
        if ItemState(ctx.item.state).is_closed:
            continue
        age = now - ctx.item.opened_at
        idx = next(i for i, (_, limit) in enumerate(AGE_BUCKETS) if age < limit)
        if ctx.item.due_at < now:
            overdue[idx] += 1
        else:
            waiting[idx] += 1
    return Figure(
        "Open items by age",
        tuple(label for label, _ in AGE_BUCKETS),
        (Series("within due date", tuple(waiting)), Series("overdue", tuple(overdue))),
        colours=("#1f6feb", "#c92a2a"),
    )


# --- SVG ---------------------------------------------------------------------------------------

W, H = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 48, 180, 36, 44


def _nice(ymax: int) -> tuple[int, int]:
    """A round top for the y axis and a tick step giving at most five gridlines."""
    if ymax <= 5:
        return max(ymax, 1), 1
    step = 1
    while ymax / step > 5:
        for mult in (2, 5, 10):
            if ymax / (step * mult) <= 5:
                step *= mult
                break
        else:
            step *= 10
    return -(-ymax // step) * step, step


def _frame(fig: Figure, ymax: int, step: int = 1) -> list[str]:
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" '
        f'role="img" aria-label="{escape(fig.title)}" font-family="sans-serif" font-size="12">',
        f"<title>{escape(fig.title)}</title>",
        f'<rect width="{W}" height="{H}" fill="#ffffff"/>',
        f'<text x="{LEFT}" y="20" font-size="14" font-weight="bold">{escape(fig.title)}</text>',
    ]
    plot_h = H - TOP - BOTTOM
    ticks = list(range(0, ymax + 1, step)) if ymax else [0]
    for t in ticks:
        y = TOP + plot_h - (plot_h * t / ymax if ymax else 0)
        parts.append(
            f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#dde1e6"/>'
        )
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{t}</text>')
    return parts


def _legend(fig: Figure) -> list[str]:
    parts = []
    for i, s in enumerate(fig.series):
        y = TOP + 10 + i * 20
        colour = fig.colours[i % len(fig.colours)]
        parts.append(
            f'<rect x="{W - RIGHT + 16}" y="{y - 9}" width="12" height="12" fill="{colour}"/>'
        )
        label = s.name if len(s.name) <= 22 else s.name[:21] + "…"
        parts.append(f'<text x="{W - RIGHT + 34}" y="{y + 1}">{escape(label)}</text>')
    return parts


def line_svg(fig: Figure) -> str:
    ymax, step = _nice(max((max(s.values, default=0) for s in fig.series), default=0))
    parts = _frame(fig, ymax, step)
    n = len(fig.labels)
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    xs = [LEFT + (plot_w * i / max(n - 1, 1)) for i in range(n)]
    for i, label in enumerate(fig.labels):
        if i % 2 == 0 or n <= 6:
            parts.append(
                f'<text x="{xs[i]:.1f}" y="{H - BOTTOM + 18}" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    for i, s in enumerate(fig.series):
        colour = fig.colours[i % len(fig.colours)]
        pts = " ".join(
            f"{xs[j]:.1f},{TOP + plot_h - (plot_h * v / ymax if ymax else 0):.1f}"
            for j, v in enumerate(s.values)
        )
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2.5" points="{pts}"/>')
    if fig.empty:
        parts.append(
            f'<text x="{LEFT + plot_w / 2}" y="{TOP + plot_h / 2}" text-anchor="middle" '
            'fill="#6a737d">No findings in this period</text>'
        )
    return "\n".join([*parts, *_legend(fig), "</svg>"])


def bar_svg(fig: Figure) -> str:
    """Stacked bars, one per label; a series' colour is the same in the legend."""
    totals = [sum(s.values[i] for s in fig.series) for i in range(len(fig.labels))]
    ymax, step = _nice(max(totals, default=0))
    parts = _frame(fig, ymax, step)
    n = len(fig.labels)
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    slot = plot_w / max(n, 1)
    for i, label in enumerate(fig.labels):
        x = LEFT + slot * i + slot * 0.2
        base: float = TOP + plot_h
        for k, s in enumerate(fig.series):
            h = plot_h * s.values[i] / ymax if ymax else 0
            if h:
                colour = fig.colours[k % len(fig.colours)]
                parts.append(
                    f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{slot * 0.6:.1f}" '
                    f'height="{h:.1f}" fill="{colour}"><title>{escape(s.name)}: '
                    f"{s.values[i]}</title></rect>"
                )
                base -= h
        if n <= 6 or i % 2 == 0:
            parts.append(
                f'<text x="{x + slot * 0.3:.1f}" y="{H - BOTTOM + 18}" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    if fig.empty:
        parts.append(
            f'<text x="{LEFT + plot_w / 2}" y="{TOP + plot_h / 2}" text-anchor="middle" '
            'fill="#6a737d">Nothing in this period</text>'
        )
    return "\n".join([*parts, *_legend(fig), "</svg>"])
