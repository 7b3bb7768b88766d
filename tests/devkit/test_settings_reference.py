"""docs/configuration.md is the settings models written out: regenerate it when they change."""

from __future__ import annotations

from pathlib import Path

from devkit.settings_reference import reference

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_the_configuration_reference_is_up_to_date() -> None:
    assert DOC.read_text(encoding="utf-8") == reference(), (
        "run: python -m devkit.settings_reference > docs/configuration.md"
    )


def test_every_documented_variable_is_read_by_the_settings(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from postwarden.settings import Settings

    monkeypatch.setenv("POSTWARDEN_PULL__BACKFILL_DAYS", "30")
    monkeypatch.setenv("POSTWARDEN_CONNECTORS__X__MAX_RESULTS", "50")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.pull.backfill_days == 30
    assert settings.pipeline().connectors["x"].max_results == 50  # type: ignore[attr-defined]
