"""Credentials resolve from Airflow's own AIRFLOW_CONN_* forms and never show their secret."""

from __future__ import annotations

import json

import pytest

from pipeline.credentials import MissingConnection, from_environment


@pytest.mark.parametrize(
    ("value", "host", "secret"),
    [
        (
            json.dumps({"conn_type": "http", "host": "http://127.0.0.1:8765", "password": "tok"}),
            "http://127.0.0.1:8765",
            "tok",
        ),
        (
            json.dumps({"conn_type": "http", "host": "api.example.org", "password": "tok"}),
            "https://api.example.org",
            "tok",
        ),
        (json.dumps({"conn_type": "http", "extra": {"token": "from-extra"}}), None, "from-extra"),
        ("http://:s%40cret@127.0.0.1:8765", "http://127.0.0.1:8765", "s@cret"),
        ("https://:tok@api.example.org", "https://api.example.org", "tok"),
    ],
    ids=["json-url-host", "json-bare-host", "json-extra-token", "uri-http-port", "uri-https"],
)
def test_airflow_connection_forms(
    monkeypatch: pytest.MonkeyPatch, value: str, host: str | None, secret: str
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_X_SCHOOL", value)
    creds = from_environment("x_school")
    assert (creds.host, creds.secret) == (host, secret)
    assert secret not in repr(creds)


@pytest.mark.parametrize(
    "value", [None, json.dumps({"conn_type": "http", "host": "h"})], ids=["absent", "no-secret"]
)
def test_missing_or_secretless_connection_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    monkeypatch.delenv("AIRFLOW_CONN_X_NONE", raising=False)
    if value is not None:
        monkeypatch.setenv("AIRFLOW_CONN_X_NONE", value)
    with pytest.raises(MissingConnection, match="x_none"):
        from_environment("x_none")
