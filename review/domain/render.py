"""Post text as inert pieces: split at finding offsets, control characters made visible.

Post text is hostile input. It is never marked safe: the template autoescapes every piece. What
autoescaping cannot stop is handled here: bidirectional overrides (which reorder what a reviewer
reads), zero-width and other invisible characters, lone surrogates and floods of combining marks
become small visible tokens, so what the reviewer sees is what was posted.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from core.findings import Severity
from storage.models import FindingRow

# Characters that change how text around them displays, or do not display at all.
_INVISIBLE = {
    0x061C,
    0x200B,
    0x200C,
    0x200D,
    0x200E,
    0x200F,
    0x2028,
    0x2029,
    0x202A,
    0x202B,
    0x202C,
    0x202D,
    0x202E,
    0x2060,
    0x2061,
    0x2062,
    0x2063,
    0x2064,
    0x2066,
    0x2067,
    0x2068,
    0x2069,
    0xFEFF,
    0xFFF9,
    0xFFFA,
    0xFFFB,
    0xFFFE,
    0xFFFF,
}
MAX_COMBINING = 3  # marks kept on one base character; more is "Zalgo" text that overflows lines


@dataclass(frozen=True, slots=True)
class Token:
    """`text` is shown as is (escaped); `ctl` is a visible stand-in for something invisible."""

    kind: str  # "text" | "ctl"
    value: str
    title: str = ""


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of the post covered by the same findings (numbers as listed on the page)."""

    tokens: tuple[Token, ...]
    findings: tuple[int, ...]
    severity: str = ""
    raw: str = ""  # the piece of post text itself (tests; never rendered directly)


def _is_invisible(ch: str) -> bool:
    cp = ord(ch)
    if ch in "\n\t":
        return False
    return (
        cp in _INVISIBLE
        or 0xD800 <= cp <= 0xDFFF
        or unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cn")
        or 0xFDD0 <= cp <= 0xFDEF
    )


def tokens(text: str) -> tuple[Token, ...]:
    """Text split into shown runs and visible stand-ins for invisible or disruptive characters."""
    out: list[Token] = []
    run: list[str] = []
    marks = 0
    dropped = 0

    def flush_dropped() -> None:
        nonlocal dropped
        if dropped:
            out.append(Token("ctl", f"+{dropped} marks", f"{dropped} more combining marks hidden"))
            dropped = 0

    for ch in text:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me"):
            marks += 1
            if marks > MAX_COMBINING:
                dropped += 1
                continue
            run.append(ch)
            continue
        if dropped:
            if run:
                out.append(Token("text", "".join(run)))
                run = []
            flush_dropped()
        marks = 0
        if _is_invisible(ch):
            if run:
                out.append(Token("text", "".join(run)))
                run = []
            cp = ord(ch)
            if 0xD800 <= cp <= 0xDFFF:
                out.append(Token("ctl", "\ufffd", "broken character (lone surrogate)"))
            else:
                name = unicodedata.name(ch, "control character")
                out.append(Token("ctl", f"U+{cp:04X}", f"invisible: {name.lower()}"))
            continue
        run.append(ch)
    if run:
        out.append(Token("text", "".join(run)))
    flush_dropped()
    return tuple(out)


def segments(
    text: str | None,
    findings: Sequence[FindingRow],
    *,
    start: int = 0,
    end: int | None = None,
) -> list[Segment]:
    """The post (or its stretch `start`..`end`) split at every finding boundary; each piece knows
    which findings cover it. Offsets are Python string offsets; out-of-range or empty spans are
    clamped or ignored."""
    text = text or ""
    n = len(text)
    lo = max(0, min(start, n))
    hi = n if end is None else max(lo, min(end, n))
    spans = []
    for number, f in enumerate(findings, start=1):
        a, b = max(lo, min(int(f.start), hi)), max(lo, min(int(f.end), hi))
        if a < b:
            spans.append((a, b, number, str(f.severity)))
    cuts = sorted({lo, hi, *(s for s, *_ in spans), *(e for _, e, *_ in spans)})
    out = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        covering = [(num, sev) for s, e, num, sev in spans if s <= a and b <= e]
        severity = str(Severity.highest(sev for _, sev in covering)) if covering else ""
        piece = text[a:b]
        out.append(Segment(tokens(piece), tuple(num for num, _ in covering), severity, piece))
    return out


def excerpt(text: str | None, finding: FindingRow) -> str:
    """The flagged phrase itself (shown only inside the UI, behind log-in, never in mail)."""
    text = text or ""
    return text[max(0, finding.start) : max(0, finding.end)]


def safe_link(url: str | None) -> str | None:
    """Only http(s) links to the original post; anything else (javascript:, data:) is not linked."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return parts.geturl()
