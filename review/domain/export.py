"""One item with its whole audit trail, for a disciplinary file: JSON, and a PDF.

The record says what was posted, what was found and why, who saw it and who did what, when. It is
personal data: exporting is itself written to the item's audit trail.

The JSON record is whole. What is laid out for people (the PDF, the print view) is `capped`: a 1 MB
post cost 9.5 s of server CPU per PDF, so they show the first `TEXT_MAX` characters of the post,
`FINDINGS_MAX` findings with phrases of at most `PHRASE_MAX`, and the latest `HISTORY_MAX`
entries of the trail, each cut saying how much is left out and that the JSON holds it all.
"""

from __future__ import annotations

from collections.abc import Sequence
from copy import deepcopy
from datetime import datetime
from pathlib import Path
from typing import Any

from fpdf import FPDF
from sqlmodel import Session, col, select

from review.domain import render
from review.domain.context import ItemContext
from storage.models import Person, ReviewEvent
from storage.review_models import Referral
from storage.types import utcnow

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
TEXT_MAX = 20_000
PHRASE_MAX = 400
NOTE_MAX = 2_000
FINDINGS_MAX = 200
HISTORY_MAX = 500


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def _name(people: dict[int | None, Person], pid: int | None) -> str | None:
    p = people.get(pid)
    return p.name if p else None


def history(session: Session, item_id: int) -> Sequence[ReviewEvent]:
    return session.exec(
        select(ReviewEvent).where(ReviewEvent.item_id == item_id).order_by(col(ReviewEvent.id))
    ).all()


def referrals(session: Session, item_id: int) -> Sequence[Referral]:
    return session.exec(
        select(Referral).where(Referral.item_id == item_id).order_by(col(Referral.id))
    ).all()


def record(session: Session, ctx: ItemContext, *, exported_by: Person) -> dict[str, Any]:
    """The item as one JSON-ready dict."""
    people: dict[int | None, Person] = {p.id: p for p in session.exec(select(Person)).all()}
    item, post, account = ctx.item, ctx.post, ctx.account
    return {
        "exported_at": utcnow().isoformat(),
        "exported_by": exported_by.name,
        "item": {
            "id": item.id,
            "state": str(item.state),
            "severity": str(item.severity),
            "opened_at": _iso(item.opened_at),
            "due_at": _iso(item.due_at),
            "closed_at": _iso(item.closed_at),
            "assignee": _name(people, item.assignee_id),
            "route_reason": item.route_reason,
        },
        "post": {
            "platform": str(post.platform),
            "external_id": post.external_id,
            "url": post.url,
            "author_handle": post.author_handle,
            "created_at": _iso(post.created_at),
            "text": post.text,
            "deleted": post.deleted,
        },
        "account": {
            "platform": str(account.platform),
            "handle": account.handle,
            "kind": str(account.kind),
            "school": ctx.school.name if ctx.school else None,
            "creator": ctx.creator.name if ctx.creator else None,
            "approved_by": _name(people, account.approved_by_id),
            "approved_on": account.approved_on.isoformat() if account.approved_on else None,
        },
        "findings": [
            {
                "type": f.type,
                "section": f.section,
                "severity": str(f.severity),
                "score": round(float(f.score), 4),
                "start": f.start,
                "end": f.end,
                "phrase": render.excerpt(post.text, f),
                "explanation": f.explanation,
            }
            for f in ctx.findings
        ],
        "history": [
            {
                "at": _iso(e.at),
                "actor": _name(people, e.actor_id)
                or ("Postwarden" if e.actor_id is None else None),
                "action": e.action,
                "state": str(e.state) if e.state else None,
                "assignee": _name(people, e.assignee_id),
                "note": e.note,
            }
            for e in history(session, item.id)  # type: ignore[arg-type]
        ],
        "referrals": [
            {
                "at": _iso(r.at),
                "to": str(r.referred_to),
                "made_by": _name(people, r.made_by_id),
                "reference": r.reference,
                "note": r.note,
            }
            for r in referrals(session, item.id)  # type: ignore[arg-type]
        ],
    }


def _cut(text: str | None, limit: int) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return text[:limit] + " […]"


def capped(data: dict[str, Any]) -> dict[str, Any]:
    """`data` bounded for laying out (PDF, print view); `data["omitted"]` says what was left out."""
    out = deepcopy(data)
    text = out["post"]["text"]
    omitted: list[str] = []
    if text is not None and len(text) > TEXT_MAX:
        out["post"]["text"] = text[:TEXT_MAX]
        omitted.append(f"{len(text) - TEXT_MAX:,} more characters of the post")
    findings = out["findings"]
    if len(findings) > FINDINGS_MAX:
        omitted.append(f"{len(findings) - FINDINGS_MAX} more findings")
    out["findings"] = [
        {**f, "phrase": _cut(f["phrase"], PHRASE_MAX)} for f in findings[:FINDINGS_MAX]
    ]
    history = out["history"]
    if len(history) > HISTORY_MAX:
        omitted.append(f"the {len(history) - HISTORY_MAX} oldest entries of the audit trail")
    out["history"] = [{**e, "note": _cut(e["note"], NOTE_MAX)} for e in history[-HISTORY_MAX:]]
    out["omitted"] = omitted
    return out


def _printable(text: str | None) -> str:
    """Invisible and disruptive characters written out, as on the item page."""
    out = []
    for tok in render.tokens(text or ""):
        out.append(tok.value if tok.kind == "text" else f"[{tok.value}]")
    return "".join(out)


class _Doc(FPDF):
    def __init__(self) -> None:
        super().__init__(format="A4")
        self.unicode = (FONT_DIR / "DejaVuSans.ttf").exists()
        if self.unicode:
            self.add_font("body", "", str(FONT_DIR / "DejaVuSans.ttf"))
            self.add_font("body", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.family_name = "body" if self.unicode else "helvetica"
        self.set_auto_page_break(True, margin=15)

    def clean(self, text: str) -> str:
        text = _printable(text)
        if not self.unicode:
            text = text.encode("latin-1", "replace").decode("latin-1")
        return text

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.family_name, "", 8)
        self.cell(0, 8, f"Postwarden review record — page {self.page_no()}", align="C")

    def heading(self, text: str) -> None:
        self.ln(2)
        self.set_font(self.family_name, "B", 12)
        self.multi_cell(0, 7, self.clean(text), align="L", new_x="LMARGIN", new_y="NEXT")
        self.set_font(self.family_name, "", 10)

    def para(self, text: str, *, bold: bool = False) -> None:
        self.set_font(self.family_name, "B" if bold else "", 10)
        self.multi_cell(0, 5, self.clean(text), align="L", new_x="LMARGIN", new_y="NEXT")
        self.set_font(self.family_name, "", 10)

    def field(self, label: str, value: object) -> None:
        value = _human(value)
        self.para(f"{label}: {value if value not in (None, '') else '—'}")


def _human(value: object) -> object:
    """ISO timestamps as people read them in a file: 2026-11-25 03:44 UTC."""
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        try:
            return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M UTC")
        except ValueError:
            return value
    return value


def pdf(data: dict[str, Any]) -> bytes:
    """The JSON record laid out for a disciplinary file (A4, text selectable), capped."""
    data = capped(data)
    doc = _Doc()
    doc.add_page()
    item, post, account = data["item"], data["post"], data["account"]
    doc.set_font(doc.family_name, "B", 16)
    doc.multi_cell(0, 9, f"Review item #{item['id']}", new_x="LMARGIN", new_y="NEXT")
    doc.set_font(doc.family_name, "", 10)
    doc.para(
        f"Exported {data['exported_at']} by {data['exported_by']}. Confidential: personal data."
    )
    if data["omitted"]:
        doc.para(
            "To keep this file readable, these are not shown here: "
            + "; ".join(data["omitted"])
            + ". The JSON export of this item holds everything.",
            bold=True,
        )
    doc.heading("Item")
    for label, key in [
        ("State", "state"),
        ("Severity", "severity"),
        ("Opened", "opened_at"),
        ("Due", "due_at"),
        ("Closed", "closed_at"),
        ("Reviewer", "assignee"),
        ("Why this reviewer", "route_reason"),
    ]:
        doc.field(label, item[key])
    doc.heading("Account")
    doc.field("Account", f"{account['platform']} / {account['handle']} ({account['kind']})")
    doc.field("School", account["school"])
    doc.field("Creator (responsible, sections 4 and 12)", account["creator"])
    doc.field("Approved by", f"{account['approved_by'] or '—'} on {account['approved_on'] or '—'}")
    doc.heading("The post as posted")
    doc.field("Posted", post["created_at"])
    doc.field("Author handle", post["author_handle"])
    doc.field("Original", post["url"])
    if post["deleted"]:
        doc.para("The post has since been deleted on the platform.")
    doc.para(
        post["text"] if post["text"] is not None else "[text purged after the retention period]"
    )
    doc.heading(f"Findings ({len(data['findings'])})")
    for n, f in enumerate(data["findings"], start=1):
        doc.para(f"{n}. {f['type']} — section {f['section']}, {f['severity']}", bold=True)
        doc.para(f"Flagged phrase: “{f['phrase']}”")
        doc.para(f["explanation"])
    doc.heading(f"Referrals under section 9 ({len(data['referrals'])})")
    for r in data["referrals"]:
        ref = f" (reference {r['reference']})" if r["reference"] else ""
        doc.para(f"{_human(r['at'])} — {r['to']}{ref}, by {r['made_by']}: {r['note']}")
    doc.heading(f"Audit trail ({len(data['history'])} entries)")
    for e in data["history"]:
        doc.para(
            f"{_human(e['at'])} — {e['actor'] or 'unknown'}: {e['action']} (state {e['state']})",
            bold=True,
        )
        if e["note"]:
            doc.para(e["note"])
    return bytes(doc.output())
