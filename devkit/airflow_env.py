"""The environment an embedded Airflow (SQLite, our DAG folder) runs in, for the demo and tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from postwarden.settings import Settings

REPO_DAGS = Path(__file__).resolve().parent.parent / "dags"


def airflow_env(
    settings: Settings, *, connections: Mapping[str, Mapping[str, object]] = {}
) -> dict[str, str]:
    """Environment for `airflow ...` subprocesses: its own SQLite DB under our home folder."""
    home = settings.home.resolve() / "airflow"
    home.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_DAGS),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "POSTWARDEN_HOME": str(settings.home.resolve()),
            "POSTWARDEN_DATABASE_URL": settings.resolved_database_url,
        }
    )
    for conn_id, fields in connections.items():
        env[f"AIRFLOW_CONN_{conn_id.upper()}"] = json.dumps(fields)
    return env


def airflow_bin() -> str:
    """The `airflow` script beside the running interpreter (the project venv)."""
    candidate = Path(sys.executable).parent / "airflow"
    return str(candidate) if candidate.exists() else "airflow"


def run_airflow(args: list[str], env: Mapping[str, str], log_path: Path) -> int:
    """Run an airflow command with its (noisy) output in a log file; returns the exit code."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        return subprocess.run(  # noqa: S603  (fixed argv, no shell)
            [airflow_bin(), *args], env=dict(env), stdout=log, stderr=subprocess.STDOUT, check=False
        ).returncode
