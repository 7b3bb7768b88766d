"""The DAGs' schedules, readable at DAG parse time without importing the product.

Airflow parses DAG files often; this module imports only pydantic, so parsing stays cheap. It
reads the same `POSTWARDEN_AIRFLOW__*` variables as `Settings.airflow`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class AirflowConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    monitor_schedule: str = Field(
        default="*/15 * * * *", description="Cron of the postwarden_monitor DAG (empty: manual)."
    )
    housekeeping_schedule: str = Field(
        default="@daily", description="Cron of the postwarden_housekeeping DAG (empty: manual)."
    )


class _ScheduleSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="POSTWARDEN_", env_file=".env", extra="ignore", env_nested_delimiter="__"
    )

    airflow: AirflowConfig = Field(default_factory=AirflowConfig)


def schedules() -> AirflowConfig:
    return _ScheduleSettings().airflow
