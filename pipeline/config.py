"""What the monitoring cycle needs to know, handed in by an entry point (never read here).

`PipelineConfig` is built once by the DAG task, the CLI or a test (`Settings.pipeline()`), so the
use cases below it take their configuration as an argument and stay testable on their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Engine

from connectors.base import ConnectorConfig
from detectors.config import StackConfig
from review.domain.config import ReviewConfig
from storage.db import get_engine


class PullConfig(BaseModel):
    """How much one cycle pulls, how far a new account reaches back, deletion checks, shards."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_pages_per_cycle: int = Field(
        default=10, ge=1, description="Pages per account per cycle; the rest waits (X bills reads)."
    )
    backfill_days: int = Field(
        default=7, ge=0, description="How far back the first pull of a new account reaches."
    )
    deletion_check_minutes: int = Field(
        default=60, ge=0, description="Minimum time between deletion checks of one account."
    )
    deletion_check_max: int = Field(default=100, ge=0, description="Posts checked per account.")
    shard_size: int = Field(
        default=250, ge=1, description="Accounts per mapped pull task (raised to fit Airflow)."
    )
    pool_slots_per_platform: int = Field(
        default=4, ge=1, description="Slots of each platform's Airflow pool: concurrent pulls."
    )


class RetentionConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    days_closed: int = Field(
        default=90, ge=0, description="Days after closing an item before its text is purged."
    )


@dataclass(frozen=True, slots=True)
class PipelineConfig:
    """Everything a cycle's steps need; `connectors` maps a platform's settings group (its
    plug-in's `key`) to its validated config; a missing group means that platform's defaults."""

    database_url: str
    home: Path
    pull: PullConfig = field(default_factory=PullConfig)
    connectors: Mapping[str, ConnectorConfig] = field(default_factory=dict)
    detection: StackConfig = field(default_factory=StackConfig)
    review: ReviewConfig = field(default_factory=ReviewConfig)
    retention: RetentionConfig = field(default_factory=RetentionConfig)
    roster_key: bytes | None = field(default=None, repr=False)

    @property
    def engine(self) -> Engine:
        return get_engine(self.database_url)

    def inbox_root(self) -> Path:
        """`<home>/inboxes`: where group creators drop exports unless IT set a folder."""
        return self.home.resolve() / "inboxes"
