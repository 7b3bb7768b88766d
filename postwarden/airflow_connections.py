"""Credentials inside a running Airflow task: the Task SDK's connection lookup.

The DAG hands `from_airflow` to the pipeline's task bodies, which take any `CredentialSource`;
so any secrets backend Airflow is configured with works, and nothing below the DAGs imports
Airflow.
"""

from __future__ import annotations

from connectors.base import Credentials
from pipeline.credentials import MissingConnection, from_fields


def from_airflow(conn_id: str) -> Credentials:
    """Inside a running Airflow task: the Task SDK's connection lookup (secrets backends too)."""
    from airflow.sdk import Connection  # only ever called inside a task

    try:
        conn = Connection.get(conn_id)
    except Exception as exc:  # the SDK raises its own not-found type
        raise MissingConnection(f"Airflow Connection {conn_id!r} not found: {exc}") from None
    return from_fields(
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
