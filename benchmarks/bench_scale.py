"""A monitoring cycle at trust-region scale: 10,000 X accounts on the sandbox, per executor.

Run (PostgreSQL at 127.0.0.1:5432 and Redis at 127.0.0.1:6379, as in CI):

    .venv/bin/python benchmarks/bench_scale.py --accounts 10000 --posts-per-account 2 \
        --executors local,celery --workers 2 --cycles 2

For each executor it builds a synthetic sandbox dataset (every account with its own timeline),
creates throw-away Airflow and Postwarden databases, starts Airflow as processes
(`devkit.cluster`: LocalExecutor, or CeleryExecutor with `--workers` workers), triggers
`postwarden_monitor` `--cycles` times and prints, per cycle: the run's wall time, its pull phase
(first shard start to last shard end) and scan phase (`plan_scan`'s start to the last mapped
`scan` task's end: the scan fans out over ranges of posts), posts stored per second of cycle,
and how much Postwarden's database grew, then the CPU seconds each Airflow component's process
group used in the cycle (tasks count under their scheduler or worker) beside the machine's.
Cycle 1 backfills every post; cycle 2 and later are the steady state (nothing new: every account
is still asked). Steady cycles vary by seconds from run to run on a 2-core machine, so compare
executors with `--executors local,celery,local,celery` (alternating) and read the closing
summary's medians; `celery-bare` is Celery without the workers' preload
(postwarden/worker_preload.py), to measure what that gives. Figures go to docs/operations.md and
docs/detectors.md with the command.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
import sqlalchemy as sa

from devkit.cluster import AirflowCluster
from devkit.sandbox.server import SandboxServer
from devkit.sandbox.x import iso_ms, make_snowflake
from pipeline import sharding
from storage.db import get_engine, migrate

PG_ADMIN = os.environ.get("POSTWARDEN_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("POSTWARDEN_TEST_REDIS", "redis://127.0.0.1:6379/0")
TOKEN = "bench-token"  # noqa: S105  (the sandbox's fake token)
FIRST = ["Amelia", "Oliver", "Isla", "Noah", "Freya", "Harry", "Mohammed", "Priya", "Alfie"]
PLACES = ["Leeds", "York", "Bolton", "the Lake District", "Blackpool", "Wigan"]
TEMPLATES = [
    "Huge well done to {name} in Year {year} for winning the spelling bee! #proud",
    "Our Year {year} pupils had a brilliant trip to {place} today. Thank you to the parents "
    "who helped out.",
    "Reminder: sports day is on Friday. Questions? Call the office on 01632 960{n:03d}.",
    "The school office is closed on Monday for staff training. Have a lovely weekend!",
    "Book week starts tomorrow: come dressed as your favourite character. #reading",
    "Lunch menu for next week is on the website. Fish and chips on Friday!",
]


def dataset(accounts: int, per_account: int, seed: int) -> dict[str, object]:
    """Sandbox JSON: `accounts` X users, each with `per_account` posts from the last week."""
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    users, tweets = [], []
    seen: set[str] = set()
    for n in range(accounts):
        uid = str(2_000_000_000 + n)
        users.append({"id": uid, "username": f"school{n:05d}", "name": f"School {n}"})
        for k in range(per_account):
            at = now - timedelta(minutes=rng.randint(60, 7 * 24 * 60))
            text = rng.choice(TEMPLATES).format(
                name=rng.choice(FIRST), year=rng.randint(1, 6), place=rng.choice(PLACES), n=k
            )
            tid = str(make_snowflake(at, sequence=(n * per_account + k) % 4096))
            while tid in seen:  # same millisecond and sequence: move on a millisecond
                at += timedelta(milliseconds=1)
                tid = str(make_snowflake(at, sequence=(n * per_account + k) % 4096))
            seen.add(tid)
            tweets.append(
                {"id": tid, "author_id": uid, "created_at": iso_ms(at), "text": text,
                 "edit_history_tweet_ids": [tid]}
            )  # fmt: skip
    return {"x": {"bearer_tokens": [TOKEN], "users": users, "tweets": tweets}}


def seed_accounts(url: str, accounts: int) -> None:
    """The trust: one headteacher approving every account, one creator, one Director of IT."""
    engine = get_engine(url)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        ids = []
        for name, role in (("Head", "headteacher"), ("Dana", "it_director"), ("Sam", "staff")):
            ids.append(
                conn.execute(
                    sa.text(
                        "INSERT INTO person (name, role, active, created_at) "
                        "VALUES (:n, :r, true, :t) RETURNING id"
                    ),
                    {"n": name, "r": role, "t": now},
                ).scalar_one()
            )
        conn.execute(
            sa.text(
                "INSERT INTO account (platform, external_id, handle, kind, creator_id,"
                " approved_by_id, approved_on, conn_id, active, state, posts_pulled, reads_spent,"
                " created_at) VALUES ('x', :e, :h, 'official', :c, :a, :d, 'x_trust', true, 'new',"
                " 0, 0, :t)"
            ),
            [
                {"e": str(2_000_000_000 + n), "h": f"school{n:05d}", "c": ids[2], "a": ids[0],
                 "d": date(2026, 9, 1), "t": now}
                for n in range(accounts)
            ],
        )  # fmt: skip


def db_size(url: str) -> int:
    with get_engine(url).connect() as conn:
        return int(conn.execute(sa.text("SELECT pg_database_size(current_database())")).scalar())


def count(url: str, sql: str) -> int:
    with get_engine(url).connect() as conn:
        return int(conn.execute(sa.text(sql)).scalar() or 0)


@dataclass
class Cycle:
    executor: str
    cycle: int
    wall: float
    pull: float
    scan: float
    posts: int
    items: int
    shards: int
    growth: int
    sandbox: float

    def row(self) -> str:
        rate = self.posts / self.wall if self.wall else 0.0
        return (
            f"{self.executor:<22} {self.cycle:>5} {self.wall:8.1f} {self.pull:8.1f} "
            f"{self.scan:8.1f} {self.posts:7d} {rate:8.1f} {self.items:6d} {self.shards:6d} "
            f"{self.growth / 2**20:9.1f} {self.sandbox:10.1f}"
        )


HEADER = (
    f"{'executor':<22} {'cycle':>5} {'wall s':>8} {'pull s':>8} {'scan s':>8} {'posts':>7} "
    f"{'posts/s':>8} {'items':>6} {'shards':>6} {'DB +MiB':>9} {'sandbox s':>10}"
)


class BusyClock:
    """Seconds the sandbox spent answering (it stands in for X, and shares our two cores)."""

    def __init__(self, sandbox: SandboxServer) -> None:
        self.busy = 0.0
        handle = sandbox.app.handle

        def timed(request: object) -> object:
            started = time.perf_counter()
            try:
                return handle(request)  # type: ignore[arg-type]
            finally:
                self.busy += time.perf_counter() - started

        sandbox.app.handle = timed  # type: ignore[method-assign]


def phases(cluster: AirflowCluster, run_id: str) -> tuple[float, float, int]:
    """(pull phase seconds, scan seconds, pull task instances) from Airflow's metadata."""
    (pull,) = cluster.query(
        "SELECT extract(epoch FROM max(end_date) - min(start_date)), count(*) "
        "FROM task_instance WHERE run_id = :r AND task_id LIKE 'pull_%' AND state = 'success'",
        r=run_id,
    )
    # The scan fans out (plan_scan, then one mapped scan task per range of posts): its phase
    # runs from the plan's start to the last range's end.
    ((scan,),) = cluster.query(
        "SELECT extract(epoch FROM max(end_date) - min(start_date)) "
        "FROM task_instance WHERE run_id = :r AND task_id IN ('plan_scan', 'scan') "
        "AND end_date IS NOT NULL",
        r=run_id,
    )
    return float(pull[0] or 0), float(scan or 0), int(pull[1] or 0)


def hops(cluster: AirflowCluster, run_id: str, *, timeline: bool = False) -> str:
    """Where a cycle's time goes between tasks: queued -> started per task instance (the
    executor's dispatch: broker and worker for Celery), mean and max, and the tasks' own run
    time; with `timeline`, every task's queued/start/end seconds from the run's start are
    printed too (how the Celery slot lag in docs/detectors.md was found)."""
    rows = cluster.query(
        "SELECT task_id, map_index, extract(epoch FROM queued_dttm),"
        " extract(epoch FROM start_date), extract(epoch FROM end_date) "
        "FROM task_instance WHERE run_id = :r AND start_date IS NOT NULL ORDER BY start_date",
        r=run_id,
    )
    ((run_start,),) = cluster.query(
        "SELECT extract(epoch FROM start_date) FROM dag_run WHERE run_id = :r", r=run_id
    )
    if timeline:
        t0 = float(run_start or 0)
        for r in rows:
            q = float(r[2]) - t0 if r[2] is not None else float("nan")
            print(
                f"    {r[0]:<14} {r[1]:>3} queued {q:6.2f} start {float(r[3]) - t0:6.2f} "
                f"end {float(r[4] or 0) - t0:6.2f}"
            )
    dispatch = [float(r[3]) - float(r[2]) for r in rows if r[2] is not None]
    running = [float(r[4]) - float(r[3]) for r in rows if r[4] is not None]
    first_queued = min((float(r[2]) for r in rows if r[2] is not None), default=0.0)
    return (
        f"{len(rows)} tasks; queued->started mean {sum(dispatch) / max(len(dispatch), 1):.2f} s, "
        f"max {max(dispatch, default=0):.2f} s; task run mean "
        f"{sum(running) / max(len(running), 1):.2f} s; run start -> first queued "
        f"{first_queued - float(run_start or first_queued):.2f} s"
    )


def cpu_seconds(cluster: AirflowCluster) -> dict[str, float]:
    """CPU seconds (user + system, reaped children included) of each cluster component's
    process group, and of the whole machine (`/proc/stat`), so a cycle's CPU can be split."""
    tick = os.sysconf("SC_CLK_TCK")
    groups = {proc.pid: name for name, proc in cluster.procs.items()}
    used = dict.fromkeys(groups.values(), 0.0)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # the process ended meanwhile
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        name = groups.get(int(fields[2]))  # the process group id
        if name is not None:
            used[name] += sum(int(v) for v in fields[11:15]) / tick
    with open("/proc/stat") as f:
        cpu = [int(v) for v in f.readline().split()[1:]]
    used["machine"] = (sum(cpu) - cpu[3] - cpu[4]) / tick  # all but idle and iowait
    return used


def cpu_line(before: dict[str, float], after: dict[str, float]) -> str:
    delta = {k: after.get(k, 0.0) - v for k, v in before.items()}
    parts = [f"{k} {v:.1f}" for k, v in sorted(delta.items()) if k != "machine"]
    cluster = sum(v for k, v in delta.items() if k != "machine")
    return (
        f"CPU s: {', '.join(parts)}; cluster {cluster:.1f}, machine {delta['machine']:.1f} "
        f"(the rest: this process's sandbox, PostgreSQL, Redis)"
    )


def bench_executor(
    executor: str,
    args: argparse.Namespace,
    sandbox: SandboxServer,
    clock: BusyClock,
    work: Path,
    *,
    preload: bool = True,
) -> list[Cycle]:
    tag = uuid.uuid4().hex[:8]
    names = (f"pw_bench_af_{tag}", f"pw_bench_data_{tag}")
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        for name in names:
            conn.execute(f'CREATE DATABASE "{name}"')
    airflow_url, data_url = f"{base}/{names[0]}", f"{base}/{names[1]}"
    label = f"{executor}Executor" + (f" x{args.workers}" if executor == "Celery" else "")
    label += "" if preload or executor != "Celery" else " bare"
    results = []
    try:
        migrate(data_url)
        seed_accounts(data_url, args.accounts)
        env = {
            "AIRFLOW_CONN_X_TRUST": json.dumps(
                {"conn_type": "http", "host": sandbox.url, "password": TOKEN}
            ),
            "POSTWARDEN_PULL__BACKFILL_DAYS": "30",
            "POSTWARDEN_AIRFLOW__MONITOR_SCHEDULE": "",
            "POSTWARDEN_AIRFLOW__HOUSEKEEPING_SCHEDULE": "",
            "POSTWARDEN_PULL__SHARD_SIZE": str(args.shard_size),
            "POSTWARDEN_PULL__POOL_SLOTS_PER_PLATFORM": str(args.slots),
        }
        if not preload:  # Celery's workers without postwarden/worker_preload.py
            env["AIRFLOW__CELERY__EXTRA_CELERY_CONFIG"] = "{}"
        cluster = AirflowCluster(
            home=work / f"{executor.lower()}-{tag}",
            airflow_db_url=airflow_url,
            postwarden_db_url=data_url,
            executor=f"{executor}Executor",
            broker_url=REDIS,
            workers=args.workers,
            worker_concurrency=args.concurrency,
            # LocalExecutor's parallelism is its number of task processes; Celery's is only how
            # many tasks the scheduler keeps in flight (queued on the broker or running), and its
            # task slots are the workers' processes. A Celery task holds an executor slot until
            # the result backend reports it, seconds after it ended, so a cap equal to the
            # workers' slots idles them (measured: 2.2 s per wave); compose's default is 32.
            parallelism=args.slots if executor == "Local" else args.celery_parallelism,
            extra_env=env,
        )
        cluster.prepare(sharding.pools(args.slots))
        cluster.start()
        try:
            cluster.wait_ready(["postwarden_monitor"], timeout=180)
            for n in range(1, args.cycles + 1):
                size0, posts0 = db_size(data_url), count(data_url, "SELECT count(*) FROM post")
                busy0 = clock.busy
                cpu0 = cpu_seconds(cluster)
                started = time.monotonic()
                run_id = cluster.trigger("postwarden_monitor")
                state = cluster.wait_for_run("postwarden_monitor", run_id, timeout=args.timeout)
                wall = time.monotonic() - started
                cpu = cpu_line(cpu0, cpu_seconds(cluster))
                if state != "success":
                    raise RuntimeError(f"{label} cycle {n}: {state} (logs in {cluster.logs})")
                pull, scan, shards = phases(cluster, run_id)
                cycle = Cycle(
                    label,
                    n,
                    wall,
                    pull,
                    scan,
                    count(data_url, "SELECT count(*) FROM post") - posts0,
                    count(data_url, "SELECT count(*) FROM reviewitem"),
                    shards,
                    db_size(data_url) - size0,
                    clock.busy - busy0,
                )
                print(cycle.row(), flush=True)
                print(f"{'':<22} {hops(cluster, run_id, timeline=args.timeline)}", flush=True)
                print(f"{'':<22} {cpu}", flush=True)
                results.append(cycle)
        finally:
            report = cluster.stop()
            print(
                f"{'':<22} stopped with {sorted(set(report.signals.values()))}; "
                f"stragglers killed: {len(report.stragglers_killed)}",
                flush=True,
            )
        with_text = count(data_url, "SELECT count(*) FROM post WHERE text IS NOT NULL")
        print(f"{'':<22} posts still holding text (open items): {with_text}", flush=True)
    finally:
        get_engine(data_url).dispose()
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return results


# "celery-bare": Celery without the workers' preload, to measure what the preload gives.
EXECUTORS = {"local": "Local", "celery": "Celery", "celery-bare": "Celery"}


def steady_summary(cycles: list[Cycle]) -> str:
    """Steady cycles (2 and later) per executor, pooled over repeated runs (`--executors
    local,celery,local,celery` alternates them, so a slow spell of the machine hits both): one
    run's steady cycles vary by several seconds, so the comparison is of medians."""
    lines = ["steady cycles (2+), wall s:"]
    for label in dict.fromkeys(c.executor for c in cycles):
        walls = sorted(c.wall for c in cycles if c.executor == label and c.cycle >= 2)
        if walls:
            lines.append(
                f"  {label:<22} n={len(walls)} median {statistics.median(walls):.1f} "
                f"mean {statistics.fmean(walls):.1f} min {walls[0]:.1f} max {walls[-1]:.1f}"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--posts-per-account", type=int, default=2)
    parser.add_argument("--shard-size", type=int, default=250)
    parser.add_argument("--slots", type=int, default=4, help="pool slots = parallel shards")
    parser.add_argument(
        "--executors", default="local,celery", help=f"comma-separated, of {sorted(EXECUTORS)}"
    )
    parser.add_argument("--workers", type=int, default=2, help="Celery workers")
    parser.add_argument("--concurrency", type=int, default=2, help="tasks per Celery worker")
    parser.add_argument(
        "--celery-parallelism", type=int, default=32, help="tasks in flight (compose's default)"
    )
    parser.add_argument("--cycles", type=int, default=2)
    parser.add_argument("--timeline", action="store_true", help="print every task's times")
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    started = time.monotonic()
    data = dataset(args.accounts, args.posts_per_account, args.seed)
    work = Path(tempfile.mkdtemp(prefix="postwarden-bench-"))
    print(
        f"{args.accounts} accounts x {args.posts_per_account} posts; shard size "
        f"{args.shard_size}, {args.slots} pool slots; {os.cpu_count()} cores "
        f"(dataset built in {time.monotonic() - started:.1f}s)",
        flush=True,
    )
    print(HEADER, flush=True)
    try:
        with SandboxServer(data, tokens={TOKEN}) as sandbox:
            clock = BusyClock(sandbox)
            cycles: list[Cycle] = []
            for executor in args.executors.split(","):
                name = EXECUTORS[executor.strip()]
                bare = executor.strip() == "celery-bare"
                cycles += bench_executor(name, args, sandbox, clock, work, preload=not bare)
            print(steady_summary(cycles), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
