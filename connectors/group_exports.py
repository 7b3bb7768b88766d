"""Employee groups (policy section 12) from exports a group's creator drops into its inbox folder.

Facebook removed its Groups API in April 2024, so a group is read from what members can export: a
Facebook "Download Your Information" export (JSON or HTML, alone or zipped; `facebook_export`)
or a WhatsApp chat export (`.txt`, or the `.zip` "with media"; `whatsapp_export`). Each account
has an inbox folder (default `<home>/inboxes/<platform>/<external id>`, or a path IT sets).
Every cycle takes each new file once, by content hash:

- `fetch` lists the inbox (skipping dot files, partial downloads and files younger than the settle
  time, which may still be copying), hashes each file as a stream and reads the first the
  database has not seen, with how many more are waiting (the next page). Reading is streamed and
  capped on what the file *expands to* (`max_expanded_bytes`), so a zip bomb is refused, never
  held in memory; a zip member's declared size is not trusted;
- `parse_page` turns what was read into posts, one per message, or into an empty page that records
  the file as quarantined with the reason. The file's record commits with its posts, so a crash
  re-reads the file and stores nothing twice;
- a later `fetch` moves each recorded file out of the way: to `processed/`, or to `quarantine/`
  beside a `<name>.error.txt` that says what was wrong. Nothing is ever deleted here: the exports
  hold staff conversations, and retention (`pipeline.retention`) decides their fate. Folders are
  created owner-only (0700) and the files made 0600: they are raw staff conversations.

Message ids come from what every copy of a chat repeats (`export_messages.message_ids`), so a later
export, or the same chat exported from another member's phone, adds only the new messages.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal
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
from connectors.export_messages import Message, message_ids
from connectors.export_reading import ExportReader
from connectors.http import Media
from connectors.parts import TextBuilder
from core.platforms import Platform

PROCESSED = "processed"
QUARANTINE = "quarantine"
PARTIAL_SUFFIXES = (".part", ".crdownload", ".tmp", ".partial", ".download")
SUFFIXES = {
    "facebook_group_export": (".json", ".html", ".zip"),
    "whatsapp_export": (".txt", ".zip"),
}
FOLDER_MODE, FILE_MODE = 0o700, 0o600


def secure_folder(path: Path) -> Path:
    """Create `path` and any missing parent owner-only (0700), and make `path` itself 0700:
    exports are raw staff conversations. Existing parents are left as the operator made them."""
    missing = [f for f in (path, *path.parents) if not f.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=FOLDER_MODE, exist_ok=True)
        os.chmod(folder, FOLDER_MODE)
    os.chmod(path, FOLDER_MODE)
    return path


def secure_file(path: Path) -> None:
    """Make an export file owner-only (0600); a file another user owns is read as it is."""
    try:
        os.chmod(path, FILE_MODE)
    except OSError:
        pass


@dataclass(frozen=True, slots=True)
class ExportCursor(Cursor):
    """Exports need no position: which files were taken lives in `inbox_file`."""


def _group_names(account: AccountRef) -> tuple[str, ...]:
    """Names the monitored group may go by in an export: its handle, without a trailing
    "(Facebook group)"-style note, and its external id."""
    names = []
    for raw in (account.name, account.external_id):
        if raw:
            names.append(raw)
            names.append(re.sub(r"\s*\([^)]*\)\s*$", "", raw))
    return tuple(dict.fromkeys(n for n in names if n))


class GroupExportConnector:
    """One group's inbox folder of exports (Facebook DYI or WhatsApp chat)."""

    cursor_type: ClassVar[type[Cursor]] = ExportCursor

    def __init__(
        self,
        *,
        platform: str,
        group: str,
        inbox: Path,
        known: KnownFiles,
        group_names: tuple[str, ...] = (),
        timezone: str = "Europe/London",
        date_order: Literal["dmy", "mdy"] | None = None,
        settle_seconds: float = 60.0,
        max_bytes: int = 200 * 1024 * 1024,
        max_expanded_bytes: int = 200 * 1024 * 1024,
        clock: Callable[[], float] | None = None,
    ) -> None:
        if platform not in SUFFIXES:
            raise ValueError(f"not a group export platform: {platform!r}")
        self.platform = platform
        self.group = group
        self.group_names = group_names or (group,)
        self.inbox = Path(inbox)
        self.known = known
        self.tz = ZoneInfo(timezone)
        self.date_order = date_order
        self.settle_seconds = settle_seconds
        self.max_bytes = max_bytes
        self.max_expanded_bytes = max_expanded_bytes
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
        """What `fetch` read from one file -> its messages as posts, or a quarantine record."""
        if payload is None:
            return Page(posts=())
        name, sha = payload["name"], payload["sha256"]
        next_page = "more" if payload.get("remaining") else None
        file: dict[str, Any] = {"name": name, "sha256": sha, "status": "ingested"}
        if payload.get("error"):
            file.update(status="quarantined", error=payload["error"])
            return Page(posts=(), next_page=next_page, meta={"file": file})
        messages: list[Message] = payload["messages"]
        documents: Mapping[str, str] = payload.get("documents") or {}
        ids = message_ids(self.group, messages)
        posts = tuple(
            self._post(mid, m, name, documents)
            for mid, m in zip(ids, messages, strict=True)
            if m.text or m.attachments or m.parts
        )
        meta: dict[str, Any] = {"file": file}
        if payload.get("left_out"):
            meta["left_out"] = payload["left_out"]
        return Page(posts=posts, next_page=next_page, reads=len(posts), meta=meta)

    def _post(self, mid: str, m: Message, name: str, documents: Mapping[str, str]) -> PulledPost:
        builder = TextBuilder(m.text)
        for kind, label, text in m.parts:
            builder.add(kind, label, text)
        for attachment in m.attachments:
            if attachment in documents:
                builder.add(
                    "attachment_text", f"Shared document {attachment}", documents[attachment]
                )
        text, parts = builder.build()
        extra: dict[str, Any] = {
            "kind": m.kind,
            "file": name,
            "parts": parts,
            "media": [
                {"type": "attachment", "name": a, "url": f"inbox:{PROCESSED}/{name}#{a}"}
                for a in m.attachments
                if a != "omitted"
            ]
            + [{"type": "omitted"} for a in m.attachments if a == "omitted"],
        }
        if m.links:
            extra["links"] = list(m.links)
        if m.edited:
            extra["edited"] = True
        return PulledPost(
            external_id=f"{self.platform[:2]}:{mid}",
            text=text,
            created_at=m.at,
            author_handle=m.sender,
            extra=extra,
        )

    # -- reading one file (the I/O `fetch` does; `export_reading`) ---------------------------

    def read(self, path: Path) -> dict[str, Any]:
        """The messages of one export file, or `{"error": reason}` (see `ExportReader`)."""
        return ExportReader(
            platform=self.platform,
            group_names=self.group_names,
            tz=self.tz,
            date_order=self.date_order,
            max_bytes=self.max_bytes,
            max_expanded_bytes=self.max_expanded_bytes,
        ).read(path)

    # -- I/O ---------------------------------------------------------------------------------

    def fetch(self, request: Mapping[str, Any]) -> Any:
        """The first unseen, settled file of the inbox, read (tidying seen ones away first)."""
        try:
            secure_folder(self.inbox)
            known = self.known()
            new: list[tuple[Path, str]] = []
            for path in self._candidates():
                secure_file(path)
                sha = _sha256(path)
                if sha in known:
                    self._tidy(path, *known[sha])
                elif not any(s == sha for _, s in new):
                    new.append((path, sha))
                if len(new) > 1:
                    break
            if not new:
                return None
            path, sha = new[0]
            read = self.read(path)
        except OSError as exc:
            raise TransientError(f"cannot read the inbox: {exc}", endpoint=self.endpoint) from exc
        return {"name": path.name, "sha256": sha, "remaining": len(new) - 1, **read}

    def _candidates(self) -> Iterator[Path]:
        now = self._clock()
        for path in sorted(self.inbox.iterdir()):
            name = path.name
            if (
                not path.is_file()
                or name.startswith(".")
                or name.lower().endswith(PARTIAL_SUFFIXES)
                or name.endswith(".error.txt")
            ):
                continue
            if now - path.stat().st_mtime < self.settle_seconds:
                continue  # may still be copying in
            yield path

    def _tidy(self, path: Path, status: str, error: str | None) -> None:
        """Move a recorded file to processed/ or quarantine/ (with its reason beside it)."""
        folder = secure_folder(self.inbox / (QUARANTINE if status == "quarantined" else PROCESSED))
        target = folder / path.name
        n = 1
        while target.exists():
            target = folder / f"{path.stem}.{n}{path.suffix}"
            n += 1
        path.replace(target)
        secure_file(target)
        if status == "quarantined":
            note = folder / f"{target.name}.error.txt"
            note.write_text(
                f"{target.name} was not ingested: {error}\n"
                "Fix or re-export the file and drop it into the inbox again.\n",
                encoding="utf-8",
            )
            secure_file(note)

    def fetch_media(self, url: str) -> Media:
        """An attachment inside a processed "with media" export: `inbox:processed/<zip>#<name>`."""
        match = re.match(rf"^inbox:{PROCESSED}/([^/#]+)#(.+)$", url)
        if match is None:
            raise ConnectorError(f"not an inbox media reference: {url!r}", endpoint=self.endpoint)
        archive = self.inbox / PROCESSED / match.group(1)
        try:
            with zipfile.ZipFile(archive) as z, z.open(match.group(2)) as member:
                data = member.read(self.max_expanded_bytes + 1)
        except (OSError, KeyError, zipfile.BadZipFile) as exc:
            raise ConnectorError(
                f"attachment not available: {exc}", endpoint=self.endpoint
            ) from exc
        if len(data) > self.max_expanded_bytes:
            raise ConnectorError("attachment is over the expanded-size cap", endpoint=self.endpoint)
        suffix = match.group(2).rsplit(".", 1)[-1].lower()
        content_type = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png"}.get(
            suffix, "application/octet-stream"
        )
        return Media(url=url, content_type=content_type, data=data)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


# --- plug-ins -----------------------------------------------------------------------------------


class ExportConfig(ConnectorConfig):
    """Staff-group exports (section 12): one config for WhatsApp and Facebook group exports."""

    timezone: str = Field(
        default="Europe/London", description="Local time of exports' timestamps (no zone in them)."
    )
    date_order: Literal["dmy", "mdy"] | None = Field(
        default=None,
        description="Day/month order of WhatsApp dates when a file cannot tell (dmy: UK phones); "
        "unset: such a file is quarantined, never guessed.",
    )
    settle_seconds: float = Field(
        default=60.0, ge=0, description="A file younger than this may still be copying."
    )
    max_bytes: int = Field(
        default=200 * 1024 * 1024, ge=1024, description="Cap on one export file as dropped."
    )
    max_expanded_bytes: int = Field(
        default=200 * 1024 * 1024,
        ge=1024,
        description="Cap on what one export expands to (zip members read, all together).",
    )


def _builder(platform: Platform) -> Any:
    def build(
        account: AccountRef, credentials: Credentials | None, config: ExportConfig
    ) -> GroupExportConnector:
        if account.inbox is None or account.known_files is None:
            raise ValueError("an export account needs its inbox folder and the files taken")
        return GroupExportConnector(
            platform=str(platform),
            group=account.external_id,
            group_names=_group_names(account),
            inbox=account.inbox,
            known=account.known_files,
            timezone=config.timezone,
            date_order=config.date_order,
            settle_seconds=config.settle_seconds,
            max_bytes=config.max_bytes,
            max_expanded_bytes=config.max_expanded_bytes,
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
