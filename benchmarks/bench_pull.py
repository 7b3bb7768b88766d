"""Pull throughput from the sandbox for many accounts, and the cost of a cycle with nothing new.

    .venv/bin/python benchmarks/bench_pull.py [--accounts 1000] [--posts 10] [--workers 4]
                                              [--database-url postgresql+psycopg://...]

Builds a generated trust (by default 70% X, 15% Facebook Pages, 5% Instagram, 5% Bluesky, 5%
blogs; each account `--posts` posts, Graph posts with two comments each) in a sandbox on
127.0.0.1, seeds the accounts (approved) in a fresh SQLite file (or the database given), then
runs two cycles through `pipeline.pull.pull_account` with `--workers` threads (the DAG's pool size):

- the first pulls everything: posts stored per second;
- the second finds nothing new: wall time, HTTP requests and billable reads it cost.

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import select

from connectors.base import Credentials
from devkit.sandbox.server import SandboxServer
from devkit.sandbox.x import iso_ms, make_snowflake
from pipeline import pull
from pipeline.config import PipelineConfig, PullConfig
from storage import crud
from storage.db import get_engine, migrate, session_scope
from storage.models import Account, AccountKind, Platform, Role

TOKEN = "bench-token"  # noqa: S105
START = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
MIX = [
    (Platform.X, 70),
    (Platform.FACEBOOK, 15),
    (Platform.INSTAGRAM, 5),
    (Platform.BLUESKY, 5),
    (Platform.BLOG, 5),
]


def dataset(n_accounts: int, posts: int) -> tuple[dict[str, Any], list[tuple[Platform, str, str]]]:
    """The sandbox dataset and (platform, external id, handle) of every account."""
    x: dict[str, list[Any]] = {"bearer_tokens": [TOKEN], "users": [], "tweets": []}
    graph: dict[str, list[Any]] = {"tokens": [TOKEN], "accounts": [], "posts": [], "comments": []}
    feeds: dict[str, list[Any]] = {"tokens": [TOKEN], "blogs": []}
    bsky: dict[str, list[Any]] = {"accounts": [], "posts": []}
    accounts: list[tuple[Platform, str, str]] = []
    weights = [(p, round(n_accounts * w / 100)) for p, w in MIX]
    weights[0] = (Platform.X, n_accounts - sum(n for _, n in weights[1:]))
    serial = 0
    for platform, count in weights:
        for _ in range(count):
            serial += 1
            name = f"school{serial:04d}"
            times = [START + timedelta(minutes=7 * k + serial % 7) for k in range(posts)]
            text = "Reminder: the school office is open from 8:15am. Have a lovely weekend!"
            if platform == Platform.X:
                uid = str(1600000000000000000 + serial)
                x["users"].append({"id": uid, "username": f"S{serial:04d}", "name": name})
                x["tweets"] += [
                    {
                        "id": str(make_snowflake(t, serial)),
                        "author_id": uid,
                        "created_at": iso_ms(t),
                        "text": f"{text} #{k}",
                    }
                    for k, t in enumerate(times)
                ]
                accounts.append((platform, uid, f"S{serial:04d}"))
            elif platform in (Platform.FACEBOOK, Platform.INSTAGRAM):
                gid = str(
                    (104000000000000 if platform == Platform.FACEBOOK else 17841400000000000)
                    + serial
                )
                kind = "page" if platform == Platform.FACEBOOK else "instagram"
                graph["accounts"].append({"id": gid, "kind": kind, "name": name, "username": name})
                for k, t in enumerate(times):
                    pid = (
                        f"{gid}_{k + 1}"
                        if kind == "page"
                        else str(17900000000000000 + serial * 1000 + k)
                    )
                    graph["posts"].append(
                        {
                            "id": pid,
                            "owner": gid,
                            "created_time": t.isoformat(),
                            "text": f"{text} #{k}",
                        }
                    )
                    for c in range(2):
                        graph["comments"].append(
                            {
                                "id": f"{serial}{k:03d}_{c}",
                                "post_id": pid,
                                "text": "Thank you!",
                                "created_time": (t + timedelta(minutes=c + 1)).isoformat(),
                            }
                        )
                accounts.append((platform, gid, name))
            elif platform == Platform.BLUESKY:
                did = f"did:plc:bench{serial:06d}"
                bsky["accounts"].append({"did": did, "handle": f"{name}.bsky.social"})
                bsky["posts"] += [
                    {
                        "author": did,
                        "created_at": t.isoformat(),
                        "text": f"{text} #{k}",
                        "rkey": f"3bench{serial:05d}{k:03d}",
                    }
                    for k, t in enumerate(times)
                ]
                accounts.append((platform, did, f"{name}.bsky.social"))
            else:
                feeds["blogs"].append(
                    {
                        "slug": name,
                        "title": name,
                        "link": f"https://{name}.example/news",
                        "items": [
                            {
                                "guid": f"https://{name}.example/news/?p={k}",
                                "title": f"News {k}",
                                "html": f"<p>{text}</p>",
                                "published": t.isoformat(),
                            }
                            for k, t in enumerate(times)
                        ],
                    }
                )
                accounts.append((platform, f"https://{name}.example/blogs/{name}/feed.xml", name))
    return {"x": x, "graph": graph, "feeds": feeds, "bluesky": bsky}, accounts


def seed(url: str, accounts: list[tuple[Platform, str, str]]) -> None:
    with session_scope(get_engine(url)) as session:
        head = crud.create_person(
            session, name="Head", role=Role.HEADTEACHER, email="head@bench.example"
        )
        for platform, external_id, handle in accounts:
            account = crud.create_account(
                session,
                platform=platform,
                external_id=external_id,
                handle=handle,
                kind=AccountKind.OFFICIAL,
                conn_id=f"bench_{platform}",
            )
            crud.approve_account(session, account=account, headteacher=head, on=date(2026, 9, 1))


def cycle(
    ids: list[int], config: PipelineConfig, creds: Any, workers: int
) -> tuple[float, list[pull.PullResult]]:
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(lambda i: pull.pull_account(i, config, credentials=creds), ids))
    return time.perf_counter() - started, results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--posts", type=int, default=10)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="bench-pull-"))
    url = args.database_url or f"sqlite:///{home / 'bench.db'}"
    data, accounts = dataset(args.accounts, args.posts)
    migrate(url)
    with session_scope(get_engine(url)) as session:
        if session.exec(select(Account.id).limit(1)).first() is not None:
            parser.error(f"{url.split('@')[-1]} already holds accounts: give an empty database")
    seed(url, accounts)
    settings = PipelineConfig(
        database_url=url, home=home, pull=PullConfig(backfill_days=3650)
    )  # every platform at its defaults: 100 tweets and 25 Graph posts a page
    print(
        f"{len(accounts)} accounts: "
        + ", ".join(f"{n} {p}" for p, n in Counter(p for p, _, _ in accounts).items())
    )
    print(f"database: {url.split('@')[-1]}; workers: {args.workers}")

    with SandboxServer(data, tokens={TOKEN}) as sb:

        def creds(conn_id: str) -> Credentials:
            return Credentials(conn_id, TOKEN, host=sb.url)

        ids = pull.list_accounts(settings)
        seconds, results = cycle(ids, settings, creds, args.workers)
        stored = sum(r.new for r in results)
        bad = Counter(str(r.state) for r in results if str(r.state) != "ok")
        requests_first = sb.request_count()
        print(
            f"first cycle:  {stored} posts and comments stored in {seconds:.1f}s = "
            f"{stored / seconds:.0f} posts/s "
            f"({len(ids) / seconds:.1f} accounts/s, {requests_first} HTTP requests, "
            f"{sum(r.reads for r in results)} reads)" + (f"; not ok: {dict(bad)}" if bad else "")
        )
        sb.clear_requests()
        seconds, results = cycle(ids, settings, creds, args.workers)
        per_platform = Counter(e["path"].split("/")[1] for e in sb.requests())
        x_reads = sum(
            r.reads for r, (p, _, _) in zip(results, accounts, strict=True) if p == Platform.X
        )
        print(
            f"idle cycle:   {seconds:.1f}s ({seconds / len(ids) * 1000:.1f} ms/account), "
            f"{sum(r.new for r in results)} new, {sb.request_count()} HTTP requests "
            f"({dict(per_platform)}), {sum(r.reads for r in results)} items read, "
            f"{x_reads} billable X reads"
        )


if __name__ == "__main__":
    main()
