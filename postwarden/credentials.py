"""Credentials come from Airflow Connections, never from our tables, settings or logs.

Inside a DAG task they are read with Airflow's own `Connection.get`; outside Airflow (the CLI's
`run`, tests) from the same `AIRFLOW_CONN_<ID>` environment variables Airflow itself reads, so one
configuration serves both.
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


def _from_fields(conn_id: str, fields: Mapping[str, Any]) -> Credentials:
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
        return _from_fields(conn_id, json.loads(raw))
    parts = urlsplit(raw)
    query = dict(p.split("=", 1) for p in parts.query.split("&") if "=" in p)
    return _from_fields(
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


def from_airflow(conn_id: str) -> Credentials:
    """Inside a running Airflow task: the Task SDK's connection lookup (secrets backends too)."""
    from airflow.sdk import Connection  # only ever called inside a task

    try:
        conn = Connection.get(conn_id)
    except Exception as exc:  # the SDK raises its own not-found type
        raise MissingConnection(f"Airflow Connection {conn_id!r} not found: {exc}") from None
    return _from_fields(
        conn_id,
        {
            "password": conn.password,
            "login": conn.login,
            "host": conn.host,
            "port": conn.port,
            "schema": conn.schema or conn.conn_type,
            "extra": conn.extra_dejson,
        },
    )
