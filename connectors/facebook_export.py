"""Facebook "Download Your Information" (DYI) exports of a member's group activity, JSON or HTML.

A DYI export is the *exporter's own* activity across every group they belong to, next to their
timeline posts and ordinary comments (see docs/connectors.md and
tests/fixtures/real_shapes/facebook_dyi/WHAT_AN_EXPORT_SHOWS.md). Only records that name the
monitored group are kept: a post's group is in its title ("Priya Patel posted in Oakfield Staff
Room."), a comment's in `comment.group`. Records of other groups, timeline posts and comments
elsewhere are never stored under the staff group. A file with no group activity at all is
refused with what to export instead; in a zip, such members are skipped, not fatal.

JSON text is mojibake (UTF-8 bytes written as `\\u00XX`), repaired per string. The HTML format
(Facebook's default) has the same records as `_a6-g` blocks with local times and no zone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

from connectors.export_messages import ExportFormatError, Message

NO_GROUP_ACTIVITY = (
    "holds no Facebook group activity (no group posts or comments): in Facebook, Settings > "
    "Download your information, choose 'Groups' (your_facebook_activity/groups/"
    "group_posts_and_comments.json and your_comments_in_groups.json) and drop that export"
)
_GROUP_IN_TITLE = re.compile(r" in (?P<group>.+?)\.?$")
_TITLE_AUTHOR = re.compile(
    r"^(?P<name>.+?) (?:posted|shared|wrote|updated|replied|commented|added)\b"
)
HTML_TIME_FORMATS = (
    "%b %d, %Y %I:%M:%S %p",
    "%b %d, %Y, %I:%M %p",
    "%b %d, %Y %I:%M %p",
    "%d %b %Y, %H:%M:%S",
    "%d %b %Y %H:%M:%S",
)


def fix_mojibake(value: str) -> str:
    """Facebook's export writes UTF-8 bytes as \\u00XX escapes ("CafÃ©"): undo that."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def _fixed(value: Any) -> Any:
    if isinstance(value, str):
        return fix_mojibake(value)
    if isinstance(value, list):
        return [_fixed(v) for v in value]
    if isinstance(value, dict):
        return {k: _fixed(v) for k, v in value.items()}
    return value


def _same_group(name: str | None, group: str) -> bool:
    return (
        bool(name) and " ".join(str(name).split()).casefold() == " ".join(group.split()).casefold()
    )


@dataclass(slots=True)
class GroupActivity:
    """What one export file held: the monitored group's messages, and how much was left out."""

    messages: list[Message] = field(default_factory=list)
    group_records: int = 0  # records of any group (0: the file has no group activity)
    other_records: int = 0  # records left out: other groups, timeline posts, other comments


def _record_kind(key: str) -> str | None:
    if key.startswith("group_posts") or key in ("your_posts_in_groups",):
        return "post"
    if key.startswith("group_comments"):
        return "comment"
    return None


def parse_facebook_json(data: Any, *, group: str) -> GroupActivity:
    """The monitored group's posts and comments in one DYI JSON file."""
    data = _fixed(data)
    out = GroupActivity()
    records: list[tuple[str, Any]] = []
    if isinstance(data, Mapping):
        for key, value in data.items():
            kind = _record_kind(key)
            if kind is None:
                if isinstance(value, list):
                    out.other_records += len(value)
                continue
            if not isinstance(value, list):
                raise ExportFormatError(f"`{key}` is not a list of records")
            records += [(kind, r) for r in value]
    elif isinstance(data, list):
        out.other_records += len(data)  # a top-level array: the timeline posts file
    else:
        raise ExportFormatError("not a Facebook export (expected a JSON object or array)")
    for i, (kind, record) in enumerate(records):
        if not isinstance(record, Mapping):
            raise ExportFormatError(f"record {i} is not an object")
        message = _json_record(i, kind, record)
        where = message.extra.pop("group", None)
        if where is None:
            out.other_records += 1  # a group record that does not say which group: not ours
            continue
        out.group_records += 1
        if _same_group(where, group):
            out.messages.append(message)
        else:
            out.other_records += 1
    return out


def _json_record(i: int, kind: str, record: Mapping[str, Any]) -> Message:
    stamp = record.get("timestamp")
    texts: list[str] = []
    author = group_name = None
    for entry in record.get("data") or []:
        if not isinstance(entry, Mapping):
            continue
        if isinstance(entry.get("post"), str):
            texts.append(entry["post"])
        comment = entry.get("comment")
        if isinstance(comment, Mapping):
            texts.append(str(comment.get("comment") or ""))
            author = comment.get("author") or author
            stamp = comment.get("timestamp") or stamp
            group_name = comment.get("group") or group_name
    if not isinstance(stamp, int | float) or isinstance(stamp, bool):
        raise ExportFormatError(f"record {i} has no numeric `timestamp`")
    title = str(record["title"]) if isinstance(record.get("title"), str) else ""
    if author is None and (m := _TITLE_AUTHOR.match(title)):
        author = m["name"]
    if group_name is None and isinstance(record.get("group"), str):
        group_name = record["group"]
    if group_name is None and kind == "post" and (g := _GROUP_IN_TITLE.search(title)):
        group_name = g["group"]
    attachments: list[str] = []
    parts: list[tuple[str, str, str]] = []
    links: list[str] = []
    photo = 0
    for att in record.get("attachments") or []:
        for item in (att.get("data") if isinstance(att, Mapping) else None) or []:
            if not isinstance(item, Mapping):
                continue
            media = item.get("media")
            if isinstance(media, Mapping):
                photo += 1
                if media.get("uri"):
                    attachments.append(str(media["uri"]))
                parts.append(
                    ("attachment_title", f"Photo {photo} title", str(media.get("title") or ""))
                )
                parts.append(
                    (
                        "attachment_description",
                        f"Photo {photo} description",
                        str(media.get("description") or ""),
                    )
                )
            context = item.get("external_context")
            if isinstance(context, Mapping):
                if isinstance(context.get("url"), str):
                    links.append(context["url"])
                    parts.append(("link_url", f"Link {len(links)}", context["url"]))
                if isinstance(context.get("name"), str):
                    parts.append(("link_card", f"Link {len(links)} title", context["name"]))
    return Message(
        at=datetime.fromtimestamp(stamp, UTC),
        sender=str(author or "unknown member"),
        text="\n".join(t for t in texts if t).strip(),
        attachments=tuple(attachments),
        kind=kind,
        parts=tuple(parts),
        links=tuple(links),
        extra={"group": group_name} if group_name else {},
    )


# --- the HTML format ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Block:
    title: str = ""
    pieces: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    time: str = ""


class _DyiHtml(HTMLParser):
    """The `_a6-g` record blocks of a DYI HTML page: title, content pieces, links, time."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[_Block] = []
        self._stack: list[str] = []  # the role of each open div: block/title/piece/time/""
        self._text: list[str] = []
        self._block: _Block | None = None

    def _role(self) -> str:
        for role in reversed(self._stack):
            if role in ("title", "piece", "time"):
                return role
        return ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        classes = set((a.get("class") or "").split())
        if tag == "div":
            role = ""
            if "_a6-g" in classes:
                self._block = _Block()
                role = "block"
            elif self._block is not None and "_a6-h" in classes:
                role = "title"
            elif self._block is not None and "_2pin" in classes and self._role() != "piece":
                role = "piece"
            elif self._block is not None and "_a72d" in classes:
                role = "time"
            if role in ("title", "piece", "time"):
                self._text = []
            self._stack.append(role)
        elif tag == "a" and self._block is not None and a.get("href"):
            href = str(a["href"])
            if href.startswith(("http://", "https://")):
                self._block.links.append(href)
        elif tag == "img" and self._block is not None and a.get("src"):
            self._block.images.append(str(a["src"]))
        elif tag == "br" and self._role():
            self._text.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag != "div" or not self._stack:
            return
        role = self._stack.pop()
        block = self._block
        if block is None:
            return
        text = (
            " ".join("".join(self._text).split())
            if role in ("title", "time")
            else "".join(self._text).strip()
        )
        if role == "title":
            block.title = text
        elif role == "time":
            block.time = text
        elif role == "piece" and text:
            block.pieces.append(text)
        elif role == "block":
            self.blocks.append(block)
            self._block = None
        elif self._role() == "piece" and self._text and not self._text[-1].endswith("\n"):
            self._text.append("\n")  # a div inside a piece ends a line

    def handle_data(self, data: str) -> None:
        if self._role():
            self._text.append(data)


def _html_time(text: str, tz: ZoneInfo, i: int) -> datetime:
    for fmt in HTML_TIME_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=tz).astimezone(UTC)
        except ValueError:
            continue
    raise ExportFormatError(f"record {i}: cannot read the time {text!r}")


def parse_facebook_html(markup: str, *, group: str, tz: ZoneInfo) -> GroupActivity:
    """The monitored group's records in one DYI HTML page (local times in `tz`)."""
    parser = _DyiHtml()
    parser.feed(markup)
    parser.close()
    out = GroupActivity()
    for i, block in enumerate(parser.blocks):
        title = block.title
        posted = re.search(r"\b(posted|shared|wrote|updated)\b.* in ", title) is not None
        commented = re.search(r"\b(commented|replied)\b", title) is not None
        if not (posted or commented):
            out.other_records += 1
            continue
        pieces = list(block.pieces)
        if posted:
            found = _GROUP_IN_TITLE.search(title)
            where = found["group"] if found else None
        else:
            # A comment names its group in a piece of its own after the text.
            where = next((p for p in pieces if _same_group(p, group)), None)
            if where is None and len(pieces) > 1:
                where = pieces[-1]
            if where is not None:
                pieces = [p for p in pieces if p != where]
        if where is None:
            out.other_records += 1
            continue
        out.group_records += 1
        if not _same_group(where, group):
            out.other_records += 1
            continue
        author = m["name"] if (m := _TITLE_AUTHOR.match(title)) else "unknown member"
        texts = [p for p in pieces if p not in block.links]
        body, parts = (texts[0] if texts else ""), []
        for n, extra_text in enumerate(texts[1:], start=1):
            label = f"Photo {n} description" if block.images else f"Attachment {n}"
            parts.append(("attachment_description", label, extra_text))
        for n, link in enumerate(block.links, start=1):
            if link not in block.images:
                parts.append(("link_url", f"Link {n}", link))
        out.messages.append(
            Message(
                at=_html_time(block.time, tz, i),
                sender=author,
                text=body,
                attachments=tuple(block.images),
                kind="comment" if commented and not posted else "post",
                parts=tuple(parts),
                links=tuple(link for link in block.links if link not in block.images),
            )
        )
    return out
