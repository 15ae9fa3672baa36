"""Configuration classes, chosen by ``CRVS_ENV`` and read from the environment.

``CRVS_ENV`` is ``development`` (default), ``testing`` or ``production``. Every setting can be
overridden by an environment variable of the same name; nothing here does I/O at import time.
Production refuses to start without ``SECRET_KEY`` and ``DATABASE_URL`` rather than inventing them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

HERE = Path(__file__).resolve().parent


class ConfigError(RuntimeError):
    """The environment does not describe a usable configuration."""


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from exc


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, not {raw!r}")


def _png_file(name: str, path: str) -> None:
    """An image named in configuration must be a readable PNG (read when printing)."""
    if not path:
        return
    try:
        with open(path, "rb") as handle:
            magic = handle.read(8)
    except OSError as exc:
        raise ConfigError(f"{name}: cannot read {path} ({exc.strerror})") from None
    if magic != b"\x89PNG\r\n\x1a\n":
        raise ConfigError(f"{name}: {path} is not a PNG image")


class Config:
    """Settings shared by every environment."""

    ENV_NAME: ClassVar[str] = "base"
    TESTING = False
    DEBUG = False
    INSTANCE_DIR = Path(os.environ.get("CRVS_INSTANCE_DIR", HERE / "instance"))

    # Legal periods in days, per event type: current <= CURRENT, late <= LATE, delayed beyond.
    BIRTH_CURRENT_DAYS = 30
    BIRTH_LATE_DAYS = 365
    DEATH_CURRENT_DAYS = 45
    DEATH_LATE_DAYS = 365

    # Registration number: placeholders office, type (B/D), year, seq; a check character follows.
    REGISTRATION_NUMBER_FORMAT = "{office}-{type}{year}-{seq:06d}"

    TOKEN_LIFETIME_SECONDS = 8 * 3600
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536
    # Sign-in throttling: per (account, address) pair; the address alone gets four times as
    # many; the account alone, whatever the address, a slower global limit. Never a lock-out.
    LOGIN_MAX_FAILURES = 5
    LOGIN_WINDOW_SECONDS = 300
    LOGIN_ACCOUNT_MAX_FAILURES = 20
    LOGIN_ACCOUNT_WINDOW_SECONDS = 900
    # zxcvbn score (0-4) a new password must reach: 3 refuses common and guessable ones.
    PASSWORD_MIN_SCORE = 3
    # Strict-Transport-Security max-age in seconds; 0 sends no header (production sets a year).
    HSTS_SECONDS = 0
    # PostgreSQL only: no statement waits longer than this for a lock, nor runs longer (0: off).
    DB_LOCK_TIMEOUT_MS = 5000
    DB_STATEMENT_TIMEOUT_MS = 30000
    # Stored Idempotency-Key responses are kept this long, then purged by the write path.
    IDEMPOTENCY_TTL_SECONDS = 24 * 3600
    # Public statistics hide counts from 1 to this minus one (0 stays visible).
    STATS_SUPPRESSION_THRESHOLD = 5
    # `crvs dedupe train` refuses a register smaller than this (the hand-set weights stay).
    DEDUPE_TRAIN_MIN_RECORDS = 5000
    # Public certificate verification (no sign-in), per client address. The count is kept per
    # process unless RATELIMIT_STORAGE_URI names a shared store (e.g. a redis:// URL).
    VERIFY_RATE_LIMIT = "30 per minute"
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"

    # Certificates: the private signing keys live in this directory, never in the database.
    CERT_KEYS_DIR = str(INSTANCE_DIR / "keys")
    CERT_LANGUAGES = "en,fr"  # the label pair printed side by side
    CERT_PAPER = "A4"  # or "LETTER"
    CERT_AUTHORITY = "Civil Registration Authority"
    CERT_COUNTRY = ""  # printed above the authority; empty for none
    CERT_SIGNER_TITLE = ""  # under the registrar's name; empty: "Registrar" in both languages
    CERT_EMBLEM = ""  # path of the national emblem (PNG) at the head of the page; empty: none
    CERT_SEAL = ""  # path of the office seal (PNG) printed beside the signature; empty: none
    CERT_CAUSE_SEQUENCE = False  # death certificates also print Part 1 (lines a-d)
    CERT_FONT_DIRS = ""  # colon-separated font directories; empty: Debian's /usr/share/fonts

    # Four eyes: who approves a correction ("second_registrar": not its requester; "self": the
    # requester may too), and the area level (or above) whose registrar approves a delayed
    # registration before it is registered.
    CORRECTION_APPROVAL = "second_registrar"
    DELAYED_APPROVAL_LEVEL = "region"
    # Births and deaths dated before this year are refused as implausible.
    EARLIEST_EVENT_YEAR = 1900

    # flask-smorest / OpenAPI
    API_TITLE = "CRVS registry"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    JSON_SORT_KEYS = False
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"

    def __init__(self) -> None:
        self.SECRET_KEY: str | None = os.environ.get("SECRET_KEY")
        self.DATABASE_URL: str | None = os.environ.get("DATABASE_URL")
        for name in (
            "BIRTH_CURRENT_DAYS",
            "BIRTH_LATE_DAYS",
            "DEATH_CURRENT_DAYS",
            "DEATH_LATE_DAYS",
            "TOKEN_LIFETIME_SECONDS",
            "ARGON2_TIME_COST",
            "ARGON2_MEMORY_COST",
            "LOGIN_MAX_FAILURES",
            "LOGIN_WINDOW_SECONDS",
            "LOGIN_ACCOUNT_MAX_FAILURES",
            "LOGIN_ACCOUNT_WINDOW_SECONDS",
            "PASSWORD_MIN_SCORE",
            "HSTS_SECONDS",
            "DB_LOCK_TIMEOUT_MS",
            "DB_STATEMENT_TIMEOUT_MS",
            "IDEMPOTENCY_TTL_SECONDS",
            "STATS_SUPPRESSION_THRESHOLD",
            "DEDUPE_TRAIN_MIN_RECORDS",
            "EARLIEST_EVENT_YEAR",
        ):
            setattr(self, name, _int(name, getattr(self, name)))
        for name in (
            "CERT_KEYS_DIR",
            "CERT_LANGUAGES",
            "CERT_PAPER",
            "CERT_AUTHORITY",
            "CERT_COUNTRY",
            "CERT_SIGNER_TITLE",
            "CERT_EMBLEM",
            "CERT_SEAL",
            "CERT_FONT_DIRS",
            "VERIFY_RATE_LIMIT",
            "CORRECTION_APPROVAL",
            "DELAYED_APPROVAL_LEVEL",
            "RATELIMIT_STORAGE_URI",
            "REGISTRATION_NUMBER_FORMAT",
        ):
            if os.environ.get(name):
                setattr(self, name, os.environ[name])
        self.CERT_CAUSE_SEQUENCE = _bool("CERT_CAUSE_SEQUENCE", self.CERT_CAUSE_SEQUENCE)
        _png_file("CERT_EMBLEM", self.CERT_EMBLEM)
        _png_file("CERT_SEAL", self.CERT_SEAL)
        if not 0 <= self.PASSWORD_MIN_SCORE <= 4:
            raise ConfigError("PASSWORD_MIN_SCORE must be from 0 to 4")
        if self.IDEMPOTENCY_TTL_SECONDS <= 0:
            raise ConfigError("IDEMPOTENCY_TTL_SECONDS must be above 0")
        if self.CERT_PAPER.upper() not in ("A4", "LETTER"):
            raise ConfigError("CERT_PAPER must be A4 or LETTER")
        if len(self.CERT_LANGUAGES.split(",")) != 2:
            raise ConfigError("CERT_LANGUAGES must name two languages, like en,fr")
        if self.CORRECTION_APPROVAL not in ("second_registrar", "self"):
            raise ConfigError("CORRECTION_APPROVAL must be second_registrar or self")
        if self.BIRTH_CURRENT_DAYS >= self.BIRTH_LATE_DAYS:
            raise ConfigError("BIRTH_CURRENT_DAYS must be below BIRTH_LATE_DAYS")
        if self.DEATH_CURRENT_DAYS >= self.DEATH_LATE_DAYS:
            raise ConfigError("DEATH_CURRENT_DAYS must be below DEATH_LATE_DAYS")

    def as_dict(self) -> dict[str, Any]:
        """Every upper-case setting, for ``app.config.from_mapping``."""
        names = {n for klass in type(self).__mro__ for n in vars(klass) if n.isupper()}
        names |= {n for n in vars(self) if n.isupper()}
        return {n: getattr(self, n) for n in names}


class DevelopmentConfig(Config):
    """The one-command local registry: an SQLite file under instance/."""

    ENV_NAME = "development"

    def __init__(self) -> None:
        super().__init__()
        if not self.SECRET_KEY:
            self.SECRET_KEY = "development-only-not-secret"  # noqa: S105
        if not self.DATABASE_URL:
            self.DATABASE_URL = f"sqlite:///{self.INSTANCE_DIR / 'crvs.sqlite3'}"


class TestingConfig(DevelopmentConfig):
    """Fast password hashing, no rate limits (their own test turns them on); the test suite
    supplies its own database."""

    ENV_NAME = "testing"
    TESTING = True
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    RATELIMIT_ENABLED = False


class ProductionConfig(Config):
    """PostgreSQL behind gunicorn; secrets come from the environment only."""

    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    HSTS_SECONDS = 365 * 24 * 3600

    def __init__(self) -> None:
        super().__init__()
        if not self.SECRET_KEY:
            raise ConfigError("SECRET_KEY must be set in production")
        if not self.DATABASE_URL:
            raise ConfigError("DATABASE_URL must be set in production")


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def load_config(env: str | None = None) -> Config:
    """The configuration for ``env`` (default: ``CRVS_ENV`` or development)."""
    name = env or os.environ.get("CRVS_ENV") or "development"
    try:
        return CONFIGS[name]()
    except KeyError:
        raise ConfigError(f"CRVS_ENV must be one of {', '.join(CONFIGS)}, not {name!r}") from None
