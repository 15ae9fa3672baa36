"""The registry's rules that come from configuration, as one frozen value for services."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from config import Config as C
from registry.domain import EventType, LegalPeriods


def _pair(text: str) -> tuple[str, str]:
    first, second = (part.strip() for part in text.split(","))
    return first, second


def _dirs(text: str) -> tuple[str, ...]:
    return tuple(d for d in text.split(":") if d)


@dataclass(frozen=True)
class RegistrySettings:
    """The settings services read. Every default is the configuration's (``config.Config``):
    the one set of defaults, kept there; ``from_config`` reads an application's values."""

    birth_periods: LegalPeriods = field(
        default_factory=lambda: LegalPeriods(C.BIRTH_CURRENT_DAYS, C.BIRTH_LATE_DAYS)
    )
    death_periods: LegalPeriods = field(
        default_factory=lambda: LegalPeriods(C.DEATH_CURRENT_DAYS, C.DEATH_LATE_DAYS)
    )
    number_format: str = C.REGISTRATION_NUMBER_FORMAT
    token_lifetime_seconds: int = C.TOKEN_LIFETIME_SECONDS
    argon2_time_cost: int = C.ARGON2_TIME_COST
    argon2_memory_cost: int = C.ARGON2_MEMORY_COST
    login_max_failures: int = C.LOGIN_MAX_FAILURES
    login_window_seconds: int = C.LOGIN_WINDOW_SECONDS
    login_account_max_failures: int = C.LOGIN_ACCOUNT_MAX_FAILURES
    login_account_window_seconds: int = C.LOGIN_ACCOUNT_WINDOW_SECONDS
    password_min_score: int = C.PASSWORD_MIN_SCORE
    idempotency_ttl_seconds: int = C.IDEMPOTENCY_TTL_SECONDS
    cert_keys_dir: str = C.CERT_KEYS_DIR
    cert_languages: tuple[str, str] = field(default_factory=lambda: _pair(C.CERT_LANGUAGES))
    cert_paper: str = C.CERT_PAPER.upper()
    cert_authority: str = C.CERT_AUTHORITY
    cert_country: str = C.CERT_COUNTRY
    cert_signer_title: str = C.CERT_SIGNER_TITLE
    cert_emblem: str = C.CERT_EMBLEM  # a PNG file named by configuration, never by a request
    cert_seal: str = C.CERT_SEAL
    cert_cause_sequence: bool = C.CERT_CAUSE_SEQUENCE
    # empty: the Debian font directories
    cert_font_dirs: tuple[str, ...] = field(default_factory=lambda: _dirs(C.CERT_FONT_DIRS))
    correction_approval: str = C.CORRECTION_APPROVAL  # or "self"
    delayed_approval_level: str = C.DELAYED_APPROVAL_LEVEL

    def periods(self, event_type: EventType) -> LegalPeriods:
        return self.birth_periods if event_type is EventType.BIRTH else self.death_periods

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> RegistrySettings:
        return cls(
            birth_periods=LegalPeriods(config["BIRTH_CURRENT_DAYS"], config["BIRTH_LATE_DAYS"]),
            death_periods=LegalPeriods(config["DEATH_CURRENT_DAYS"], config["DEATH_LATE_DAYS"]),
            number_format=config["REGISTRATION_NUMBER_FORMAT"],
            token_lifetime_seconds=config["TOKEN_LIFETIME_SECONDS"],
            argon2_time_cost=config["ARGON2_TIME_COST"],
            argon2_memory_cost=config["ARGON2_MEMORY_COST"],
            login_max_failures=config["LOGIN_MAX_FAILURES"],
            login_window_seconds=config["LOGIN_WINDOW_SECONDS"],
            login_account_max_failures=config["LOGIN_ACCOUNT_MAX_FAILURES"],
            login_account_window_seconds=config["LOGIN_ACCOUNT_WINDOW_SECONDS"],
            password_min_score=config["PASSWORD_MIN_SCORE"],
            idempotency_ttl_seconds=config["IDEMPOTENCY_TTL_SECONDS"],
            cert_keys_dir=config["CERT_KEYS_DIR"],
            cert_languages=_pair(config["CERT_LANGUAGES"]),
            cert_paper=config["CERT_PAPER"].upper(),
            cert_authority=config["CERT_AUTHORITY"],
            cert_country=config["CERT_COUNTRY"],
            cert_signer_title=config["CERT_SIGNER_TITLE"],
            cert_emblem=config["CERT_EMBLEM"],
            cert_seal=config["CERT_SEAL"],
            cert_cause_sequence=config["CERT_CAUSE_SEQUENCE"],
            cert_font_dirs=_dirs(config.get("CERT_FONT_DIRS", "")),
            correction_approval=config["CORRECTION_APPROVAL"],
            delayed_approval_level=config["DELAYED_APPROVAL_LEVEL"],
        )
