"""One pydantic-settings `Settings` for the whole product, grouped by area (env prefix
`POSTWARDEN_`, groups joined by `__`: `POSTWARDEN_PULL__BACKFILL_DAYS=30`).

Only entry points (the CLI, the DAGs, the review web app, the demo) read it. Each group is the
config model of the layer that uses it, so a use case receives its own model as an argument and
never reaches for the settings itself:

| group | model | used by |
|---|---|---|
| `detection` | `detectors.stack.StackConfig` | the detector stack |
| `pull` | `pipeline.config.PullConfig` | pulling and sharding |
| `connectors.<key>` | a platform module's config (`registry.config_types()`) | one platform |
| `review` | `review.domain.config.ReviewConfig` | items' threshold, due times, links |
| `smtp` | `review.domain.config.SmtpConfig` | mail |
| `web` | `WebConfig` below | the review UI (an entry point itself) |
| `retention` | `pipeline.config.RetentionConfig` | the retention purge |
| `airflow` | `postwarden.schedules.AirflowConfig` | the DAGs' schedules |
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import Engine

from connectors.base import ConnectorConfig
from connectors.registry import config_types
from detectors.config import StackConfig
from pipeline.config import PipelineConfig, PullConfig, RetentionConfig
from postwarden.schedules import AirflowConfig
from review.domain.config import ReviewConfig, SmtpConfig
from storage.db import get_engine, owner_only_home

log = logging.getLogger(__name__)


class OIDCProvider(BaseModel):
    """One OpenID Connect sign-in (e.g. Microsoft Entra ID, Google Workspace). The client secret
    is read from the environment variable `client_secret_env`, never from here."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(pattern=r"^[a-z0-9_-]{1,32}$", description="URL-safe id, e.g. entra")
    label: str = Field(description="Button text, e.g. 'Sign in with Microsoft'")
    discovery_url: str = Field(description=".well-known/openid-configuration URL")
    client_id: str
    client_secret_env: str = Field(description="environment variable holding the client secret")
    allowed_domains: list[str] = Field(
        default_factory=list, description="e-mail domains that may sign in (empty: any)"
    )


class WebConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = Field(default="127.0.0.1", description="`postwarden serve` bind address.")
    port: int = Field(default=8000, ge=1, le=65535, description="`postwarden serve` port.")
    session_hours: int = Field(default=8, ge=1, description="A log-in lasts this long.")
    cookie_secure: bool = Field(
        default=False, description="Send the session cookie over HTTPS only (set behind TLS)."
    )
    forwarded_allow_ips: str = Field(
        default="127.0.0.1",
        description="Reverse proxies whose X-Forwarded-For/-Proto are believed (comma-separated "
        "addresses or networks, '*' for any): the client address the log-in throttle counts, "
        "and https behind a TLS proxy. `postwarden serve` passes it to uvicorn too.",
    )
    login_attempts_free: int = Field(
        default=5, ge=1, description="Failed sign-ins per account before it is slowed down."
    )
    login_delay_max_seconds: float = Field(
        default=300.0, gt=0, description="Longest wait between attempts on a slowed account."
    )
    address_failures_free: int = Field(
        default=20, ge=1, description="Failed sign-ins per client address before it is slowed."
    )
    address_delay_max_seconds: float = Field(
        default=5.0, ge=0, description="Longest delay added to a sign-in from a slowed address."
    )
    oidc_providers: list[OIDCProvider] = Field(
        default_factory=list, description="Sign-in providers (Entra ID, Google), JSON list."
    )
    policy_file: Path | None = Field(
        default=None, description="The trust's policy text (default: shared/policy/ by the repo)."
    )


class Settings(BaseSettings):
    """Everything operators can change without touching code. No platform credentials here."""

    model_config = SettingsConfigDict(
        env_prefix="POSTWARDEN_", env_file=".env", extra="ignore", env_nested_delimiter="__"
    )

    home: Path = Field(
        default=Path(".postwarden"), description="Data folder: SQLite file, Airflow home, inboxes."
    )
    database_url: str = Field(
        default="", description="SQLAlchemy URL; empty means SQLite at <home>/postwarden.db."
    )
    log_format: str = Field(default="json", description="Log lines: json, or console for humans.")
    roster_key: SecretStr | None = Field(
        default=None,
        description="Secret (16+ chars) for keyed hashes of pupils' names, UPNs, allowlists.",
    )
    detection: StackConfig = Field(default_factory=StackConfig)
    pull: PullConfig = Field(default_factory=PullConfig)
    connectors: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Per-platform settings, by the platform's config key."
    )
    review: ReviewConfig = Field(default_factory=ReviewConfig)
    smtp: SmtpConfig = Field(default_factory=SmtpConfig)
    web: WebConfig = Field(default_factory=WebConfig)
    retention: RetentionConfig = Field(default_factory=RetentionConfig)
    airflow: AirflowConfig = Field(default_factory=AirflowConfig)

    def connector_configs(self) -> dict[str, ConnectorConfig]:
        """Every platform's settings group, validated by its own model. Importing the platforms
        is not cheap, so this runs when a cycle starts, not whenever settings are read."""
        types = config_types()
        unknown = sorted(set(self.connectors) - set(types))
        if unknown:
            raise ValueError(
                f"POSTWARDEN_CONNECTORS__{unknown[0].upper()}__*: no such settings group "
                f"(known: {', '.join(sorted(types))})"
            )
        out = {}
        for key, model in types.items():
            try:
                out[key] = model.model_validate(self.connectors.get(key, {}))
            except ValidationError as exc:
                raise ValueError(f"POSTWARDEN_CONNECTORS__{key.upper()}: {exc}") from None
        return out

    @property
    def roster_key_bytes(self) -> bytes | None:
        """The roster key as bytes (None if unset); too short a key is refused, never echoed."""
        if self.roster_key is None or not self.roster_key.get_secret_value():
            return None
        value = self.roster_key.get_secret_value().encode("utf-8")
        if len(value) < 16:
            raise ValueError("POSTWARDEN_ROSTER_KEY must be at least 16 characters long")
        return value

    @property
    def resolved_database_url(self) -> str:
        """The URL actually used: SQLite under `home` unless one is configured."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'postwarden.db').resolve()}"

    @property
    def engine(self) -> Engine:
        owner_only_home(self.home)  # the data folder is owner-only (issue 11)
        return get_engine(self.resolved_database_url)

    def pipeline(self) -> PipelineConfig:
        """What the cycle's use cases take (a too-short roster key scans on without rosters)."""
        try:
            key = self.roster_key_bytes
        except ValueError as exc:  # too short: scan on without rosters/allowlists, say why
            log.error("%s: rosters and allowlists are not used until it is fixed", exc)
            key = None
        owner_only_home(self.home)  # exports, the database and keys live there (issue 11)
        return PipelineConfig(
            database_url=self.resolved_database_url,
            home=self.home,
            pull=self.pull,
            connectors=self.connector_configs(),
            detection=self.detection,
            review=self.review,
            retention=self.retention,
            roster_key=key,
        )


@lru_cache
def get_settings() -> Settings:
    """Process-wide settings; tests call `get_settings.cache_clear()` after changing env."""
    return Settings()
