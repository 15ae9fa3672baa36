"""Configuration comes from the environment; production invents no secrets."""

from __future__ import annotations

import pytest

from config import ConfigError, DevelopmentConfig, ProductionConfig, load_config


def test_development_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CRVS_ENV", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    config = load_config()
    assert isinstance(config, DevelopmentConfig)
    assert config.DATABASE_URL and config.DATABASE_URL.startswith("sqlite:///")


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATABASE_URL"])
def test_production_refuses_to_start_without_secrets(
    monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    monkeypatch.setenv("SECRET_KEY", "s3cret")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://db/crvs")
    monkeypatch.delenv(missing)
    with pytest.raises(ConfigError, match=missing):
        load_config("production")


def test_production_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "s3cret")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://db/crvs")
    monkeypatch.setenv("BIRTH_CURRENT_DAYS", "60")
    config = load_config("production")
    assert isinstance(config, ProductionConfig)
    assert config.BIRTH_CURRENT_DAYS == 60
    assert config.as_dict()["SESSION_COOKIE_SECURE"] is True


@pytest.mark.parametrize(
    ("env", "value", "message"),
    [
        ("CRVS_ENV", "staging", "CRVS_ENV must be one of"),
        ("BIRTH_LATE_DAYS", "many", "whole number"),
        ("BIRTH_CURRENT_DAYS", "400", "below BIRTH_LATE_DAYS"),
    ],
)
def test_bad_settings_are_named(
    monkeypatch: pytest.MonkeyPatch, env: str, value: str, message: str
) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises(ConfigError, match=message):
        load_config()
