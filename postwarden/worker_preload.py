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
import logging
from typing import Final

from connectors.registry import plugins

log = logging.getLogger(__name__)

# Airflow's task runner: the forked task process imports it before anything of ours. Another
# Airflow version may move it; a worker that cannot preload it must still start (only slower).
AIRFLOW_MODULES: Final = ("airflow.sdk.execution_time.task_runner",)
# Ours: if one of these fails to import, every task would fail the same way, so the worker does.
OUR_MODULES: Final = (
    "postwarden.settings",
    "postwarden.airflow_connections",
    "postwarden.logging_setup",
    "pipeline.pull",
    "pipeline.scan",
    "pipeline.sharding",
    "pipeline.retention",
    "review.domain.after_cycle",
)

for _name in AIRFLOW_MODULES:
    try:
        importlib.import_module(_name)
    except ImportError as exc:
        log.warning("worker preload: %s not imported (%s); tasks will import it", _name, exc)
for _name in OUR_MODULES:
    importlib.import_module(_name)
plugins()  # imports every platform's connector module (and its client library)
