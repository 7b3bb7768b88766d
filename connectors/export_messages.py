"""What group exports (WhatsApp chats, Facebook "Download Your Information") have in common.

- `Message`: one message, post or comment read from an export, before it becomes a post;
- `message_ids`: ids that survive re-exports, even from another member's phone;
- `iter_lines` / `read_capped`: streaming, byte-capped reads, so a file (or a zip member that
  lies about its size) never expands past the cap in memory — a zip bomb in a staff inbox is
  refused as "too large", it does not take the worker down.
"""

from __future__ import annotations

import codecs
import hashlib
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

CHUNK = 1024 * 1024


class ExportFormatError(ValueError):
    """A file that is not an export we can read; the message says what to fix."""


class TooLarge(ExportFormatError):
    """A file, or what it expands to, is over the configured cap."""


@dataclass(frozen=True, slots=True)
class Message:
    at: datetime
    sender: str
    text: str
    attachments: tuple[str, ...] = ()
    kind: str = "message"  # message (chat), post or comment (Facebook group)
    edited: bool = False
    parts: tuple[tuple[str, str, str], ...] = ()  # (kind, label, text) beside the text
    links: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


def _normal(text: str) -> str:
    """What a re-export repeats of a text: NFC, whitespace runs as one space."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def message_ids(group: str, messages: list[Message]) -> list[str]:
    """Stable ids from what every copy of a chat repeats: minute and text, numbered in order.

    The sender is left out on purpose: each phone names members as its own contacts do ("Mrs
    Patel" on one, "Priya Patel" on another), and one phone shows minutes where another shows
    seconds. Three people saying "Thanks!" in one minute stay three messages (numbered 1-3 in
    the order every export lists them); one person sending a text twice stays two.
    """
    seen: Counter[tuple[str, str, str]] = Counter()
    ids = []
    for m in messages:
        key = (
            m.kind,
            m.at.strftime("%Y-%m-%dT%H:%M"),
            _normal(m.text) + "\x1e" + "|".join(m.attachments),
        )
        seen[key] += 1
        material = "\x1f".join([group, *key, str(seen[key])])
        ids.append(hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()[:40])
    return ids


class _Budget:
    """Bytes still allowed across every read of one export file (all zip members together)."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.used = 0

    def take(self, n: int, what: str) -> None:
        self.used += n
        if self.used > self.cap:
            raise TooLarge(
                f"{what} is too large: it expands past the {self.cap:,} byte cap "
                "(split the export, or raise POSTWARDEN_CONNECTORS__EXPORTS__MAX_EXPANDED_BYTES)"
            )


def read_capped(stream: IO[bytes], budget: _Budget, what: str) -> bytes:
    """All of a stream, refusing to hold more than the budget allows (read in chunks)."""
    chunks = []
    while chunk := stream.read(CHUNK):
        budget.take(len(chunk), what)
        chunks.append(chunk)
    return b"".join(chunks)


def iter_lines(stream: IO[bytes], budget: _Budget, what: str) -> Iterator[str]:
    """Lines of a UTF-8 text stream (BOM dropped, any newline), read chunk by chunk under the
    budget; invalid UTF-8 is an error naming the byte, not a silent replacement."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    pending = ""
    offset = 0
    while True:
        chunk = stream.read(CHUNK)
        budget.take(len(chunk), what)
        try:
            pending += decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            raise ExportFormatError(
                f"{what} is not UTF-8 text (byte {offset + exc.start}); export the chat again"
            ) from None
        offset += len(chunk)
        lines = pending.splitlines(keepends=True)
        pending = lines.pop() if chunk and lines and not lines[-1].endswith("\n") else ""
        for line in lines:
            yield line.rstrip("\r\n")
        if not chunk:
            if pending:
                yield pending.rstrip("\r\n")
            return


def budget(cap: int) -> _Budget:
    return _Budget(cap)
