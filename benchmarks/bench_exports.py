"""Staff-group exports: time and memory to read a large chat and to refuse a zip bomb.

Run:

    .venv/bin/python benchmarks/bench_exports.py --messages 40000 --bomb-mib 1024

Prints, for a WhatsApp chat of `--messages` messages (WhatsApp's own export cap is about 40,000
without media), the time to hash, read and parse it and the peak Python memory (tracemalloc);
then for a zip whose one chat member expands to `--bomb-mib` MiB (about 1,000:1), honest and
with its headers patched to claim 1,000 bytes, the time to quarantine it and the peak memory, with
the default 200 MiB expanded-size cap. Figures go to docs/connectors.md with this command.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

from connectors.base import Page
from connectors.group_exports import ExportCursor, GroupExportConnector


def _chat(path: Path, messages: int) -> None:
    start = datetime(2026, 1, 1, 8, 0)
    with path.open("w", encoding="utf-8") as out:
        for i in range(messages):
            at = start + timedelta(minutes=i)
            out.write(
                f"{at:%d/%m/%Y, %H:%M} - Member {i % 40}: message number {i} about the rota\n"
            )


def _bomb(path: Path, mib: int, lie: bool) -> None:
    header = b"01/09/2026, 08:00 - Priya Patel: "
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("WhatsApp Chat with Staff.txt", "w", force_zip64=True) as member:
            member.write(header)
            chunk = b"A" * (1024 * 1024)
            for _ in range(mib):
                member.write(chunk)
    if lie:  # the central directory's uncompressed size (what ZipInfo.file_size reads)
        data = bytearray(path.read_bytes())
        at = data.find(b"PK\x01\x02")
        assert at != -1
        data[at + 24 : at + 28] = (1000).to_bytes(4, "little")
        path.write_bytes(bytes(data))
        assert zipfile.ZipFile(path).infolist()[0].file_size == 1000


def _once(folder: Path) -> tuple[Page, float, int]:
    """Seconds without tracemalloc (it slows Python several times), then the peak with it."""
    page, elapsed, _ = _run(folder, trace=False)
    return page, elapsed, _run(folder, trace=True)[2]


def _run(folder: Path, *, trace: bool) -> tuple[Page, float, int]:
    known: dict[str, tuple[str, str | None]] = {}
    conn = GroupExportConnector(
        platform="whatsapp_export",
        group="bench",
        inbox=folder,
        known=lambda: known,
        settle_seconds=0,
        date_order="dmy",
    )
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    page = conn.parse_page(conn.fetch(conn.request(ExportCursor(), None)))
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    tracemalloc.stop()
    return page, elapsed, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=40_000)
    parser.add_argument("--bomb-mib", type=int, default=1024)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        chat = Path(tmp) / "chat"
        chat.mkdir()
        _chat(chat / "WhatsApp Chat with Staff.txt", args.messages)
        size = (chat / "WhatsApp Chat with Staff.txt").stat().st_size
        page, elapsed, peak = _once(chat)
        print(
            f"chat: {args.messages:,} messages, {size / 2**20:.1f} MiB: {len(page.posts):,} posts "
            f"in {elapsed:.2f} s, peak {peak / 2**20:.1f} MiB"
        )
        for lie in (False, True):
            folder = Path(tmp) / f"bomb-{lie}"
            folder.mkdir()
            _bomb(folder / "WhatsApp Chat with Staff.zip", args.bomb_mib, lie)
            zsize = (folder / "WhatsApp Chat with Staff.zip").stat().st_size
            page, elapsed, peak = _once(folder)
            file = page.meta["file"]
            print(
                f"zip bomb ({'lying' if lie else 'honest'} header): {zsize / 2**20:.2f} MiB "
                f"expanding to {args.bomb_mib:,} MiB: {file['status']} in {elapsed:.2f} s, peak "
                f"{peak / 2**20:.1f} MiB ({file.get('error', '')[:70]})"
            )


if __name__ == "__main__":
    main()
