"""The inputs of the renderers: frozen dataclasses of plain values."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date

from .fonts import DEFAULT_FONT_DIRS


class Sex(enum.Enum):
    """Sex as printed; the label comes from the language tables."""

    FEMALE = "female"
    MALE = "male"
    UNKNOWN = "unknown"


class Paper(enum.Enum):
    """Paper sizes, in points."""

    A4 = (595.2756, 841.8898)
    LETTER = (612.0, 792.0)


@dataclass(frozen=True)
class BirthRecord:
    """A registered birth, as printed on its certificate.

    Names and places are printed in whatever script they were recorded in.

    Attributes:
        registration_number: The registration number of the birth.
        registration_date: The date the birth was registered.
        child_name: The child's full name.
        sex: The child's sex.
        date_of_birth: The date of birth.
        place_of_birth: The place of birth.
        mother_name: The mother's full name.
        father_name: The father's full name, if recorded.
    """

    registration_number: str
    registration_date: date
    child_name: str
    sex: Sex
    date_of_birth: date
    place_of_birth: str
    mother_name: str
    father_name: str | None = None


@dataclass(frozen=True)
class DeathRecord:
    """A registered death, as printed on its certificate.

    Attributes:
        registration_number: The registration number of the death.
        registration_date: The date the death was registered.
        deceased_name: The deceased's full name.
        sex: The deceased's sex.
        date_of_death: The date of death.
        place_of_death: The place of death.
        date_of_birth: The deceased's date of birth, if known.
        age_years: The age at death in completed years, if known.
        cause_of_death: The underlying cause of death as certified, if it is to be printed,
            e.g. ``"Chronic ischaemic heart disease (I25.1)"``.
        cause_sequence: The lines of Part 1 of the medical certificate to print below it, in
            order from the immediate cause (a) to the underlying one, e.g.
            ``("a) Acute myocardial infarction (I21.9)", ...)``; empty to print none.
    """

    registration_number: str
    registration_date: date
    deceased_name: str
    sex: Sex
    date_of_death: date
    place_of_death: str
    date_of_birth: date | None = None
    age_years: int | None = None
    cause_of_death: str | None = None
    cause_sequence: tuple[str, ...] = ()


@dataclass(frozen=True)
class Issue:
    """One issuance of a certificate.

    Attributes:
        serial: The certificate serial, normally from :func:`certificates.make_serial`; it is
            printed and signed as given.
        office: The issuing office's name.
        issue_date: The date of issue.
        registrar_name: The name of the registrar who signs.
        copy_number: None for an original; 1, 2, ... for a certified copy, which then carries a
            "CERTIFIED COPY" watermark and its number.
        seal_image: The office seal as PNG or JPEG bytes (at most 4000 x 4000 pixels), or None.
    """

    serial: str
    office: str
    issue_date: date
    registrar_name: str
    copy_number: int | None = None
    seal_image: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True)
class RenderOptions:
    """How certificates look; the same for a whole batch.

    Attributes:
        languages: The two label languages printed side by side, e.g. ``("en", "ar")``; the
            same language twice prints one set of labels.
        paper: A4 (default) or Letter.
        authority: The issuing authority printed as the header.
        country: The country (or state) printed above the authority; empty for none.
        emblem_image: The national emblem as PNG or JPEG bytes (at most 4000 x 4000 pixels),
            printed at the head of the page; None for none.
        signer_title: The signer's title printed under the registrar's name (e.g. "District
            Registrar"); empty to print the "Registrar" label of each language.
        font_dirs: Directories searched for the script fonts (the Debian paths by default).
    """

    languages: tuple[str, str] = ("en", "fr")
    paper: Paper = Paper.A4
    authority: str = "Civil Registration Authority"
    country: str = ""
    emblem_image: bytes | None = field(default=None, repr=False)
    signer_title: str = ""
    font_dirs: tuple[str, ...] = DEFAULT_FONT_DIRS
