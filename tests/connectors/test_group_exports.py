"""Staff group exports: WhatsApp chats (iOS, Android, with media) and Facebook group JSON."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from connectors.base import Page
from connectors.group_exports import (
    ExportCursor,
    ExportFormatError,
    GroupExportConnector,
    fix_mojibake,
    parse_facebook_group,
    parse_whatsapp,
)
from devkit.sandbox.exports import (
    FACEBOOK_GROUP_JSON,
    IOS_PHOTO,
    WHATSAPP_TXT,
    drop,
    whatsapp_zip,
)

LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    ("line", "at", "sender", "text"),
    [
        (
            "[03/11/2026, 15:42:01] Priya Shah: hello",
            datetime(2026, 11, 3, 15, 42, 1),
            "Priya Shah",
            "hello",
        ),
        (
            "03/11/2026, 15:42 - Priya Shah: hello",
            datetime(2026, 11, 3, 15, 42),
            "Priya Shah",
            "hello",
        ),
        ("03/11/26, 3:42 pm - Owen: a: b", datetime(2026, 11, 3, 15, 42), "Owen", "a: b"),
        ("[03/11/2026, 3:42:01 am] Owen: early", datetime(2026, 11, 3, 3, 42, 1), "Owen", "early"),
        (
            "[12/04/2026, 12:05:00 pm] Owen: noon",
            datetime(2026, 4, 12, 11, 5),
            "Owen",
            "noon",
        ),  # BST
        (
            "\u200e[03/11/2026, 15:42:01] +44 7700 900123: hi",
            datetime(2026, 11, 3, 15, 42, 1),
            "+44 7700 900123",
            "hi",
        ),
    ],
    ids=["ios", "android", "android-12h-2digit", "ios-12h", "summer-time", "phone-number"],
)
def test_whatsapp_header_formats(line: str, at: datetime, sender: str, text: str) -> None:
    (m,) = parse_whatsapp(line, tz=LONDON)
    assert (m.at, m.sender, m.text) == (at.replace(tzinfo=UTC), sender, text)


def test_the_android_sample_multi_line_media_and_system_lines() -> None:
    messages = parse_whatsapp(
        WHATSAPP_TXT.read_text("utf-8"), tz=LONDON, group_name="Oakfield Staff Room"
    )
    assert len(messages) == 11
    assert not any("end-to-end" in m.text or "created group" in m.text for m in messages)
    worried = next(m for m in messages if m.text.startswith("Worried about"))
    assert worried.text.endswith("Can we keep an eye on him?") and "\n" in worried.text
    assert next(m for m in messages if not m.text).attachments == ("omitted",)
    assert not any("deleted" in m.text for m in messages)


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("just some notes\nnothing else", "first line is not a WhatsApp message header"),
        ("", "no WhatsApp messages found"),
        ("[31/02/2026, 10:00:00] A: impossible", "impossible date"),
    ],
)
def test_not_a_chat_is_a_clear_error(text: str, complaint: str) -> None:
    with pytest.raises(ExportFormatError, match=complaint):
        parse_whatsapp(text, tz=LONDON)


def test_facebook_mojibake_is_repaired() -> None:
    assert fix_mojibake("Zo\u00c3\u00ab caf\u00c3\u00a9 \u00e2\u0098\u0095") == "Zoë café ☕"
    assert fix_mojibake("already fine ☕") == "already fine ☕"
    messages = parse_facebook_group(json.loads(FACEBOOK_GROUP_JSON.read_text("utf-8")))
    assert [(m.sender, m.kind) for m in messages] == [
        ("Zoë Clarke", "post"),
        ("Siân Evans", "post"),
        ("Zoë Clarke", "post"),
        ("Siân Evans", "comment"),
    ]
    assert "café" in messages[0].text and messages[1].attachments
    assert "[image: Tombola prizes donated so far]" in messages[1].text


@pytest.mark.parametrize(
    ("data", "complaint"),
    [
        ({"something_else": []}, "no group posts found"),
        ({"group_posts_v2": [{"data": []}]}, "timestamp"),
    ],
)
def test_a_facebook_export_without_posts_is_a_clear_error(data: object, complaint: str) -> None:
    with pytest.raises(ExportFormatError, match=complaint):
        parse_facebook_group(data)


class Known:
    """The database's view of the inbox, kept in memory the way the pipeline's records would be."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[str, str | None]] = {}

    def __call__(self) -> dict[str, tuple[str, str | None]]:
        return dict(self.files)

    def record(self, page: Page) -> None:
        f = page.meta.get("file")
        if f:
            self.files[f["sha256"]] = (f["status"], f.get("error"))


def connector(
    inbox: Path, known: Known, platform: str = "whatsapp_export", **kw: object
) -> GroupExportConnector:
    return GroupExportConnector(
        platform=platform, group="staff", inbox=inbox, known=known, settle_seconds=60, **kw
    )  # type: ignore[arg-type]


def cycle(conn: GroupExportConnector, known: Known) -> list[Page]:
    pages = []
    while True:
        page = conn.parse_page(conn.fetch(conn.request(ExportCursor(), None)))
        known.record(page)
        pages.append(page)
        if not page.next_page:
            return pages


def test_each_file_once_by_content_then_tidied_away(tmp_path: Path) -> None:
    known = Known()
    conn = connector(tmp_path, known)
    drop(tmp_path, WHATSAPP_TXT.name, WHATSAPP_TXT)
    drop(tmp_path, "WhatsApp Chat - Year 7.zip", whatsapp_zip())
    drop(tmp_path, "same content again.txt", WHATSAPP_TXT)
    drop(tmp_path, "copying.txt.part", b"half a file")
    drop(tmp_path, "just arrived.txt", b"[03/11/2026, 15:42:01] A: b", age_seconds=0)
    pages = cycle(conn, known)
    assert [len(p.posts) for p in pages] == [7, 11]
    assert cycle(conn, known)[0].posts == ()
    assert sorted(p.name for p in (tmp_path / "processed").iterdir()) == [
        "WhatsApp Chat - Year 7.zip",
        WHATSAPP_TXT.name,
        "same content again.txt",
    ]
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == [
        "copying.txt.part",
        "just arrived.txt",
    ]

    photo = next(p for page in pages for p in page.posts if p.extra["media"])
    ref = photo.extra["media"][0]
    assert ref["name"] == IOS_PHOTO
    media = conn.fetch_media(ref["url"])
    assert media.content_type == "image/jpeg" and media.data.startswith(b"\xff\xd8")

    old = time.time() - 3600
    os.utime(tmp_path / "just arrived.txt", (old, old))
    (settled,) = cycle(conn, known)
    assert len(settled.posts) == 1


def test_a_re_export_adds_only_the_new_messages(tmp_path: Path) -> None:
    known = Known()
    conn = connector(tmp_path, known)
    chat = WHATSAPP_TXT.read_text("utf-8")
    drop(tmp_path, "first.txt", chat.encode())
    (first,) = cycle(conn, known)
    later = chat + "10/11/2026, 08:00 - Priya Shah: New week, new rota!\n"
    drop(tmp_path, "second.txt", later.encode())
    (second,) = cycle(conn, known)
    first_ids = {p.external_id for p in first.posts}
    assert {p.external_id for p in second.posts} - first_ids == {
        p.external_id for p in second.posts if p.text == "New week, new rota!"
    }
    assert first_ids <= {p.external_id for p in second.posts}


def test_a_malformed_file_is_quarantined_with_its_reason(tmp_path: Path) -> None:
    known = Known()
    conn = connector(tmp_path, known, platform="facebook_group_export")
    drop(tmp_path, "broken.json", b'{"group_posts_v2": [')
    drop(tmp_path, "good.json", FACEBOOK_GROUP_JSON)
    pages = cycle(conn, known)
    assert pages[0].meta["file"]["status"] == "quarantined" and pages[0].posts == ()
    assert "invalid JSON at line 1" in pages[0].meta["file"]["error"]
    assert len(pages[1].posts) == 4 and pages[1].meta["file"]["status"] == "ingested"
    cycle(conn, known)
    assert (tmp_path / "quarantine" / "broken.json").exists()
    assert "invalid JSON" in (tmp_path / "quarantine" / "broken.json.error.txt").read_text()


def test_an_oversized_file_is_quarantined(tmp_path: Path) -> None:
    known = Known()
    drop(tmp_path, "huge.txt", b"x" * 5000)
    (page,) = cycle(connector(tmp_path, known, max_bytes=1024), known)
    assert page.meta["file"]["status"] == "quarantined" and "cap" in page.meta["file"]["error"]
