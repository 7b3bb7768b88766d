"""The Celery workers' preload: what every task needs is imported once, the models are not."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from devkit import cluster

# After the preload, a task forked from the worker finds these already imported.
EXPECTED = (
    "airflow.sdk.execution_time.task_runner",
    "pipeline.pull",
    "pipeline.scan",
    "postwarden.settings",
    "connectors.x",
    "connectors.bluesky",
    "connectors.whatsapp_export",
    "tweepy",
)
# Only scan tasks need these, and each loads them once per process: a worker preloading them
# would hold hundreds of MB in every pool process.
NOT_LOADED = ("spacy", "presidio_analyzer", "onnxruntime")


def fresh_python(code: str, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`code` in a new interpreter at the repository root, as a worker starts; raises on failure."""
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={"AIRFLOW_HOME": str(home), "PATH": "/usr/bin:/bin", "HOME": str(home)},
        cwd=Path(__file__).resolve().parents[2],
    )


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """Module names a fresh interpreter holds after importing the preload (as a worker would)."""
    home = tmp_path_factory.mktemp("airflow-home")
    code = (
        "import json, sys, importlib; importlib.import_module(sys.argv[1]); "
        "print(json.dumps(sorted(sys.modules)))"
    )
    out = fresh_python(code, home, cluster.PRELOAD)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("module", EXPECTED)
def test_the_preload_imports_what_tasks_need(loaded: set[str], module: str) -> None:
    assert module in loaded


@pytest.mark.parametrize("module", NOT_LOADED)
def test_the_preload_leaves_the_detector_models_to_the_scan(loaded: set[str], module: str) -> None:
    assert module not in loaded


def test_the_cluster_configures_the_preload() -> None:
    """Its Celery workers preload as compose's do (tests/test_compose.py checks compose's)."""
    env = cluster.AirflowCluster(
        home=Path("/nonexistent"), airflow_db_url="sqlite://", postwarden_db_url="sqlite://"
    ).env()
    assert json.loads(env["AIRFLOW__CELERY__EXTRA_CELERY_CONFIG"]) == {"imports": [cluster.PRELOAD]}


def test_a_worker_starts_when_airflow_moved_its_task_runner(tmp_path: Path) -> None:
    """Another Airflow version may move the module: the worker logs it and starts, only slower."""
    code = (
        "import sys; sys.modules['airflow.sdk.execution_time.task_runner'] = None; "
        "import postwarden.worker_preload; print('started')"
    )
    out = fresh_python(code, tmp_path)
    assert out.stdout.strip().endswith("started")
    assert "airflow.sdk.execution_time.task_runner not imported" in out.stderr
