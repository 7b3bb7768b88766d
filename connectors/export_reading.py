"""Reading one export file as a stream, under caps on what it is and what it expands to.

A `.txt` chat is read line by line; a `.zip` member is streamed (its declared size is not
trusted: a zip bomb with a lying header is stopped by the byte count, not by the header); every
byte read, across all members, counts against `max_expanded_bytes`. A "with media" WhatsApp zip
is told from documents shared in it (also `.txt`) by its name or its first line, and shared
documents' text is kept to be scanned with the message that shared them. An unreadable file
gives `{"error": reason}`: it is quarantined whole, never half-stored.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from connectors.export_messages import (
    ExportFormatError,
    Message,
    budget,
    iter_lines,
    read_capped,
)
from connectors.facebook_export import (
    NO_GROUP_ACTIVITY,
    GroupActivity,
    parse_facebook_html,
    parse_facebook_json,
)
from connectors.whatsapp_export import group_from_file_name, looks_like_chat, parse_whatsapp

DOCUMENT_TEXT_CAP = 1024 * 1024  # text of one document shared in a chat, scanned with its message


@dataclass(frozen=True, slots=True)
class ExportReader:
    """How one group's exports are read (its platform, names, zone, date order and caps)."""

    platform: str
    group_names: tuple[str, ...]
    tz: ZoneInfo
    date_order: Literal["dmy", "mdy"] | None
    max_bytes: int
    max_expanded_bytes: int

    def read(self, path: Path) -> dict[str, Any]:
        """The messages of one export file, read as a stream under the expanded-size cap; an
        unreadable file gives `{"error": reason}` (it will be quarantined, never half-stored)."""
        try:
            if path.stat().st_size > self.max_bytes:
                raise ExportFormatError(
                    f"file is {path.stat().st_size:,} bytes, over the {self.max_bytes:,} byte cap"
                )
            if path.name.lower().endswith(".zip"):
                return self._read_zip(path)
            with path.open("rb") as stream:
                return self._read_member(path.name, stream, budget(self.max_expanded_bytes))
        except ExportFormatError as exc:
            return {"error": str(exc)}
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
            return {"error": f"not a readable zip archive: {exc}"}

    def _read_member(self, name: str, stream: Any, left: Any) -> dict[str, Any]:
        lowered = name.lower()
        if self.platform == "whatsapp_export":
            messages = parse_whatsapp(
                iter_lines(stream, left, name),
                tz=self.tz,
                group_name=group_from_file_name(name),
                date_order=self.date_order,
            )
            return {"messages": messages}
        if lowered.endswith((".html", ".htm")):
            markup = b"".join(iter_bytes(stream, left, name)).decode("utf-8", "replace")
            activity = self._best(lambda g: parse_facebook_html(markup, group=g, tz=self.tz))
        else:
            data = _json(read_capped(stream, left, name))
            activity = self._best(lambda g: parse_facebook_json(data, group=g))
        return self._activity(activity)

    def _best(self, parse: Callable[[str], GroupActivity]) -> GroupActivity:
        """Parse against the group's first name that finds its records (names vary by export)."""
        first: GroupActivity | None = None
        for name in self.group_names:
            found = parse(name)
            if found.messages:
                return found
            first = first or found
        assert first is not None
        return first

    def _activity(self, activity: GroupActivity) -> dict[str, Any]:
        if activity.group_records == 0 and not activity.messages:
            raise ExportFormatError(f"this file {NO_GROUP_ACTIVITY}")
        return {"messages": activity.messages, "left_out": activity.other_records}

    def _read_zip(self, path: Path) -> dict[str, Any]:
        left = budget(self.max_expanded_bytes)
        with zipfile.ZipFile(path) as archive:
            infos = [
                i for i in archive.infolist() if not i.is_dir() and "__MACOSX" not in i.filename
            ]
            declared = sum(i.file_size for i in infos)
            if declared > self.max_expanded_bytes:
                raise ExportFormatError(
                    f"{path.name} is too large: it expands to {declared:,} bytes, over the "
                    f"{self.max_expanded_bytes:,} byte cap"
                )
            if self.platform == "whatsapp_export":
                return self._whatsapp_zip(path.name, archive, infos, left)
            messages: list[Message] = []
            group_records = left_out = 0
            readable = [i for i in infos if i.filename.lower().endswith((".json", ".html", ".htm"))]
            if not readable:
                raise ExportFormatError("the zip holds no .json or .html Facebook export")
            for info in sorted(readable, key=lambda i: i.filename):
                with archive.open(info) as stream:
                    try:
                        got = self._read_member(info.filename, stream, left)
                    except ExportFormatError as exc:
                        if NO_GROUP_ACTIVITY in str(exc):
                            continue  # timeline posts, messages...: not this group's, not fatal
                        raise ExportFormatError(f"{info.filename}: {exc}") from None
                messages += got["messages"]
                left_out += got.get("left_out", 0)
                group_records += 1
            if not group_records:
                raise ExportFormatError(f"this zip {NO_GROUP_ACTIVITY}")
            return {"messages": messages, "left_out": left_out}

    def _whatsapp_zip(
        self, name: str, archive: zipfile.ZipFile, infos: list[Any], left: Any
    ) -> dict[str, Any]:
        """The chat of a "with media" export, told from documents shared in it (also `.txt`)."""
        texts = [i for i in infos if i.filename.lower().endswith(".txt")]
        wanted = {"_chat.txt"}
        if group := group_from_file_name(name):
            wanted |= {f"WhatsApp Chat with {group}.txt", f"WhatsApp Chat - {group}.txt"}
        chats = [i for i in texts if i.filename.rsplit("/", 1)[-1] in wanted]
        if not chats:
            chats = []
            for info in texts:
                with archive.open(info) as stream:
                    head = stream.read(4096).decode("utf-8-sig", "replace").splitlines()[:5]
                if looks_like_chat(head):
                    chats.append(info)
        if not chats:
            raise ExportFormatError(
                "the zip holds no WhatsApp chat (expected _chat.txt or 'WhatsApp Chat with ...txt')"
            )
        if len(chats) > 1:
            raise ExportFormatError(
                "the zip holds more than one chat-like .txt ("
                + ", ".join(i.filename for i in chats)
                + "); export one chat per zip"
            )
        chat = chats[0]
        with archive.open(chat) as stream:
            got = self._read_member(chat.filename, stream, left)
        attached = {a for m in got["messages"] for a in m.attachments}
        documents: dict[str, str] = {}
        for info in texts:
            base = info.filename.rsplit("/", 1)[-1]
            if info is chat or base not in attached:
                continue
            with archive.open(info) as stream:
                raw = stream.read(DOCUMENT_TEXT_CAP)
                left.take(len(raw), info.filename)
            documents[base] = raw.decode("utf-8-sig", "replace")
        got["documents"] = documents
        return got


def iter_bytes(stream: Any, left: Any, what: str) -> Iterator[bytes]:
    while chunk := stream.read(1024 * 1024):
        left.take(len(chunk), what)
        yield chunk


def _json(data: bytes) -> Any:
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ExportFormatError(f"not UTF-8 text (byte {exc.start}); export again") from None
    except json.JSONDecodeError as exc:
        raise ExportFormatError(
            f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
