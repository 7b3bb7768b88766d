"""Imported once by each Celery worker before it forks its pool (Celery's `imports` setting,
set through `[celery] extra_celery_config` in docker-compose.yml and devkit.cluster).

Every Airflow task runs in a process forked from its worker's pool process, so a module loaded
here is already in memory when a task starts instead of being imported again by every task: the
task runner's own modules and the ones Postwarden's task bodies import (settings, the pull and
scan use cases, every platform's connector). Airflow preloads its operators the same way (the
provider's `import_modules` hook). The detector models are not loaded here: only scan tasks need
them, and each loads them once per process. Measured by benchmarks/bench_scale.py.
"""

from __future__ import annotations

import importlib
from typing import Final

from connectors.registry import plugins

# Airflow's task runner first: the forked task process imports it before anything of ours.
MODULES: Final = (
    "airflow.sdk.execution_time.task_runner",
    "postwarden.settings",
    "postwarden.airflow_connections",
    "postwarden.logging_setup",
    "pipeline.pull",
    "pipeline.scan",
    "pipeline.sharding",
    "pipeline.retention",
    "review.domain.after_cycle",
)

for _name in MODULES:
    importlib.import_module(_name)
plugins()  # imports every platform's connector module (and its client library)
