"""The registry's rules that come from configuration, as one frozen value for services."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from registry.domain import EventType, LegalPeriods


@dataclass(frozen=True)
class RegistrySettings:
    birth_periods: LegalPeriods = field(default_factory=lambda: LegalPeriods(30, 365))
    death_periods: LegalPeriods = field(default_factory=lambda: LegalPeriods(45, 365))
    number_format: str = "{office}-{type}{year}-{seq:06d}"
    token_lifetime_seconds: int = 8 * 3600
    argon2_time_cost: int = 3
    argon2_memory_cost: int = 65536
    login_max_failures: int = 5
    login_window_seconds: int = 300
    login_account_max_failures: int = 20
    login_account_window_seconds: int = 900
    password_min_score: int = 3
    idempotency_ttl_seconds: int = 24 * 3600
    cert_keys_dir: str = "instance/keys"
    cert_languages: tuple[str, str] = ("en", "fr")
    cert_paper: str = "A4"
    cert_authority: str = "Civil Registration Authority"
    cert_country: str = ""
    cert_signer_title: str = ""
    cert_emblem: str = ""  # a PNG file named by configuration, never by a request
    cert_seal: str = ""
    cert_cause_sequence: bool = False
    cert_font_dirs: tuple[str, ...] = ()  # empty: the Debian font directories
    correction_approval: str = "second_registrar"  # or "self"
    delayed_approval_level: str = "region"

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
            cert_font_dirs=tuple(d for d in config.get("CERT_FONT_DIRS", "").split(":") if d),
            correction_approval=config["CORRECTION_APPROVAL"],
            delayed_approval_level=config["DELAYED_APPROVAL_LEVEL"],
        )


def _pair(text: str) -> tuple[str, str]:
    first, second = (part.strip() for part in text.split(","))
    return first, second
