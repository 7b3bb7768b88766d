"""Which connector serves an account: the one place that maps platforms to classes.

Credentials: X, Facebook and Instagram need a token from the account's Airflow Connection. Blogs
and Bluesky read public data, so their Connection is optional (an empty `conn_id`); when named,
it gives a host override and/or a login. Group exports read a folder and need none.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from connectors.base import Connector, Credentials
from postwarden.credentials import CredentialSource
from postwarden.settings import Settings
from storage.models import Account, Platform
from storage.types import utcnow

PUBLIC_PLATFORMS = frozenset({Platform.BLOG, Platform.BLUESKY})
EXPORT_PLATFORMS = frozenset({Platform.FACEBOOK_GROUP_EXPORT, Platform.WHATSAPP_EXPORT})


def resolve_credentials(account: Account, source: CredentialSource) -> Credentials:
    """The account's credentials; anonymous for a public or export account without a Connection."""
    if account.platform in PUBLIC_PLATFORMS | EXPORT_PLATFORMS and not account.conn_id:
        return Credentials(conn_id="", secret="")
    return source(account.conn_id)


def default_inbox(settings: Settings, account: Account) -> Path:
    """`<home>/inboxes/<platform>/<external id>`: where a group's creator drops its exports."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in account.external_id)
    return settings.home.resolve() / "inboxes" / str(account.platform) / safe


def _start_time(account: Account, settings: Settings) -> Any:
    return None if account.cursor else utcnow() - timedelta(days=settings.backfill_days)


def build_connector(
    account: Account, credentials: Credentials, settings: Settings
) -> Connector[Any]:
    """A ready connector for `account`; raises ValueError for a platform we cannot pull."""
    platform = Platform(account.platform)
    media_cap = settings.media_max_bytes
    if platform == Platform.X:
        from connectors.x import XConnector

        return XConnector(
            credentials,
            user_id=account.external_id,
            base_url=credentials.host or settings.x_api_base_url,
            max_results=settings.x_max_results,
            start_time=_start_time(account, settings),
            timeout=settings.http_timeout_seconds,
            media_max_bytes=media_cap,
        )
    if platform in (Platform.FACEBOOK, Platform.INSTAGRAM):
        from connectors.facebook import FacebookPageConnector
        from connectors.instagram import InstagramConnector

        cls = FacebookPageConnector if platform == Platform.FACEBOOK else InstagramConnector
        return cls(  # type: ignore[return-value]
            credentials,
            object_id=account.external_id,
            version=settings.graph_api_version,
            base_url=credentials.host or settings.graph_api_base_url,
            limit=settings.graph_page_size,
            start_time=_start_time(account, settings),
            revisit=timedelta(days=settings.graph_revisit_days),
            timeout=settings.http_timeout_seconds,
            media_max_bytes=media_cap,
        )
    if platform == Platform.BLOG:
        from connectors.blog import BlogConnector

        return BlogConnector(  # type: ignore[return-value]
            credentials if credentials.conn_id else None,
            feed_url=account.external_id,
            timeout=settings.http_timeout_seconds,
            max_bytes=settings.feed_max_bytes,
            media_max_bytes=media_cap,
        )
    if platform == Platform.BLUESKY:
        from connectors.bluesky import BlueskyConnector

        logged_in = bool(credentials.conn_id and credentials.login)
        return BlueskyConnector(  # type: ignore[return-value]
            credentials if credentials.conn_id else None,
            actor=account.external_id,
            base_url=settings.bluesky_pds_url if logged_in else settings.bluesky_api_base_url,
            limit=settings.bluesky_page_size,
            start_time=_start_time(account, settings),
            timeout=settings.http_timeout_seconds,
            media_max_bytes=media_cap,
            deletion_window=timedelta(days=settings.deletion_window_days),
        )
    if platform in EXPORT_PLATFORMS:
        from connectors.group_exports import GroupExportConnector
        from storage import connector_crud
        from storage.db import get_engine, session_scope

        engine = get_engine(settings.resolved_database_url)
        account_id = account.id
        assert account_id is not None

        def known() -> dict[str, tuple[str, str | None]]:
            with session_scope(engine) as session:
                return connector_crud.inbox_files(session, account_id=account_id)

        with session_scope(engine) as session:
            configured = connector_crud.inbox_path(session, account_id=account_id)
        return GroupExportConnector(  # type: ignore[return-value]
            platform=str(platform),
            group=account.external_id,
            inbox=Path(configured) if configured else default_inbox(settings, account),
            known=known,
            timezone=settings.export_timezone,
            settle_seconds=settings.inbox_settle_seconds,
            max_bytes=settings.export_max_bytes,
        )
    raise ValueError(f"no connector for platform {account.platform!r}")
