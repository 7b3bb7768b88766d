"""Employee groups (policy section 12) from exports a group's creator drops into its inbox folder.

Facebook removed its Groups API in April 2024, so a group is read from what its creator can
export: a Facebook group JSON ("Download your information") or a WhatsApp chat export (`.txt`, or
the `.zip` "with media"). Each account has an inbox folder (default `<home>/inboxes/<platform>/
<external id>`, or a path IT sets). Every cycle takes each new file once, by content hash:

- `fetch` lists the inbox (skipping dot files, partial downloads and files younger than the settle
  time, which may still be copying), hashes each file and returns the first the database has not
  seen, with how many more are waiting (the next page);
- `parse_page` turns it into posts, one per message, or, when it cannot be read, into an empty
  page that records the file as quarantined with the reason. The file's record commits with its
  posts, so a crash re-reads the file and stores nothing twice;
- a later `fetch` moves each recorded file out of the way: to `processed/`, or to `quarantine/`
  beside a `<name>.error.txt` that says what was wrong. Nothing is ever deleted here: the exports
  hold staff conversations, and retention (`pipeline.retention`) decides their fate.

Message ids are derived from what a re-export repeats (group, minute, sender, text, and the
occurrence of an identical message in that minute), so exporting the same group again later, even
from another phone, adds only the new messages.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from pydantic import Field

from connectors.base import (
    Access,
    AccountRef,
    ConnectorConfig,
    ConnectorPlugin,
    Credentials,
    Cursor,
    KnownFiles,
    Page,
    PulledPost,
)
from connectors.errors import ConnectorError, TransientError
from connectors.http import Media
from core.platforms import Platform

PROCESSED = "processed"
QUARANTINE = "quarantine"
PARTIAL_SUFFIXES = (".part", ".crdownload", ".tmp", ".partial", ".download")
SUFFIXES = {
    "facebook_group_export": (".json", ".zip"),
    "whatsapp_export": (".txt", ".zip"),
}


class ExportFormatError(ValueError):
    """A file that is not an export we can read; the message says what to fix."""


@dataclass(frozen=True, slots=True)
class ExportCursor(Cursor):
    """Exports need no position: which files were taken lives in `inbox_file`."""


@dataclass(frozen=True, slots=True)
class Message:
    at: datetime
    sender: str
    text: str
    attachments: tuple[str, ...] = ()
    kind: str = "message"  # message (chat), post or comment (Facebook group)


# --- shared ---------------------------------------------------------------------------------------


def message_ids(group: str, messages: list[Message]) -> list[str]:
    """Stable ids: identical (minute, sender, text) in a group are numbered in order."""
    seen: Counter[tuple[str, str, str]] = Counter()
    ids = []
    for m in messages:
        key = (m.at.strftime("%Y-%m-%dT%H:%M"), m.sender.casefold(), m.text)
        seen[key] += 1
        material = "\x1f".join([group, *key, str(seen[key])])
        ids.append(hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()[:40])
    return ids


# --- WhatsApp -------------------------------------------------------------------------------------

# iOS:     [03/11/2026, 15:42:01] Name: text          (also 12-hour "3:42:01 pm")
# Android: 03/11/2026, 15:42 - Name: text             (also "3:42 pm", two-digit years)
_DATE = r"(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{2,4}),?\s+"
_TIME = r"(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?(?:\s*(?P<ampm>[ap]\.?\s?m\.?))?"
_IOS = re.compile(rf"^\u200e?\[{_DATE}{_TIME}\]\s(?P<rest>.*)$", re.IGNORECASE)
_ANDROID = re.compile(rf"^\u200e?{_DATE}{_TIME}\s[-\u2013]\s(?P<rest>.*)$", re.IGNORECASE)
_SENDER = re.compile(r"^(?P<sender>[^:\n]{1,100}?):\s(?P<text>.*)$", re.DOTALL)
_INVISIBLE = re.compile("[\u200e\u200f\u202a-\u202e\ufeff]")
_OMITTED = re.compile(
    r"^(<Media omitted>|(image|video|audio|sticker|GIF|document) omitted|"
    r"<attached: (?P<ios>[^>]+)>|(?P<android>\S+\.\w{2,4}) \(file attached\))$",
    re.IGNORECASE,
)
SYSTEM_PHRASES = (
    "messages and calls are end-to-end encrypted",
    "created group",
    "created this group",
    "changed the subject",
    "changed this group's icon",
    "changed the group description",
    "changed the group name",
    "deleted this group's icon",
    "joined using this group's invite link",
    " added ",
    " removed ",
    " left",
    "changed their phone number",
    "security code changed",
    "this message was deleted",
    "you deleted this message",
    "is now an admin",
    "disappearing messages",
)


def _parse_time(match: re.Match[str], tz: ZoneInfo) -> datetime:
    day, month, year = int(match["d"]), int(match["m"]), int(match["y"])
    year += 2000 if year < 100 else 0
    hour, minute, second = int(match["H"]), int(match["M"]), int(match["S"] or 0)
    if match["ampm"]:
        pm = match["ampm"].lower().startswith("p")
        hour = hour % 12 + (12 if pm else 0)
    try:
        local = datetime(year, month, day, hour, minute, second, tzinfo=tz)
    except ValueError as exc:
        raise ExportFormatError(f"impossible date/time in {match.group(0)[:40]!r}: {exc}") from None
    return local.astimezone(UTC)


def _is_system(sender: str | None, text: str, group_name: str | None) -> bool:
    """WhatsApp's own lines: no sender (Android), or, on iPhones, the group as sender and a text
    that starts with an invisible left-to-right mark (which attachments carry too)."""
    if sender is None:
        return True
    clean = _INVISIBLE.sub("", text).strip()
    marked = text.startswith("\u200e") and not _OMITTED.match(clean.split("\n")[0])
    lowered = f" {clean.lower()} "
    if (marked or sender == group_name) and any(p in lowered for p in SYSTEM_PHRASES):
        return True
    return clean.lower() in ("this message was deleted", "you deleted this message")


def parse_whatsapp(text: str, *, tz: ZoneInfo, group_name: str | None = None) -> list[Message]:
    """A WhatsApp chat export's messages (iOS or Android, UK date order), system lines dropped."""
    text = text.lstrip("\ufeff")
    messages: list[Message] = []
    current: dict[str, Any] | None = None
    headed = 0

    def close() -> None:
        if current is None:
            return
        body = current["text"].strip()
        if _is_system(current["sender"], body, group_name):
            return
        lines, attachments = [], []
        for line in body.split("\n"):
            clean = _INVISIBLE.sub("", line).strip()
            omitted = _OMITTED.match(clean)
            if omitted:
                name = omitted["ios"] or omitted["android"]
                attachments.append(name or "omitted")
            else:
                lines.append(line)
        messages.append(
            Message(
                at=current["at"],
                sender=_INVISIBLE.sub("", current["sender"]).strip(),
                text=_INVISIBLE.sub("", "\n".join(lines)).strip(),
                attachments=tuple(attachments),
            )
        )

    for line in text.splitlines():
        match = _IOS.match(line) or _ANDROID.match(line)
        if match is None:
            if current is None:
                if line.strip():
                    raise ExportFormatError(
                        "the first line is not a WhatsApp message header like "
                        "'[03/11/2026, 15:42:01] Name: text' or '03/11/2026, 15:42 - Name: text'"
                    )
                continue
            current["text"] += "\n" + line  # a message that runs over several lines
            continue
        close()
        headed += 1
        rest = (
            _INVISIBLE.sub("", match["rest"])
            if match["rest"].startswith("\u200e")
            else match["rest"]
        )
        said = _SENDER.match(rest)
        current = {
            "at": _parse_time(match, tz),
            "sender": said["sender"] if said else None,
            "text": said["text"] if said else rest,
        }
    close()
    if headed == 0:
        raise ExportFormatError("no WhatsApp messages found (is this a chat export?)")
    return messages


def _whatsapp_from_zip(data: bytes) -> tuple[str, list[str]]:
    """The chat text inside a "with media" export, and its member names."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise ExportFormatError(f"not a readable zip archive: {exc}") from None
    names = archive.namelist()
    chats = [n for n in names if n.lower().endswith(".txt") and not n.startswith("__MACOSX")]
    if not chats:
        raise ExportFormatError(
            "the zip holds no chat .txt (expected _chat.txt or 'WhatsApp Chat with ...txt')"
        )
    chat = "_chat.txt" if "_chat.txt" in chats else sorted(chats)[0]
    return _decode(archive.read(chat)), names


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ExportFormatError(
            f"not UTF-8 text (byte {exc.start}); export the chat again"
        ) from None


# --- Facebook group "Download your information" ---------------------------------------------------


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


_TITLE_AUTHOR = re.compile(
    r"^(?P<name>.+?) (?:posted|shared|wrote|updated|replied|commented|added)\b"
)


def parse_facebook_group(data: Any) -> list[Message]:
    """Posts and comments of a Facebook group JSON export."""
    data = _fixed(data)
    records: list[tuple[str, Any]] = []
    if isinstance(data, list):
        records = [("post", r) for r in data]
    elif isinstance(data, Mapping):
        for key, value in data.items():
            if key.startswith("group_posts") or key in ("posts", "your_posts"):
                kind = "post"
            elif "comments" in key:
                kind = "comment"
            else:
                continue
            if not isinstance(value, list):
                raise ExportFormatError(f"`{key}` is not a list of records")
            records += [(kind, r) for r in value]
    if not records and not (isinstance(data, Mapping) and any("group" in k for k in data)):
        raise ExportFormatError(
            "no group posts found: expected `group_posts_v2` (or a list of posts with "
            "`timestamp` and `data[].post`)"
        )
    messages = []
    for i, (kind, record) in enumerate(records):
        if not isinstance(record, Mapping):
            raise ExportFormatError(f"record {i} is not an object")
        stamp = record.get("timestamp")
        texts, author = [], None
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
        if not isinstance(stamp, int | float) or isinstance(stamp, bool):
            raise ExportFormatError(f"record {i} has no numeric `timestamp`")
        title = str(record["title"]) if isinstance(record.get("title"), str) else ""
        if author is None and (m := _TITLE_AUTHOR.match(title)):
            author = m["name"]
        attachments = []
        for att in record.get("attachments") or []:
            for item in (att.get("data") if isinstance(att, Mapping) else None) or []:
                media = item.get("media") if isinstance(item, Mapping) else None
                if isinstance(media, Mapping) and media.get("uri"):
                    attachments.append(str(media["uri"]))
                    if media.get("description"):
                        texts.append(f"[image: {media['description']}]")
        messages.append(
            Message(
                at=datetime.fromtimestamp(stamp, UTC),
                sender=str(author or "unknown member"),
                text="\n".join(t for t in texts if t).strip(),
                attachments=tuple(attachments),
                kind=kind,
            )
        )
    return messages


# --- the connector --------------------------------------------------------------------------------


class GroupExportConnector:
    """One group's inbox folder of exports (Facebook group JSON or WhatsApp chat)."""

    cursor_type: ClassVar[type[Cursor]] = ExportCursor

    def __init__(
        self,
        *,
        platform: str,
        group: str,
        inbox: Path,
        known: KnownFiles,
        timezone: str = "Europe/London",
        settle_seconds: float = 60.0,
        max_bytes: int = 200 * 1024 * 1024,
        clock: Callable[[], float] | None = None,
    ) -> None:
        if platform not in SUFFIXES:
            raise ValueError(f"not a group export platform: {platform!r}")
        self.platform = platform
        self.group = group
        self.inbox = Path(inbox)
        self.known = known
        self.tz = ZoneInfo(timezone)
        self.settle_seconds = settle_seconds
        self.max_bytes = max_bytes
        self.endpoint = f"inbox {self.inbox}"
        self._clock = clock or time.time

    def __repr__(self) -> str:
        return f"GroupExportConnector(platform={self.platform!r}, inbox={str(self.inbox)!r})"

    # -- pure --------------------------------------------------------------------------------

    def request(self, cursor: ExportCursor, page_token: str | None) -> Mapping[str, Any]:
        return {"inbox": str(self.inbox)}

    def advance(self, cursor: ExportCursor, page: Page) -> ExportCursor:
        return cursor

    def parse_page(self, payload: Any) -> Page:
        """One file -> its messages as posts; an unreadable file -> a quarantine record."""
        if payload is None:
            return Page(posts=())
        name, sha, data = payload["name"], payload["sha256"], payload["data"]
        next_page = "more" if payload.get("remaining") else None
        file: dict[str, Any] = {"name": name, "sha256": sha, "status": "ingested"}
        try:
            messages = self._messages(name, data)
        except ExportFormatError as exc:
            file.update(status="quarantined", error=str(exc))
            return Page(posts=(), next_page=next_page, meta={"file": file})
        ids = message_ids(self.group, messages)
        posts = tuple(
            PulledPost(
                external_id=f"{self.platform[:2]}:{mid}",
                text=m.text,
                created_at=m.at,
                author_handle=m.sender,
                extra={
                    "kind": m.kind,
                    "file": name,
                    "media": [
                        {"type": "attachment", "name": a, "url": f"inbox:{PROCESSED}/{name}#{a}"}
                        for a in m.attachments
                    ],
                },
            )
            for mid, m in zip(ids, messages, strict=True)
            if m.text or m.attachments
        )
        return Page(posts=posts, next_page=next_page, reads=len(posts), meta={"file": file})

    def _messages(self, name: str, data: bytes) -> list[Message]:
        if len(data) > self.max_bytes:
            raise ExportFormatError(f"file is {len(data)} bytes, over the {self.max_bytes} cap")
        lowered = name.lower()
        if self.platform == "whatsapp_export":
            if lowered.endswith(".zip"):
                text, _ = _whatsapp_from_zip(data)
            else:
                text = _decode(data)
            group_name = None
            if m := re.match(r"^WhatsApp Chat (?:with|-) (.+?)(?: \(\d+\))?\.(txt|zip)$", name):
                group_name = m.group(1)
            return parse_whatsapp(text, tz=self.tz, group_name=group_name)
        if lowered.endswith(".zip"):
            try:
                archive = zipfile.ZipFile(io.BytesIO(data))
                members = [n for n in archive.namelist() if n.lower().endswith(".json")]
                if not members:
                    raise ExportFormatError("the zip holds no .json group export")
                messages = []
                for member in sorted(members):
                    messages += parse_facebook_group(_json(archive.read(member)))
                return messages
            except zipfile.BadZipFile as exc:
                raise ExportFormatError(f"not a readable zip archive: {exc}") from None
        return parse_facebook_group(_json(data))

    # -- I/O ---------------------------------------------------------------------------------

    def fetch(self, request: Mapping[str, Any]) -> Any:
        """The first unseen, settled file of the inbox (tidying seen ones away first)."""
        try:
            self.inbox.mkdir(parents=True, exist_ok=True)
            known = self.known()
            new: list[tuple[Path, bytes, str]] = []
            for path in self._candidates():
                data = path.read_bytes()
                sha = hashlib.sha256(data).hexdigest()
                if sha in known:
                    self._tidy(path, *known[sha])
                elif not any(s == sha for _, _, s in new):
                    new.append((path, data, sha))
                if len(new) > 1:
                    break
        except OSError as exc:
            raise TransientError(f"cannot read the inbox: {exc}", endpoint=self.endpoint) from exc
        if not new:
            return None
        path, data, sha = new[0]
        return {"name": path.name, "sha256": sha, "data": data, "remaining": len(new) - 1}

    def _candidates(self) -> Iterator[Path]:
        now = self._clock()
        for path in sorted(self.inbox.iterdir()):
            name = path.name
            if (
                not path.is_file()
                or name.startswith(".")
                or name.lower().endswith(PARTIAL_SUFFIXES)
            ):
                continue
            if name.endswith(".error.txt"):
                continue
            if now - path.stat().st_mtime < self.settle_seconds:
                continue  # may still be copying in
            yield path

    def _tidy(self, path: Path, status: str, error: str | None) -> None:
        """Move a recorded file to processed/ or quarantine/ (with its reason beside it)."""
        folder = self.inbox / (QUARANTINE if status == "quarantined" else PROCESSED)
        folder.mkdir(exist_ok=True)
        target = folder / path.name
        n = 1
        while target.exists():
            target = folder / f"{path.stem}.{n}{path.suffix}"
            n += 1
        path.replace(target)
        if status == "quarantined":
            (folder / f"{target.name}.error.txt").write_text(
                f"{target.name} was not ingested: {error}\n"
                "Fix or re-export the file and drop it into the inbox again.\n",
                encoding="utf-8",
            )

    def fetch_media(self, url: str) -> Media:
        """An attachment inside a processed "with media" export: `inbox:processed/<zip>#<name>`."""
        match = re.match(rf"^inbox:{PROCESSED}/([^/#]+)#(.+)$", url)
        if match is None:
            raise ConnectorError(f"not an inbox media reference: {url!r}", endpoint=self.endpoint)
        archive = self.inbox / PROCESSED / match.group(1)
        try:
            with zipfile.ZipFile(archive) as z:
                data = z.read(match.group(2))
        except (OSError, KeyError, zipfile.BadZipFile) as exc:
            raise ConnectorError(
                f"attachment not available: {exc}", endpoint=self.endpoint
            ) from exc
        suffix = match.group(2).rsplit(".", 1)[-1].lower()
        content_type = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png"}.get(
            suffix, "application/octet-stream"
        )
        return Media(url=url, content_type=content_type, data=data)


def _json(data: bytes) -> Any:
    try:
        return json.loads(_decode(data))
    except json.JSONDecodeError as exc:
        raise ExportFormatError(
            f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None


# --- plug-ins -----------------------------------------------------------------------------------


class ExportConfig(ConnectorConfig):
    """Staff-group exports (section 12): one config for WhatsApp and Facebook group exports."""

    timezone: str = Field(
        default="Europe/London", description="Local time of WhatsApp exports' timestamps."
    )
    settle_seconds: float = Field(
        default=60.0, ge=0, description="A file younger than this may still be copying."
    )
    max_bytes: int = Field(default=200 * 1024 * 1024, ge=1024, description="Cap on one export.")


def _builder(platform: Platform) -> Any:
    def build(
        account: AccountRef, credentials: Credentials | None, config: ExportConfig
    ) -> GroupExportConnector:
        if account.inbox is None or account.known_files is None:
            raise ValueError("an export account needs its inbox folder and the files taken")
        return GroupExportConnector(
            platform=str(platform),
            group=account.external_id,
            inbox=account.inbox,
            known=account.known_files,
            timezone=config.timezone,
            settle_seconds=config.settle_seconds,
            max_bytes=config.max_bytes,
        )

    return build


PLUGINS = tuple(
    ConnectorPlugin(
        platform=platform,
        config_type=ExportConfig,
        access=Access.NONE,
        build=_builder(platform),
        config_key="exports",
    )
    for platform in (Platform.WHATSAPP_EXPORT, Platform.FACEBOOK_GROUP_EXPORT)
)
