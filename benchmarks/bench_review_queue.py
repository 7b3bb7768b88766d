"""How long the review UI's heaviest pages take with many items (SQLite, in-process client).

Usage: .venv/bin/python benchmarks/bench_review_queue.py [N_ITEMS]
Prints figures; asserts nothing.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from core.findings import Severity
from postwarden.settings import Settings
from review.domain.users import create_user
from review.web.app import create_app
from storage import crud
from storage.db import get_engine, migrate, session_scope
from storage.models import AccountKind, FindingRow, Platform, Post, Role
from storage.types import utcnow

PASSWORD = "benchmark-password"  # noqa: S105  (a throw-away benchmark database)


def seed(url: str, n: int) -> None:
    with session_scope(get_engine(url)) as s:
        school = crud.get_or_create_school(s, name="Bench School")
        it = crud.create_person(s, name="Dana Okafor", role=Role.IT_DIRECTOR, email="it@b.example")
        staff = crud.create_person(
            s, name="Priya Shah", role=Role.STAFF, email="staff@b.example", school_id=school.id
        )
        for p in (it, staff):
            create_user(s, person=p, password=PASSWORD)
        accounts = [
            crud.create_account(
                s,
                platform=Platform.X,
                external_id=f"a{i}",
                handle=f"acct{i}",
                kind=AccountKind.OFFICIAL,
                conn_id=f"c{i}",
                school_id=school.id,
                creator_id=staff.id if i == 0 else it.id,
            )
            for i in range(20)
        ]
        for i in range(n):
            text = f"Post {i}: well done Harry Finch in Year 5, call 07700 900{i % 1000:03d}."
            post = Post(
                platform=Platform.X,
                external_id=f"p{i}",
                account_id=accounts[i % 20].id,  # type: ignore[arg-type]
                text=text,
                created_at=utcnow() - timedelta(hours=i % 500),
                content_hash=crud.content_hash(text),
            )
            s.add(post)
            s.flush()
            for start, end, section in ((18, 29, "8.4"), (47, 59, "8.7")):
                s.add(
                    FindingRow(
                        post_id=post.id,  # type: ignore[arg-type]
                        type="T",
                        start=start,
                        end=end,
                        score=0.9,
                        section=section,
                        severity="high",
                        explanation="Section 8.4 of the Social Media Policy.",
                    )
                )
            crud.open_or_update_item(
                s,
                post=post,
                severity=Severity.HIGH,
                assignee_id=staff.id if i % 20 == 0 else it.id,
                reason="bench",
                due_in=timedelta(hours=24),
            )


def timed(client: TestClient, path: str, runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        r = client.get(path)
        assert r.status_code == 200, (path, r.status_code)
        best = min(best, time.perf_counter() - started)
    return best


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        migrate(url)
        started = time.perf_counter()
        seed(url, n)
        print(f"seeded {n} items in {time.perf_counter() - started:.1f}s")
        settings = Settings(home=Path(tmp), database_url=url)  # type: ignore[call-arg]
        for who in ("it@b.example", "staff@b.example"):
            client = TestClient(create_app(settings), base_url="http://testserver")
            token = client.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
            client.post(
                "/login",
                data={"username": who, "password": PASSWORD, "csrf_token": token},
            )
            for path in ("/queue", "/queue?state=all&severity=high", "/dashboard", "/items/1"):
                print(f"{who:16} GET {path:32} best of 3: {timed(client, path) * 1000:7.0f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
