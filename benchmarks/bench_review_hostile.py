"""What a hostile post size costs the review UI: a ~1 MB post's item page in Chromium (load and
first layout) and one PDF export of it (server CPU), on SQLite.

Usage: .venv/bin/python benchmarks/bench_review_hostile.py [N_CHARS] [KIND] [N_FINDINGS]
KIND: words (default); nospace, one unbroken run of letters; invisible, a zero-width space every
4 characters. N_FINDINGS are spread through the text (default 1).
Prints figures; asserts nothing. Needs Debian's chromium (/usr/bin/chromium).
"""

from __future__ import annotations

import socket
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright
from sqlmodel import Session

from core.findings import Severity
from postwarden.settings import Settings
from review.domain import actions, export
from review.domain.users import create_user
from review.web.app import create_app
from storage import crud
from storage.db import get_engine, migrate, session_scope
from storage.models import AccountKind, FindingRow, Person, Platform, Post, ReviewItem, Role
from storage.types import utcnow

PASSWORD = "benchmark-password"  # noqa: S105  (a throw-away benchmark database)
TAIL = "Harry Finch in Year 5 feeding the lambs"


def seed(url: str, n_chars: int, kind: str = "words", n_findings: int = 1) -> int:
    with session_scope(get_engine(url)) as s:
        school = crud.get_or_create_school(s, name="Bench School")
        staff = crud.create_person(
            s, name="Priya Shah", role=Role.STAFF, email="staff@b.example", school_id=school.id
        )
        create_user(s, person=staff, password=PASSWORD)
        account = crud.create_account(
            s,
            platform=Platform.X,
            external_id="a1",
            handle="acct",
            kind=AccountKind.OFFICIAL,
            conn_id="c1",
            school_id=school.id,
            creator_id=staff.id,
        )
        filler = {
            "words": "cows and sheep in the field ",
            "nospace": "cowsandsheepinthefield",
            "invisible": "moo\u200b",  # each invisible character becomes a visible stand-in
        }[kind]
        text = "Farm trip! " + filler * (n_chars // len(filler)) + TAIL
        post = Post(
            platform=Platform.X,
            external_id="big",
            account_id=account.id,  # type: ignore[arg-type]
            text=text,
            created_at=utcnow() - timedelta(hours=1),
            content_hash=crud.content_hash(text),
        )
        s.add(post)
        s.flush()
        starts = [text.index("Harry")]
        step = max(1, len(text) // max(n_findings, 1))
        starts += [i * step for i in range(1, n_findings)]
        for start in starts:
            s.add(
                FindingRow(
                    post_id=post.id,  # type: ignore[arg-type]
                    type="PUPIL_NAME_WITH_YEAR",
                    start=start,
                    end=start + 21,
                    score=0.9,
                    section="8.4",
                    severity="high",
                    explanation="Section 8.4 of the Social Media Policy.",
                )
            )
        item, _ = crud.open_or_update_item(
            s,
            post=post,
            severity=Severity.HIGH,
            assignee_id=staff.id,
            reason="bench",
            due_in=timedelta(hours=24),
        )
        return item.id  # type: ignore[return-value]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main(n_chars: int, kind: str, n_findings: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        migrate(url)
        item_id = seed(url, n_chars, kind, n_findings)
        settings = Settings(home=Path(tmp), database_url=url)

        with Session(get_engine(url)) as s:
            item = s.get(ReviewItem, item_id)
            person = s.get(Person, item.assignee_id)  # type: ignore[union-attr]
            ctx = actions.load_context(s, item)  # type: ignore[arg-type]
            t0 = time.perf_counter()
            pdf = export.pdf(export.record(s, ctx, exported_by=person))  # type: ignore[arg-type]
            pdf_s = time.perf_counter() - t0
        print(f"post: {len(ctx.post.text or ''):,} characters, {len(ctx.findings)} finding(s)")
        print(f"PDF export: {pdf_s:.2f} s of CPU, {len(pdf):,} bytes")

        port = _free_port()
        server = uvicorn.Server(
            uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="error")
        )
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path="/usr/bin/chromium", args=["--no-sandbox"], headless=True
                )
                page = browser.new_page(viewport={"width": 1366, "height": 900})
                page.set_default_timeout(600_000)
                page.goto(f"{base}/login")
                page.fill("#username", "staff@b.example")
                page.fill("#password", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_url(f"{base}/queue")
                t0 = time.perf_counter()
                response = page.goto(f"{base}/items/{item_id}", wait_until="load")
                height = page.evaluate("() => document.body.scrollHeight")  # forces layout
                page_s = time.perf_counter() - t0
                size = len(response.body()) if response else 0
                print(f"item page in Chromium: {page_s:.2f} s to load and lay out")
                print(f"  ({size:,} bytes of HTML, {height:,} px tall)")
                browser.close()
        finally:
            server.should_exit = True


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000,
        sys.argv[2] if len(sys.argv) > 2 else "words",
        int(sys.argv[3]) if len(sys.argv) > 3 else 1,
    )
