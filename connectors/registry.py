"""Which connector serves an account: the one place that maps platforms to classes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from connectors.base import Connector, Credentials
from postwarden.settings import Settings
from storage.models import Account, Platform
from storage.types import utcnow


def build_connector(
    account: Account, credentials: Credentials, settings: Settings
) -> Connector[Any]:
    """A ready connector for `account`; raises ValueError for a platform we cannot pull."""
    if account.platform == Platform.X:
        from connectors.x import XConnector

        return XConnector(
            credentials,
            user_id=account.external_id,
            base_url=credentials.host or settings.x_api_base_url,
            max_results=settings.x_max_results,
            start_time=None
            if account.cursor
            else utcnow() - timedelta(days=settings.backfill_days),
            timeout=settings.http_timeout_seconds,
        )
    raise ValueError(f"no connector for platform {account.platform!r}")
