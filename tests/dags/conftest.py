"""Airflow for DAG tests: its own SQLite metadata DB, configured before Airflow is imported."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from devkit.airflow_env import REPO_DAGS, airflow_bin

_HOME = Path(tempfile.mkdtemp(prefix="postwarden-airflow-"))
# Airflow reads its configuration once, at import: set it before anything imports airflow.
os.environ.update(
    {
        "AIRFLOW_HOME": str(_HOME),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_DAGS),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_HOME / 'airflow.db'}",
    }
)


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """`airflow db migrate` once per session (dag.test needs Airflow's tables)."""
    subprocess.run(
        [airflow_bin(), "db", "migrate"], check=True, capture_output=True, env=os.environ
    )
    return _HOME
