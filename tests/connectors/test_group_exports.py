"""Staff group exports: WhatsApp chats (every date order, with media, re-exports) and Facebook DYI.

The fixtures are the real shapes of tests/fixtures/real_shapes/whatsapp and facebook_dyi (their
manifests say what must be stored) and chat-miner's exports of real phones in
../shared/fixtures/whatsapp-exports (read in place). Files are dropped into an inbox and read
through the connector, as a cycle would.
"""

from __future__ import annotations

import io
import json
import os
import stat
import time
import tracemalloc
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.base import Page, PulledPost
from connectors.export_messages import ExportFormatError
from connectors.facebook_export import fix_mojibake
from connectors.group_exports import ExportCursor, GroupExportConnector
from connectors.whatsapp_export import parse_whatsapp
from devkit.sandbox.exports import FACEBOOK_GROUP_JSON, IOS_PHOTO, WHATSAPP_TXT, drop, whatsapp_zip
from tests.connectors.real_shapes import ROOT, SHARED, case, cases, check, zipped

LONDON = ZoneInfo("Europe/London")
GROUP = "Oakfield Staff Room"


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
    inbox: Path, known: Known, platform: str = "whatsapp_export", **kw: Any
) -> GroupExportConnector:
    kw.setdefault("group_names", (GROUP,))
    kw.setdefault("settle_seconds", 60)
    return GroupExportConnector(platform=platform, group="staff", inbox=inbox, known=known, **kw)


def cycle(conn: GroupExportConnector, known: Known) -> list[Page]:
    pages = []
    while True:
        page = conn.parse_page(conn.fetch(conn.request(ExportCursor(), None)))
        known.record(page)
        pages.append(page)
        if not page.next_page:
            return pages


def ingest(tmp_path: Path, files: list[tuple[str, bytes]], **kw: Any) -> tuple[list[Page], Known]:
    known = Known()
    conn = connector(tmp_path, known, **kw)
    pages: list[Page] = []
    for name, data in files:  # one at a time, in order (re-exports arrive later)
        drop(tmp_path, name, data)
        pages += cycle(conn, known)
    return pages, known


def posts_of(pages: list[Page]) -> list[PulledPost]:
    return [p for page in pages for p in page.posts]


# --- WhatsApp: the real-shape cases -------------------------------------------------------------

SINGLE_FILE = [
    c
    for c in cases("whatsapp")
    if len(c["files"]) == 1 and c["case"] not in ("wa_ambiguous_dates",)
]


@pytest.mark.parametrize("c", SINGLE_FILE, ids=lambda c: c["case"])
def test_whatsapp_cases(tmp_path: Path, c: dict[str, Any]) -> None:
    """Every date order and phone; a UK trust configures day-first for files that cannot tell."""
    (file,) = c["files"]
    pages, _ = ingest(tmp_path, [(file, (ROOT / "whatsapp" / file).read_bytes())], date_order="dmy")
    posts = [p for p in posts_of(pages) if p.text]  # media-only messages are counted apart
    check(c["expect"], posts)
    media_only = [p for p in posts_of(pages) if not p.text]
    assert len(posts) + len(media_only) == c["expect"].get("count_if_media_only_stored", len(posts))


@pytest.mark.parametrize("zip_case", ["wa_android_zip_with_media", "wa_ios_zip_with_media"])
def test_with_media_zips_read_the_chat_not_a_shared_document(tmp_path: Path, zip_case: str) -> None:
    c = case("whatsapp", zip_case)
    folder = ROOT / "whatsapp" / Path(c["files"][0]).parent
    pages, _ = ingest(tmp_path, [zipped(folder, c["zip"]["name"])], date_order="dmy")
    posts = posts_of(pages)
    check(c["expect"], posts)
    shared = next(p for p in posts if any("Allergy" in m.get("name", "") for m in p.extra["media"]))
    (part,) = [p for p in shared.extra["parts"] if p["kind"] == "attachment_text"]
    assert "Ava Carter - peanuts" in shared.text[part["start"] : part["end"]]  # scanned too


def test_a_zip_with_two_chat_like_texts_and_no_chat_name_is_quarantined(tmp_path: Path) -> None:
    chat = (ROOT / "whatsapp" / "uk_android_24h.txt").read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("one.txt", chat)
        archive.writestr("two.txt", chat)
    (page,), _ = ingest(tmp_path, [("export.zip", buffer.getvalue())], date_order="dmy")
    assert page.meta["file"]["status"] == "quarantined"
    assert "more than one chat" in page.meta["file"]["error"]


def test_ambiguous_dates_are_read_in_the_configured_order_or_quarantined(tmp_path: Path) -> None:
    c = case("whatsapp", "wa_ambiguous_dates")
    data = (ROOT / "whatsapp" / c["files"][0]).read_bytes()
    pages, _ = ingest(tmp_path / "dmy", [("chat.txt", data)], date_order="dmy")
    check(c["expect"]["when_account_date_order_is_DMY"], posts_of(pages))
    (page,), _ = ingest(tmp_path / "unset", [("chat.txt", data)])
    file = page.meta["file"]
    assert file["status"] == "quarantined" and page.posts == ()
    for words in c["expect"]["when_no_date_order_is_configured"]["error_mentions"]:
        assert words in file["error"]
    assert "line 1" in file["error"]


def test_the_same_chat_from_two_phones_is_stored_once(tmp_path: Path) -> None:
    c = case("whatsapp", "wa_same_chat_two_phones")
    files = [(f, (ROOT / "whatsapp" / f).read_bytes()) for f in c["expect"]["ingest_order"]]
    pages, _ = ingest(tmp_path, files, date_order="dmy")
    first, second = pages
    assert len(first.posts) == c["expect"]["count_after_a"]
    stored = {p.external_id: p for p in posts_of(pages)}  # the upsert keeps one per id
    check(c["expect"], list(stored.values()), exact_time=False)


def test_an_edited_message_is_stored_once_with_or_without_its_marker(tmp_path: Path) -> None:
    edited = (ROOT / "whatsapp" / "edited_marker.txt").read_text("utf-8")
    before = edited.replace(" <This message was edited>", "")
    pages, _ = ingest(
        tmp_path, [("a.txt", before.encode()), ("b.txt", edited.encode())], date_order="dmy"
    )
    ids = [p.external_id for p in posts_of(pages) if "nits" in p.text]
    assert len(ids) == 2 and len(set(ids)) == 1


@pytest.mark.parametrize(
    ("file", "order"),
    [
        ("test_ddmmyy_24hrs.txt", None),
        ("test_mmddyy_24hrs.txt", None),
        ("test_mmddyyyy_12hrs.txt", None),
        ("test_yyyymmdd_24hrs.txt", None),
        ("test_[mmddyy]_24hrs.txt", None),
    ],
)
def test_chat_miners_real_phone_formats_give_their_target(file: str, order: Any) -> None:
    """Third-party exports of real phones (chat-miner, MIT), read in place: every message of its
    `target.json` is found with its author and minute, whatever the date order."""
    folder = SHARED / "whatsapp-exports"
    messages = parse_whatsapp((folder / file).read_text("utf-8"), tz=UTC, date_order=order)  # type: ignore[arg-type]
    target = json.loads((folder / "target.json").read_text("utf-8"))
    got = {
        (m.at.replace(tzinfo=None).isoformat(), m.sender, " ".join(m.text.split()))
        for m in messages
    }
    for t in target:
        assert (t["timestamp"], t["author"], t["message"]) in got
    assert not any("created group" in m.text or "added" in m.text for m in messages)


# --- WhatsApp: any date order, property-tested ---------------------------------------------------

FORMATS = {
    "uk": lambda d: d.strftime("%d/%m/%Y, %H:%M - "),
    "us": lambda d: f"{d.month}/{d.day}/{d:%y}, {d:%H:%M} - ",
    "us12": lambda d: (
        f"{d.month}/{d.day}/{d:%y}, {d.hour % 12 or 12}:{d:%M}\u202f"
        f"{'AM' if d.hour < 12 else 'PM'} - "
    ),
    "ios_uk": lambda d: d.strftime("[%d/%m/%Y, %H:%M:%S] "),
    "ios_us": lambda d: f"[{d.month}/{d.day}/{d:%y}, {d:%H:%M:%S}] ",
    "iso": lambda d: d.strftime("%Y-%m-%d, %H:%M - "),
    "ymd_cn": lambda d: f"{d.year}/{d.month}/{d.day} {d:%H:%M} - ",
    "dots": lambda d: d.strftime("[%d.%m.%Y, %H:%M:%S] "),
}
TRUE_ORDER = {"uk": "dmy", "ios_uk": "dmy", "us": "mdy", "us12": "mdy", "ios_us": "mdy"}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fmt=st.sampled_from(sorted(FORMATS)),
    times=st.lists(
        st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31)),
        min_size=1,
        max_size=8,
    ),
    configured=st.sampled_from([None, "dmy", "mdy"]),
)
def test_any_date_order_is_read_right_or_refused_naming_a_line(
    fmt: str, times: list[datetime], configured: Any
) -> None:
    """A chat is never stored with swapped day and month: either every time is right, or the
    file is refused with a message that names the line it could not read."""
    times = sorted(
        t.replace(second=0 if "ios" not in fmt and fmt != "dots" else t.second, microsecond=0)
        for t in times
    )
    chat = "".join(f"{FORMATS[fmt](t)}Priya Patel: message {i}\n" for i, t in enumerate(times))
    try:
        messages = parse_whatsapp(chat, tz=UTC, date_order=configured)
    except ExportFormatError as exc:
        assert "line " in str(exc)
        # Refused only when the order was unknowable from the file and nobody configured it,
        # or when the configured order contradicts nothing yet could not read (never silently).
        assert fmt in TRUE_ORDER
        return
    got = [m.at.replace(tzinfo=None) for m in messages]
    if fmt in TRUE_ORDER and configured not in (None, TRUE_ORDER[fmt]):
        told = any(t.day > 12 for t in times)
        if not told:
            return  # a file that cannot tell, read in the order IT configured: IT's choice
    assert got == times


# --- WhatsApp: limits ------------------------------------------------------------------------


def _bomb(path: Path, expands_to: int, *, lie: bool = False) -> None:
    """A zip whose one chat member expands to `expands_to` bytes, written in chunks (the test
    never holds it); `lie` patches the headers' uncompressed size to 1,000 bytes."""
    header = b"01/09/2026, 08:00 - Priya Patel: "
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open(f"WhatsApp Chat with {GROUP}.txt", "w", force_zip64=True) as member:
            member.write(header)
            chunk = b"A" * (1024 * 1024)
            left = expands_to - len(header)
            while left > 0:
                member.write(chunk[:left])
                left -= len(chunk)
    if lie:  # the central directory's uncompressed size (what ZipInfo.file_size reads)
        data = bytearray(path.read_bytes())
        at = data.find(b"PK\x01\x02")
        assert at != -1
        data[at + 24 : at + 28] = (1000).to_bytes(4, "little")
        path.write_bytes(bytes(data))
        assert zipfile.ZipFile(path).infolist()[0].file_size == 1000


@pytest.mark.parametrize("lie", [False, True], ids=["honest-header", "lying-header"])
def test_a_zip_bomb_is_quarantined_without_expanding_it(tmp_path: Path, lie: bool) -> None:
    cap = 4 * 1024 * 1024
    bomb = tmp_path / "bomb.zip"
    _bomb(bomb, 256 * 1024 * 1024, lie=lie)
    assert bomb.stat().st_size < 2 * 1024 * 1024  # ~1000:1, the shape of the 255 KB zip
    inbox = tmp_path / "inbox"
    drop(inbox, f"WhatsApp Chat with {GROUP}.zip", bomb)
    known = Known()
    tracemalloc.start()
    try:
        (page,) = cycle(connector(inbox, known, max_expanded_bytes=cap, date_order="dmy"), known)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    file = page.meta["file"]
    assert file["status"] == "quarantined" and page.posts == ()
    if lie:  # read in chunks past the declared 1,000 bytes: the CRC check refuses the member
        assert "Bad CRC" in file["error"], file["error"]
    else:
        assert "too large" in file["error"], file["error"]
    assert peak < 2 * cap + 2 * 1024 * 1024, peak  # never the 256 MB it expands to
    cycle(connector(inbox, known, max_expanded_bytes=cap), known)
    assert (inbox / "quarantine" / f"WhatsApp Chat with {GROUP}.zip").exists()


def test_an_oversized_file_is_quarantined(tmp_path: Path) -> None:
    (page,), _ = ingest(tmp_path, [("huge.txt", b"x" * 5000)], max_bytes=1024)
    assert page.meta["file"]["status"] == "quarantined" and "cap" in page.meta["file"]["error"]


def test_a_text_export_over_the_expanded_cap_is_refused_while_streaming(tmp_path: Path) -> None:
    chat = b"01/09/2026, 08:00 - Priya Patel: hello\n" * 2000
    (page,), _ = ingest(tmp_path, [("chat.txt", chat)], max_expanded_bytes=4096, date_order="dmy")
    assert "too large" in page.meta["file"]["error"]


# --- inbox handling and permissions ---------------------------------------------------------


def test_each_file_once_by_content_then_tidied_away_owner_only(tmp_path: Path) -> None:
    known = Known()
    conn = connector(tmp_path, known, group_names=("Oakfield Staff Room",), date_order="dmy")
    drop(tmp_path, WHATSAPP_TXT.name, WHATSAPP_TXT)
    drop(tmp_path, "WhatsApp Chat - Year 7.zip", whatsapp_zip())
    drop(tmp_path, "same content again.txt", WHATSAPP_TXT)
    drop(tmp_path, "copying.txt.part", b"half a file")
    drop(tmp_path, "just arrived.txt", b"[03/11/2026, 15:42:01] A: b", age_seconds=0)
    pages = cycle(conn, known)
    assert [len(p.posts) for p in pages] == [7, 11]
    assert cycle(conn, known)[0].posts == ()
    processed = tmp_path / "processed"
    assert sorted(p.name for p in processed.iterdir()) == [
        "WhatsApp Chat - Year 7.zip",
        WHATSAPP_TXT.name,
        "same content again.txt",
    ]
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o700
    assert stat.S_IMODE(processed.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in processed.iterdir()} == {0o600}

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
    chat = WHATSAPP_TXT.read_text("utf-8")
    later = chat + "10/11/2026, 08:00 - Priya Shah: New week, new rota!\n"
    first, second = ingest(
        tmp_path, [("first.txt", chat.encode()), ("second.txt", later.encode())], date_order="dmy"
    )[0]
    first_ids = {p.external_id for p in first.posts}
    assert {p.external_id for p in second.posts} - first_ids == {
        p.external_id for p in second.posts if p.text == "New week, new rota!"
    }
    assert first_ids <= {p.external_id for p in second.posts}


def test_a_malformed_file_is_quarantined_with_its_reason_and_an_owner_only_note(
    tmp_path: Path,
) -> None:
    known = Known()
    conn = connector(
        tmp_path, known, platform="facebook_group_export", group_names=("Oakfield Staff Social",)
    )
    drop(tmp_path, "broken.json", b'{"group_posts_v2": [')
    drop(tmp_path, "good.json", FACEBOOK_GROUP_JSON)
    pages = cycle(conn, known)
    assert pages[0].meta["file"]["status"] == "quarantined" and pages[0].posts == ()
    assert "invalid JSON at line 1" in pages[0].meta["file"]["error"]
    assert len(pages[1].posts) == 4 and pages[1].meta["file"]["status"] == "ingested"
    cycle(conn, known)
    note = tmp_path / "quarantine" / "broken.json.error.txt"
    assert (tmp_path / "quarantine" / "broken.json").exists() and "invalid JSON" in note.read_text()
    assert stat.S_IMODE(note.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "quarantine").stat().st_mode) == 0o700


# --- Facebook "Download Your Information" ---------------------------------------------------


def _dyi_zip(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in sorted(folder.rglob("*")):
            if member.is_file():
                archive.write(member, arcname=str(member.relative_to(folder)))
    return buffer.getvalue()


def test_dyi_keeps_only_the_monitored_groups_posts_and_comments(tmp_path: Path) -> None:
    c = case("facebook_dyi", "dyi_json_monitored_group_only")
    zipped_export = _dyi_zip(ROOT / "facebook_dyi" / "json_export")
    pages, _ = ingest(
        tmp_path, [("facebook-priya.zip", zipped_export)], platform="facebook_group_export"
    )
    check(c["expect"], posts_of(pages))
    assert pages[0].meta["left_out"] == 2  # the allotment group's post and comment


@pytest.mark.parametrize(
    "name", ["dyi_mojibake", "dyi_legacy_layout"], ids=["mojibake", "legacy-layout"]
)
def test_dyi_json_files(tmp_path: Path, name: str) -> None:
    c = case("facebook_dyi", name)
    (file,) = c["files"]
    pages, _ = ingest(
        tmp_path,
        [(Path(file).name, (ROOT / "facebook_dyi" / file).read_bytes())],
        platform="facebook_group_export",
    )
    check(c["expect"], posts_of(pages))


def test_dyi_html_export_is_read(tmp_path: Path) -> None:
    c = case("facebook_dyi", "dyi_html_export")
    files = [(Path(f).name, (ROOT / "facebook_dyi" / f).read_bytes()) for f in c["files"]]
    pages, _ = ingest(tmp_path, files, platform="facebook_group_export")
    check(c["expect"], posts_of(pages))


def test_a_file_without_group_activity_is_quarantined_saying_what_to_export(tmp_path: Path) -> None:
    c = case("facebook_dyi", "dyi_json_without_group_key")
    (file,) = c["files"]
    (page,), _ = ingest(
        tmp_path,
        [(Path(file).name, (ROOT / "facebook_dyi" / file).read_bytes())],
        platform="facebook_group_export",
    )
    assert page.meta["file"]["status"] == "quarantined" and page.posts == ()
    for words in c["expect"]["error_mentions"]:
        assert words in page.meta["file"]["error"]
    assert "group_posts_and_comments.json" in page.meta["file"]["error"]


def test_a_zip_member_without_group_activity_does_not_quarantine_the_zip(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    (folder / "groups").mkdir(parents=True)
    src = ROOT / "facebook_dyi"
    (folder / "groups" / "group_posts_and_comments.json").write_bytes(
        (src / "mojibake/your_facebook_activity/groups/group_posts_and_comments.json").read_bytes()
    )
    (folder / "posts.json").write_bytes(
        (src / "no_group_key/your_posts__check_ins__photos_and_videos_1.json").read_bytes()
    )
    (page,), _ = ingest(
        tmp_path / "inbox", [("dyi.zip", _dyi_zip(folder))], platform="facebook_group_export"
    )
    assert page.meta["file"]["status"] == "ingested" and len(page.posts) == 1


def test_facebook_mojibake_is_repaired() -> None:
    assert fix_mojibake("Zo\u00c3\u00ab caf\u00c3\u00a9 \u00e2\u0098\u0095") == "Zoë café ☕"
    assert fix_mojibake("already fine ☕") == "already fine ☕"


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    split=st.integers(min_value=1, max_value=8),
    rename=st.booleans(),
    seconds=st.booleans(),
    again=st.booleans(),
)
def test_no_export_is_stored_twice_however_it_is_re_exported(
    tmp_path_factory: pytest.TempPathFactory, split: int, rename: bool, seconds: bool, again: bool
) -> None:
    """A chat exported in part, then whole, from another phone (other contact names, seconds
    shown), or the same file twice: every message is stored once."""
    base = datetime(2026, 9, 29, 15, 0)
    said = [
        ("Priya Patel", "Mrs Patel", "Rota is up"),
        ("Owen (PE)", "Owen Hughes", "Thanks!"),
        ("Grace A", "Grace Adeyemi", "Thanks!"),
        ("Priya Patel", "Mrs Patel", "Rota is up"),
        ("Grace A", "Grace Adeyemi", "Swap my slot?"),
        ("Owen (PE)", "Owen Hughes", "OK"),
        ("Priya Patel", "Mrs Patel", "Done"),
        ("Grace A", "Grace Adeyemi", "Ta"),
    ]

    def export(n: int, other_phone: bool) -> bytes:
        lines = []
        for i, (name, alias, text) in enumerate(said[:n]):
            at = base + timedelta(minutes=i // 3)
            who = alias if other_phone else name
            if other_phone and seconds:
                lines.append(f"[{at:%d/%m/%Y, %H:%M}:{i:02d}] {who}: {text}")
            else:
                lines.append(f"{at:%d/%m/%Y, %H:%M} - {who}: {text}")
        return ("\n".join(lines) + "\n").encode()

    tmp = tmp_path_factory.mktemp("reexport")
    files = [("a.txt", export(split, False)), ("b.txt", export(len(said), rename))]
    if again:
        files.append(("c.txt", export(len(said), not rename)))
    pages, _ = ingest(tmp, files, date_order="dmy")
    stored = {p.external_id for p in posts_of(pages)}
    assert len(stored) == len(said)
