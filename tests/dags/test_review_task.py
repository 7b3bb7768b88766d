"""The monitor DAG ends with the review housekeeping task (issue 5): after every scan, even a
failed one, safeguarding leads are alerted, overdue items handed on and due mail sent."""

from __future__ import annotations

from typing import Any

import pytest

from devkit.airflow_env import REPO_DAGS


@pytest.fixture(scope="module")
def monitor() -> Any:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO_DAGS))
    assert bag.import_errors == {}
    return bag.dags["postwarden_monitor"]


def test_review_runs_after_scan_whatever_happened(monitor: Any) -> None:
    review = monitor.get_task("review")
    assert review.upstream_task_ids == {"scan"}
    assert review.trigger_rule == "all_done"
    assert review.retries >= 2
    assert monitor.get_task("scan").downstream_task_ids == {"review"}
