"""Airflow's distributed shape as local processes: scheduler, dag-processor, api-server and
Celery workers on the machine's PostgreSQL and Redis, the same components docker-compose runs.

Used by the CeleryExecutor test and the scale benchmark; also a way for IT to try the production
shape on one host. Every process gets its own process group and a marker in its environment, so
`stop()` signals exactly the processes it started and can prove that none is left behind.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import requests
import sqlalchemy as sa

from devkit.airflow_env import REPO_DAGS, airflow_bin

MARKER_VAR = "POSTWARDEN_CLUSTER"
PRELOAD = "postwarden.worker_preload"  # see that module; compose sets the same
TERMINAL_STATES = {"success", "failed"}


def free_port() -> int:
    """A TCP port nobody listens on right now (loopback)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True, slots=True)
class StopReport:
    """How the processes ended: the signal each group needed, and any straggler killed."""

    signals: dict[str, str]
    stragglers_killed: tuple[int, ...]


@dataclass
class AirflowCluster:
    """One Airflow deployment in processes; `with AirflowCluster(...) as c:` starts and stops it."""

    home: Path
    airflow_db_url: str
    postwarden_db_url: str
    executor: str = "CeleryExecutor"
    broker_url: str = "redis://127.0.0.1:6379/0"
    workers: int = 1
    worker_concurrency: int = 2
    parallelism: int = 8
    extra_env: Mapping[str, str] = field(default_factory=dict)
    marker: str = field(default_factory=lambda: f"pw-{uuid.uuid4().hex[:12]}")
    api_port: int = field(default_factory=free_port)
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    def env(self) -> dict[str, str]:
        """Every process's environment: one configuration, as compose's x-airflow-common."""
        # Postwarden's own settings pass through (as compose's env_file); Airflow's never do.
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        sync = self.airflow_db_url
        env.update(
            {
                MARKER_VAR: self.marker,
                "AIRFLOW_HOME": str(self.home / "airflow"),
                "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_DAGS),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__EXECUTOR": self.executor,
                "AIRFLOW__CORE__PARALLELISM": str(self.parallelism),
                "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.api_url}/execution/",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",  # loopback only
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": sync,
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": sync,
                "AIRFLOW__API__HOST": "127.0.0.1",
                "AIRFLOW__API__PORT": str(self.api_port),
                "AIRFLOW__API__WORKERS": "1",
                "AIRFLOW__API_AUTH__JWT_SECRET": self.marker + "-jwt-secret-for-loopback-only",
                "AIRFLOW__CELERY__BROKER_URL": self.broker_url,
                "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{sync}",
                "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(self.worker_concurrency),
                # As compose: each worker imports what every task needs once, before forking.
                "AIRFLOW__CELERY__EXTRA_CELERY_CONFIG": json.dumps({"imports": [PRELOAD]}),
                "AIRFLOW__OPERATORS__DEFAULT_QUEUE": self.marker,  # our own queue on the broker
                "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
                # As compose: a supervisor notices its task's exit within 1 s, not 5 s.
                "AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL": "1",
                "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
                "POSTWARDEN_HOME": str(self.home / "postwarden"),
                "POSTWARDEN_DATABASE_URL": self.postwarden_db_url,
            }
        )
        env.update(self.extra_env)
        return env

    # -- one-off commands ---------------------------------------------------------------------

    def airflow(self, *args: str, timeout: float = 120) -> None:
        """An `airflow` CLI command, output in logs/cli.log; raises with the log's tail on error."""
        self.logs.mkdir(parents=True, exist_ok=True)
        log_path = self.logs / "cli.log"
        with log_path.open("ab") as log:
            code = subprocess.run(  # noqa: S603  (fixed argv)
                [airflow_bin(), *args],
                env=self.env(),
                cwd=self.home,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
            ).returncode
        if code != 0:
            tail = log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"airflow {' '.join(args)} exited {code}:\n{tail}")

    def prepare(self, pools: Mapping[str, Mapping[str, object]]) -> None:
        """Migrate Airflow's metadata database and create the pools the DAGs run in."""
        self.home.mkdir(parents=True, exist_ok=True)
        self.airflow("db", "migrate")
        pools_file = self.home / "pools.json"
        pools_file.write_text(json.dumps(pools))
        self.airflow("pools", "import", str(pools_file))

    # -- long-running processes -----------------------------------------------------------------

    def _spawn(self, name: str, *args: str) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        log = (self.logs / f"{name}.log").open("ab")
        self.procs[name] = subprocess.Popen(  # noqa: S603  (fixed argv)
            [airflow_bin(), *args],
            env=self.env(),
            cwd=self.home,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: signals reach all its children
        )
        log.close()

    def start(self) -> Self:
        self._spawn("api-server", "api-server", "--port", str(self.api_port))
        self._spawn("dag-processor", "dag-processor")
        self._spawn("scheduler", "scheduler")
        if self.executor == "CeleryExecutor":
            for n in range(1, self.workers + 1):
                self._spawn(
                    f"worker-{n}",
                    "celery",
                    "worker",
                    "--celery-hostname",
                    f"{self.marker}-w{n}@%h",
                    "--queues",
                    self.marker,
                    "--concurrency",
                    str(self.worker_concurrency),
                    "--skip-serve-logs",
                )
        return self

    def check_alive(self) -> None:
        """Fail fast, naming the log, when a component died during start-up."""
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                tail = (self.logs / f"{name}.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{tail}")

    def _wait(self, what: str, probe: Any, timeout: float, interval: float = 0.5) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                value = probe()
            except (requests.RequestException, sa.exc.SQLAlchemyError):
                value = None
            if value:
                return value
            time.sleep(interval)
        raise TimeoutError(f"{what}: not within {timeout:.0f}s (logs in {self.logs})")

    def query(self, sql: str, **params: object) -> list[Any]:
        """Rows of one read of Airflow's metadata database (a fresh connection each time: the
        callers poll it while the components run)."""
        engine = sa.create_engine(self.airflow_db_url, poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as conn:
                return list(conn.execute(sa.text(sql), params).all())
        finally:
            engine.dispose()

    def _metadata(self, sql: str, **params: object) -> Any:
        rows = self.query(sql, **params)
        return rows[0] if rows else None

    def wait_ready(self, dag_ids: list[str], timeout: float = 90) -> None:
        """The API answers, each DAG is parsed and serialised, and the workers are up."""
        self._wait(
            "api-server health",
            lambda: requests.get(f"{self.api_url}/api/v2/monitor/health", timeout=2).ok,
            timeout,
        )
        for dag_id in dag_ids:
            self._wait(
                f"DAG {dag_id} serialised",
                lambda d=dag_id: self._metadata(
                    "SELECT 1 FROM serialized_dag WHERE dag_id = :d", d=d
                ),
                timeout,
            )
        for n in range(1, self.workers + 1 if self.executor == "CeleryExecutor" else 1):
            log = self.logs / f"worker-{n}.log"
            self._wait(
                f"worker-{n} ready",
                lambda p=log: p.exists() and b" ready." in p.read_bytes(),
                timeout,
            )

    def trigger(self, dag_id: str, conf: Mapping[str, object] | None = None) -> str:
        """Trigger a run through the REST API (as the UI would); returns its run id."""
        run_id = f"{self.marker}-{uuid.uuid4().hex[:6]}"
        response = requests.post(
            f"{self.api_url}/api/v2/dags/{dag_id}/dagRuns",
            json={"dag_run_id": run_id, "logical_date": None, "conf": dict(conf or {})},
            timeout=30,
        )
        if not response.ok:
            raise RuntimeError(f"trigger {dag_id}: HTTP {response.status_code} {response.text}")
        return run_id

    def run_state(self, dag_id: str, run_id: str) -> str | None:
        row = self._metadata(
            "SELECT state FROM dag_run WHERE dag_id = :d AND run_id = :r", d=dag_id, r=run_id
        )
        return None if row is None else str(row[0])

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 120) -> str:
        """The run's final state (success or failed); TimeoutError if it is still going."""
        return str(
            self._wait(
                f"run {run_id}",
                lambda: (s := self.run_state(dag_id, run_id)) in TERMINAL_STATES and s,
                timeout,
                interval=1.0,
            )
        )

    def task_states(self, dag_id: str, run_id: str) -> dict[str, int]:
        """How many task instances of a run ended in each state."""
        rows = self.query(
            "SELECT coalesce(state, 'none'), count(*) FROM task_instance "
            "WHERE dag_id = :d AND run_id = :r GROUP BY 1",
            d=dag_id,
            r=run_id,
        )
        return {str(state): int(n) for state, n in rows}

    # -- stopping -------------------------------------------------------------------------------

    def ours(self) -> list[int]:
        """Live processes we started or their descendants, wherever they are: each inherits our
        marker variable and runs in our home folder. Both are checked because setproctitle
        (Airflow names its workers with it) overwrites the memory /proc/<pid>/environ shows, and
        a process may leave its process group."""
        needle = f"{MARKER_VAR}={self.marker}".encode()
        home = self.home.resolve()
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                cwd = Path(os.readlink(entry / "cwd").removesuffix(" (deleted)"))
                marked = needle in (entry / "environ").read_bytes().split(b"\0")
                if marked or cwd == home or home in cwd.parents:
                    state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                    if state != "Z":
                        found.append(int(entry.name))
            except OSError:
                continue  # gone meanwhile, or not ours to read
        return found

    def stop(self, grace: float = 30) -> StopReport:
        """SIGINT to each process group (Airflow's clean shutdown), then SIGTERM, then SIGKILL;
        finally any marked straggler that left its group is killed by pid."""
        signals: dict[str, str] = {}
        # Workers first, scheduler last but one: nothing is picked up half-way while stopping.
        order = sorted(self.procs, key=lambda n: (not n.startswith("worker"), n == "api-server"))
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
            running = [n for n in order if n not in signals]
            for name in running:
                try:
                    os.killpg(self.procs[name].pid, sig)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + (grace if sig != signal.SIGKILL else 5)
            for name in running:
                try:
                    self.procs[name].wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    continue
                if self._group_empty(self.procs[name].pid, deadline):
                    signals[name] = sig.name
            if len(signals) == len(self.procs):
                break
        stragglers = tuple(self.ours())
        for pid in stragglers:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.procs.clear()
        return StopReport(signals, stragglers)

    @staticmethod
    def _group_empty(pgid: int, deadline: float) -> bool:
        while True:
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.1)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.procs:
            self.stop()
