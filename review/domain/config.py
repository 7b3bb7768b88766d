"""The review policy's knobs: the threshold that opens items, due times, the UI's address."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from core.findings import Severity


class ReviewConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    min_severity: Severity = Field(
        default=Severity.MEDIUM, description="Findings at or above this open review items."
    )
    due_hours_high: int = Field(
        default=24, ge=1, description="Hours a high item may wait before it passes to IT."
    )
    due_hours_medium: int = Field(default=72, ge=1, description="The same for a medium item.")
    due_hours_low: int = Field(default=168, ge=1, description="The same for a low item.")
    base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Review UI address as people reach it (mail links, single sign-on redirect).",
    )

    def due_hours(self, severity: Severity) -> int:
        """Hours an item of this severity may stay open before it is overdue."""
        return {
            Severity.HIGH: self.due_hours_high,
            Severity.MEDIUM: self.due_hours_medium,
            Severity.LOW: self.due_hours_low,
        }[severity]

    def link(self, path: str) -> str:
        return self.base_url.rstrip("/") + path


class SmtpConfig(BaseModel):
    """Mail for alerts and digests; an empty host turns mail off."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = Field(default="", description="SMTP server; empty turns mail off.")
    port: int = Field(
        default=25, ge=1, le=65535, description="SMTP port (587 STARTTLS, 465 SMTPS)."
    )
    starttls: bool = Field(default=False, description="Upgrade to TLS (STARTTLS, port 587).")
    ssl: bool = Field(default=False, description="TLS from the start (SMTPS, port 465).")
    username: str = Field(default="", description="Log-in at the mail server, if it wants one.")
    password: SecretStr | None = Field(
        default=None,
        description="Never logged or stored; sent only inside TLS (STARTTLS or SMTPS), else "
        "mail is refused with an error.",
    )
    from_address: str = Field(default="postwarden@localhost", description="The From: address.")
    timeout_seconds: float = Field(default=10.0, gt=0, description="Give up on the server after.")
