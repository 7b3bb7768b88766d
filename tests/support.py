"""Shorthands tests share: settings and pipeline configs with a few values changed."""

from __future__ import annotations

import dataclasses
from typing import Any

from pipeline.config import PipelineConfig
from postwarden.settings import Settings


def settings_with(settings: Settings, **groups: dict[str, Any] | Any) -> Settings:
    """`settings` with fields of some groups changed: `settings_with(s, web={"port": 1})`;
    a top-level field takes its value as is (`settings_with(s, roster_key=...)`)."""
    update: dict[str, Any] = {}
    for name, values in groups.items():
        current = getattr(settings, name)
        if isinstance(values, dict) and hasattr(current, "model_copy"):
            update[name] = current.model_copy(update=values)
        else:
            update[name] = values
    return settings.model_copy(update=update)


def pipeline_config(
    settings: Settings | PipelineConfig,
    *,
    timeout: float | None = None,
    connectors: dict[str, dict[str, Any]] | None = None,
    **groups: dict[str, Any],
) -> PipelineConfig:
    """A pipeline config with some groups changed: `pipeline_config(s, pull={"backfill_days":
    3650}, timeout=0.5, connectors={"x": {"max_results": 5}})`."""
    base = settings.pipeline() if isinstance(settings, Settings) else settings
    changes: dict[str, Any] = {
        name: getattr(base, name).model_copy(update=values) for name, values in groups.items()
    }
    platforms = dict(base.connectors)
    for key, config in platforms.items():
        update = dict((connectors or {}).get(key, {}))
        if timeout is not None:
            update["timeout_seconds"] = timeout
        platforms[key] = config.model_copy(update=update)
    changes["connectors"] = platforms
    return dataclasses.replace(base, **changes)
