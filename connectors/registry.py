"""Which connector serves a platform: a mapping built from the platform modules' `PLUGIN`s.

Adding a platform is one module in `connectors/` that declares `PLUGIN = ConnectorPlugin(...)`
(its platform, its pydantic config, what it needs from a Connection and how it is built from an
account) plus its sandbox module; this module finds it. Nothing here reads the database or the
settings: the pipeline passes the account, its credentials and the validated config.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from functools import cache
from types import MappingProxyType
from typing import Any

import connectors
from connectors.base import Access, AccountRef, ConnectorConfig, ConnectorPlugin, Credentials

# Modules of this package that are building blocks, not platforms.
_NOT_PLATFORMS = frozenset(
    {
        "base",
        "bluesky_payload",
        "errors",
        "export_messages",
        "export_reading",
        "facebook_export",
        "graph",
        "graph_edge",
        "http",
        "links",
        "parts",
        "registry",
        "whatsapp_export",
        "x_cursor",
        "x_payload",
        "x_redaction",
    }
)


@cache
def plugins() -> Mapping[str, ConnectorPlugin[Any]]:
    """Every platform's plug-in, by platform value ("x", "facebook", ...)."""
    found: dict[str, ConnectorPlugin[Any]] = {}
    for info in pkgutil.iter_modules(connectors.__path__):
        if info.name in _NOT_PLATFORMS or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"connectors.{info.name}")
        declared = getattr(module, "PLUGINS", None) or (
            (module.PLUGIN,) if hasattr(module, "PLUGIN") else ()
        )
        for plugin in declared:
            if str(plugin.platform) in found:
                raise RuntimeError(f"two connectors declare platform {plugin.platform!r}")
            found[str(plugin.platform)] = plugin
    return MappingProxyType(found)


def plugin_for(platform: str) -> ConnectorPlugin[Any]:
    try:
        return plugins()[str(platform)]
    except KeyError:
        raise ValueError(f"no connector for platform {platform!r}") from None


def config_types() -> Mapping[str, type[ConnectorConfig]]:
    """Settings group -> its config model (what `POSTWARDEN_CONNECTORS__<group>__*` sets)."""
    return {p.key: p.config_type for p in plugins().values()}


def needs_connection(platform: str) -> bool:
    """True if an account on `platform` cannot be pulled without an Airflow Connection."""
    return plugin_for(platform).access is Access.TOKEN


def build_connector(
    platform: str,
    account: AccountRef,
    credentials: Credentials | None,
    config: ConnectorConfig | Mapping[str, Any] | None = None,
) -> Any:
    """A ready connector; `config` is the plug-in's model (or raw values to validate)."""
    plugin = plugin_for(platform)
    if not isinstance(config, plugin.config_type):
        config = plugin.config_type.model_validate(dict(config or {}))
    if plugin.access is Access.NONE:
        credentials = None
    return plugin.build(account, credentials, config)
