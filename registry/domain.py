"""The vocabulary and pure rules of civil registration: no Flask, no database.

Enumerations shared by models and schemas, the timeliness bands, ICD-10 shape and chapter checks,
and the check character of registration numbers. Everything here is a plain function of its
arguments, so schemas, services and the CLI use the same rules.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime


class EventType(enum.StrEnum):
    BIRTH = "birth"
    DEATH = "death"


class Status(enum.StrEnum):
    NOTIFIED = "notified"
    DECLARED = "declared"
    REGISTERED = "registered"
    REJECTED = "rejected"
    CANCELLED = "cancelled"  # a registered duplicate of another registration; never reused


class Role(enum.StrEnum):
    CLERK = "clerk"
    REGISTRAR = "registrar"
    STATISTICIAN = "statistician"
    ADMIN = "admin"


class Sex(enum.StrEnum):
    MALE = "male"
    FEMALE = "female"
    UNKNOWN = "unknown"


class PlaceType(enum.StrEnum):
    HEALTH_FACILITY = "health_facility"
    HOME = "home"
    OTHER = "other"


class FacilityKind(enum.StrEnum):
    HEALTH_FACILITY = "health_facility"
    OFFICE = "office"


class TypeOfBirth(enum.StrEnum):
    SINGLE = "single"
    TWIN = "twin"
    TRIPLET = "triplet"
    QUADRUPLET_OR_MORE = "quadruplet_or_more"


class Attendant(enum.StrEnum):
    DOCTOR = "doctor"
    NURSE_MIDWIFE = "nurse_midwife"
    TRADITIONAL_BIRTH_ATTENDANT = "traditional_birth_attendant"
    OTHER = "other"
    NONE = "none"


class MaritalStatus(enum.StrEnum):
    SINGLE = "single"
    MARRIED = "married"
    CONSENSUAL_UNION = "consensual_union"
    SEPARATED = "separated"
    DIVORCED = "divorced"
    WIDOWED = "widowed"
    NOT_STATED = "not_stated"


class Education(enum.StrEnum):
    NONE = "none"
    PRIMARY = "primary"
    SECONDARY = "secondary"
    TERTIARY = "tertiary"
    NOT_STATED = "not_stated"


class MannerOfDeath(enum.StrEnum):
    DISEASE = "disease"
    ACCIDENT = "accident"
    INTENTIONAL_SELF_HARM = "intentional_self_harm"
    ASSAULT = "assault"
    LEGAL_INTERVENTION = "legal_intervention"
    WAR = "war"
    PENDING_INVESTIGATION = "pending_investigation"
    COULD_NOT_BE_DETERMINED = "could_not_be_determined"


class CauseEstablishedBy(enum.StrEnum):
    MEDICAL_CERTIFICATE = "medical_certificate"
    VERBAL_AUTOPSY = "verbal_autopsy"
    LAY_REPORT = "lay_report"
    UNKNOWN = "unknown"


#: The key of a declaration that says when it was made on the declarant's device (offline
#: capture): part of the submission, kept on the record, never among a version's facts.
DEVICE_TIME = "declared_at_device"


class Timeliness(enum.StrEnum):
    CURRENT = "current"
    LATE = "late"
    DELAYED = "delayed"


@dataclass(frozen=True)
class LegalPeriods:
    """Days allowed for current and late registration of one event type."""

    current_days: int
    late_days: int

    def band(self, event_date: date, registration_date: date) -> Timeliness:
        """The band of a registration: every day count falls in exactly one."""
        days = (registration_date - event_date).days
        if days <= self.current_days:
            return Timeliness.CURRENT
        if days <= self.late_days:
            return Timeliness.LATE
        return Timeliness.DELAYED


def age_in_years(born: date, on: date) -> int:
    """Completed years of age on a date."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


# ICD-10 ------------------------------------------------------------------------------------------

ICD10_PATTERN = re.compile(r"^[A-Z][0-9]{2}(\.[0-9A-Z]{1,2})?$")

#: Chapters usable for grouping underlying causes (DOMAIN.md); S/T codes never are.
ICD10_CHAPTERS: tuple[tuple[str, str, str], ...] = (
    ("A00", "B99", "Certain infectious and parasitic diseases"),
    ("C00", "D48", "Neoplasms"),
    ("D50", "D89", "Diseases of the blood and immune mechanism"),
    ("E00", "E90", "Endocrine, nutritional and metabolic diseases"),
    ("F00", "F99", "Mental and behavioural disorders"),
    ("G00", "G99", "Diseases of the nervous system"),
    ("H00", "H59", "Diseases of the eye and adnexa"),
    ("H60", "H95", "Diseases of the ear and mastoid process"),
    ("I00", "I99", "Diseases of the circulatory system"),
    ("J00", "J99", "Diseases of the respiratory system"),
    ("K00", "K93", "Diseases of the digestive system"),
    ("L00", "L99", "Diseases of the skin and subcutaneous tissue"),
    ("M00", "M99", "Diseases of the musculoskeletal system"),
    ("N00", "N99", "Diseases of the genitourinary system"),
    ("O00", "O99", "Pregnancy, childbirth and the puerperium"),
    ("P00", "P96", "Certain conditions originating in the perinatal period"),
    ("Q00", "Q99", "Congenital malformations and chromosomal abnormalities"),
    ("R00", "R99", "Symptoms, signs and ill-defined conditions"),
    ("V01", "Y98", "External causes of morbidity and mortality"),
    ("U00", "U99", "Codes for special purposes"),
)


def icd10_is_well_formed(code: str) -> bool:
    """A letter, two digits and an optional dot with one or two characters (``J18.9``)."""
    return bool(ICD10_PATTERN.match(code))


def icd10_chapter(code: str) -> str | None:
    """The chapter range (``"J00-J99"``) of a well-formed code, or None outside every chapter."""
    if not icd10_is_well_formed(code):
        return None
    stem = code[:3]
    for start, end, _title in ICD10_CHAPTERS:
        if start <= stem <= end:
            return f"{start}-{end}"
    return None


# Registration numbers ----------------------------------------------------------------------------

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def check_character(text: str) -> str:
    """Luhn mod 36 check character over the letters and digits of ``text``.

    It catches every single-character error and every transposition of adjacent characters
    (other than the rare pairs Luhn mod N cannot see).
    """
    chars = [c for c in text.upper() if c in _ALPHABET]
    n = len(_ALPHABET)
    factor = 2
    total = 0
    for char in reversed(chars):
        addend = factor * _ALPHABET.index(char)
        addend = addend // n + addend % n
        total += addend
        factor = 1 if factor == 2 else 2
    return _ALPHABET[(n - total % n) % n]


def is_valid_check_character(number: str) -> bool:
    """Whether the last character of ``number`` is the check character of the rest."""
    body, _, check = number.rpartition("-")
    return bool(body) and len(check) == 1 and check_character(body) == check.upper()


def format_registration_number(
    template: str, *, office: str, event_type: EventType, year: int, seq: int
) -> str:
    """The registration number for one counter value, with its check character appended."""
    body = template.format(
        office=office, type="B" if event_type is EventType.BIRTH else "D", year=year, seq=seq
    )
    return f"{body}-{check_character(body)}"


def today() -> date:
    """The registry's calendar day (UTC), used for every 'not in the future' rule."""
    return datetime.now(UTC).date()
