"""Credentials come from Airflow Connections, never from our tables, settings or logs.

Inside a DAG task the DAG passes `postwarden.airflow_connections.from_airflow` (Airflow's own
`Connection.get`); outside Airflow (the CLI's `run`, tests) they come from the same
`AIRFLOW_CONN_<ID>` environment variables Airflow itself reads, so one configuration serves both.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from connectors.base import Credentials

CredentialSource = Callable[[str], Credentials]


class MissingConnection(LookupError):
    """The account names an Airflow Connection that does not exist."""


def _base_url(host: str | None, schema: str | None, port: int | None) -> str | None:
    """A connection's host as an API base URL (a host may carry its own scheme)."""
    if not host:
        return None
    if "://" in host:
        return host.rstrip("/")
    scheme = schema if schema in ("http", "https") else "https"
    return f"{scheme}://{host}{f':{port}' if port else ''}"


def from_fields(conn_id: str, fields: Mapping[str, Any]) -> Credentials:
    extra = fields.get("extra") or {}
    if isinstance(extra, str):
        extra = json.loads(extra) if extra else {}
    secret = fields.get("password") or extra.get("token") or ""
    if not secret:
        raise MissingConnection(f"Airflow Connection {conn_id!r} has no password/token")
    return Credentials(
        conn_id=conn_id,
        secret=secret,
        host=_base_url(fields.get("host"), fields.get("schema"), fields.get("port")),
        login=fields.get("login"),
        extra=extra,
    )


def env_var_name(conn_id: str) -> str:
    return f"AIRFLOW_CONN_{conn_id.upper()}"


def from_environment(conn_id: str) -> Credentials:
    """Read `AIRFLOW_CONN_<ID>` in either of Airflow's forms (JSON or URI)."""
    raw = os.environ.get(env_var_name(conn_id))
    if not raw:
        raise MissingConnection(
            f"no Airflow Connection {conn_id!r} (set {env_var_name(conn_id)} or add it in Airflow)"
        )
    if raw.lstrip().startswith("{"):
        return from_fields(conn_id, json.loads(raw))
    parts = urlsplit(raw)
    query = dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p)
    return from_fields(
        conn_id,
        {
            "password": unquote(parts.password or ""),
            "login": unquote(parts.username or "") or None,
            "host": parts.hostname,
            "port": parts.port,
            "schema": query.pop("__scheme", None) or ("http" if parts.scheme == "http" else None),
            "extra": query,
        },
    )


def caching(source: CredentialSource) -> CredentialSource:
    """`source`, asked once per Connection (a missing one raises each time, never cached)."""
    found: dict[str, Credentials] = {}

    def cached(conn_id: str) -> Credentials:
        if conn_id not in found:
            found[conn_id] = source(conn_id)
        return found[conn_id]

    return cached
