"""WhatsApp chat exports: the `.txt` a phone writes, and the chat inside a "with media" `.zip`.

A phone writes each header in its own locale's short date, with nothing saying which order it
used: `01/09/2026` is 1 September on a UK phone and 9 January on a US one. A chat is therefore
read in two passes: every header's date fields are collected first, then the order is decided
for the whole file from evidence (a first field over 12 means day first, a second over 12
month first), else from the order IT configured (`date_order`), else the file is refused with
the line that could not be read unambiguously. A date is never guessed.

Headers seen in real exports (see tests/fixtures/real_shapes/SOURCES.md):

    Android  01/09/2026, 08:00 - Name: text        9/1/26, 8:02 AM - Name: text (U+202F)
             2026-09-14, 10:02 - Name: text        2026/9/4 09:05 - Name: text
    iOS      [01/09/2026, 07:58:12] Name: text     [14.09.2026, 10:02:11] Name: text
             [01/01/19 11:25] Name: text

System lines (encryption notice, "created group", subject changes whose new subject holds a
colon, "added you", security codes...) are not messages; iPhones mark them with U+200E.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from connectors.export_messages import ExportFormatError, Message

DateOrder = Literal["dmy", "mdy"]

_DATE = r"(?P<a>\d{1,4})(?P<sep>[./-])(?P<b>\d{1,2})(?P=sep)(?P<c>\d{1,4})"
_TIME = (
    r"(?P<H>\d{1,2})[:.](?P<M>\d{2})(?:[:.](?P<S>\d{2}))?"
    r"(?:[\s\u202f\u00a0]*(?P<ampm>[aApP]\.?[\s\u202f\u00a0]?[mM]\.?))?"
)
_IOS = re.compile(rf"^\u200e?\[{_DATE},?[\s\u202f\u00a0]+{_TIME}\][\s\u202f]*(?P<rest>.*)$")
_ANDROID = re.compile(
    rf"^\u200e?{_DATE},?[\s\u202f\u00a0]+{_TIME}[\s\u202f\u00a0]+[-\u2013][\s\u202f](?P<rest>.*)$"
)
_SENDER = re.compile(r"^(?P<sender>[^:\n]{1,100}?):(?:[ \u202f\u00a0]|$)(?P<text>.*)$", re.DOTALL)
_INVISIBLE = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_EDITED = re.compile(
    r"\s*\u200e?<(?:This message was edited|Diese Nachricht wurde bearbeitet)>\s*$"
)
_OMITTED = re.compile(
    r"^(<Media omitted>|<Medien ausgeschlossen>|"
    r"(?:image|video|audio|sticker|GIF|document|Contact card) omitted|"
    r"(?:Bild|Video|Audio|Sticker|GIF|Dokument) weggelassen|"
    r"<attached: (?P<ios>[^>]+)>|<Anhang: (?P<ios_de>[^>]+)>|"
    r"(?P<android>.+?\.\w{1,5}) \((?:file attached|Datei angehängt)\))$",
    re.IGNORECASE,
)
DELETED = frozenset(
    {
        "this message was deleted",
        "you deleted this message",
        "this message was deleted.",
        "you deleted this message.",
        "diese nachricht wurde gelöscht.",
        "du hast diese nachricht gelöscht.",
    }
)
# What WhatsApp's own lines say; checked on Android lines whose "sender" would contain them
# (`X changed the subject from "Staff" to "Staff: 2026/27"` has a colon) and on iPhone lines.
SYSTEM_PHRASES = (
    "messages and calls are end-to-end encrypted",
    "ende-zu-ende-verschlüsselt",
    "created group",
    "created this group",
    "hat die gruppe",
    "changed the subject",
    "changed this group's icon",
    "changed the group description",
    "changed the group name",
    "deleted this group's icon",
    "joined using this group's invite link",
    " added ",
    " added you",
    "you were added",
    "hinzugefügt",
    " removed ",
    "entfernt",
    " left",
    "verlassen",
    "changed their phone number",
    "changed to ",
    "security code changed",
    "sicherheitsnummer",
    "is now an admin",
    "no longer an admin",
    "disappearing messages",
    "pinned a message",
    "this message was deleted",
    "you deleted this message",
)


# A "sender" that is really the start of a system line whose user-chosen text holds a colon.
_SYSTEM_SENDER = re.compile(
    r"[\"\u201c\u201d]| (?:changed the subject|changed the group name|created group|changed the "
    r"group description|hat den Betreff|hat die Gruppe)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class _Header:
    line_no: int
    line: str
    a: str
    b: str
    c: str
    sep: str
    hour: int
    minute: int
    second: int
    ampm: str | None
    ios: bool
    sender: str | None
    text: str


def _header(line_no: int, line: str) -> _Header | None:
    ios = _IOS.match(line)
    match = ios or _ANDROID.match(line)
    if match is None:
        return None
    rest = match["rest"]
    marked = rest.startswith("\u200e")
    said = _SENDER.match(_INVISIBLE.sub("", rest) if marked else rest)
    sender, text = (said["sender"], said["text"]) if said else (None, rest)
    return _Header(
        line_no=line_no,
        line=line,
        a=match["a"],
        b=match["b"],
        c=match["c"],
        sep=match["sep"],
        hour=int(match["H"]),
        minute=int(match["M"]),
        second=int(match["S"] or 0),
        ampm=match["ampm"],
        ios=ios is not None,
        sender=sender,
        # An iPhone marks its own lines with U+200E *after* the sender: keep the mark to tell.
        text=("\u200e" + text) if marked and said else text,
    )


def _order_of(headers: list[_Header], configured: DateOrder | None) -> DateOrder | None:
    """The file's day/month order from evidence, else the configured one; never a guess."""
    slash = [h for h in headers if len(h.a) <= 2 and h.sep != "."]
    if not slash:
        return configured  # year first, or dotted (always day first): nothing to decide
    day_first = next((h for h in slash if int(h.a) > 12), None)
    month_first = next((h for h in slash if int(h.b) > 12), None)
    if day_first and month_first:
        raise ExportFormatError(
            f"dates disagree: line {day_first.line_no} ({day_first.line[:40]!r}) puts the day "
            f"first, line {month_first.line_no} ({month_first.line[:40]!r}) the month; is this "
            "two chats pasted together?"
        )
    if day_first:
        return "dmy"
    if month_first:
        return "mdy"
    if configured:
        return configured
    first = slash[0]
    raise ExportFormatError(
        f"ambiguous date order: line {first.line_no} ({first.line[:40]!r}) could be day/month "
        f"or month/day, and no line of the file tells (every day is 12 or less). Set the group "
        "export date order (POSTWARDEN_CONNECTORS__EXPORTS__DATE_ORDER=dmy for UK phones, mdy "
        "for US ones) and drop the file again"
    )


def _when(h: _Header, order: DateOrder | None, tz: ZoneInfo) -> datetime:
    a, b, c = int(h.a), int(h.b), int(h.c)
    if len(h.a) == 4:
        year, month, day = a, b, c  # 2026-09-14, 2026/9/4: nobody writes year/day/month
    elif h.sep == ".":
        day, month, year = a, b, c  # 14.09.2026: dotted dates are day first
    elif order == "mdy":
        month, day, year = a, b, c
    else:
        day, month, year = a, b, c
    if len(h.c) <= 2 and len(h.a) <= 2:
        year += 2000
    hour = h.hour
    if h.ampm:
        if hour > 12:
            raise ExportFormatError(f"line {h.line_no}: hour {hour} with am/pm in {h.line[:40]!r}")
        pm = h.ampm.strip().lower().startswith("p")
        hour = hour % 12 + (12 if pm else 0)
    try:
        local = datetime(year, month, day, hour, h.minute, h.second, tzinfo=tz)
    except ValueError as exc:
        raise ExportFormatError(
            f"line {h.line_no}: impossible date/time in {h.line[:40]!r}: {exc}"
        ) from None
    return local.astimezone(UTC)


def _is_system(h: _Header, body: str, group_name: str | None) -> bool:
    clean = _INVISIBLE.sub("", body).strip()
    lowered = f" {clean.lower()} "
    if h.sender is None:
        return True  # Android: WhatsApp's own lines have no "Name:"
    first = clean.split("\n")[0]
    if body.startswith("\u200e") and not _OMITTED.match(first) and not _EDITED.search(first):
        return True  # iPhone: its own lines carry U+200E after the sender
    if _SYSTEM_SENDER.search(h.sender):
        return True  # Android: "X changed the subject from "A" to "B: C"" is not from "X changed…"
    if h.sender == group_name and any(p in lowered for p in SYSTEM_PHRASES):
        return True
    return clean.lower() in DELETED


def _sender(raw: str) -> str:
    name = _INVISIBLE.sub("", raw).strip()
    return re.sub(r"^~[\s\u202f\u00a0]*", "", name)  # "~ Name": not in the exporter's contacts


def parse_whatsapp(
    lines: Iterable[str] | str,
    *,
    tz: ZoneInfo,
    group_name: str | None = None,
    date_order: DateOrder | None = None,
) -> list[Message]:
    """A chat export's messages, oldest first, system lines dropped (see the module doc)."""
    if isinstance(lines, str):
        lines = lines.lstrip("\ufeff").splitlines()
    headers: list[_Header] = []
    bodies: list[list[str]] = []
    for line_no, line in enumerate(lines, start=1):
        header = _header(line_no, line)
        if header is None:
            if not headers:
                if line.strip():
                    raise ExportFormatError(
                        f"line {line_no} is not a WhatsApp message header like "
                        "'[03/11/2026, 15:42:01] Name: text' or '03/11/2026, 15:42 - Name: text'"
                    )
                continue
            bodies[-1].append(line)  # a message that runs over several lines
            continue
        headers.append(header)
        bodies.append([header.text])
    if not headers:
        raise ExportFormatError("no WhatsApp messages found (is this a chat export?)")
    order = _order_of(headers, date_order)
    messages: list[Message] = []
    for h, body_lines in zip(headers, bodies, strict=True):
        at = _when(h, order, tz)
        body = "\n".join(body_lines).strip()
        if _is_system(h, body, group_name):
            continue
        edited = bool(_EDITED.search(body))
        body = _EDITED.sub("", body)
        kept, attachments = [], []
        for piece in body.split("\n"):
            clean = _INVISIBLE.sub("", piece).strip()
            omitted = _OMITTED.match(clean)
            if omitted:
                name = omitted["ios"] or omitted["ios_de"] or omitted["android"]
                attachments.append(name.strip() if name else "omitted")
            else:
                kept.append(piece)
        messages.append(
            Message(
                at=at,
                sender=_sender(h.sender or ""),
                text=_INVISIBLE.sub("", "\n".join(kept)).strip(),
                attachments=tuple(attachments),
                edited=edited,
            )
        )
    return messages


GROUP_FROM_NAME = re.compile(r"^WhatsApp Chat (?:with|-|mit) (.+?)(?: \(\d+\))?\.(txt|zip)$")


def group_from_file_name(name: str) -> str | None:
    """`WhatsApp Chat with Staff Room.txt` (Android), `WhatsApp Chat - Staff Room.zip` (iOS)."""
    match = GROUP_FROM_NAME.match(name)
    return match.group(1) if match else None


def looks_like_chat(first_lines: Iterable[str]) -> bool:
    """Whether a text starts as a chat export does (to tell it from a shared document)."""
    for i, line in enumerate(first_lines, start=1):
        if line.strip():
            return _header(i, line) is not None
    return False
