"""The declaration forms: field lists, and the glue between flat form fields and nested facts.

A form field is named by its dotted path in the API document (``child.given_names``,
``cause.part1.0.text``). ``to_facts`` turns a posted form into the nested dict that the API's own
marshmallow schema validates; ``flatten_errors`` turns marshmallow's nested error dict back into
messages keyed by the same dotted names, so each message is shown next to its field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from registry.domain import (
    Attendant,
    CauseEstablishedBy,
    Education,
    EventType,
    MannerOfDeath,
    MaritalStatus,
    PlaceType,
    Sex,
    TypeOfBirth,
)
from registry.paths import branch
from registry.schemas.records import PREGNANCY
from registry.web.i18n import lazy_gettext as _l

Label = Any  # a lazy string: translated when rendered

CAUSE_LINES = 4
PART2_FIELD = "cause.part2"
#: Nested objects the schema treats as optional: left out when every field is blank.
OPTIONAL_GROUPS = ("father", "informant", "cause")
#: Nested objects the schema requires: always sent, so their inner fields get the messages.
REQUIRED_GROUPS = {
    EventType.BIRTH: ("child", "place", "mother"),
    EventType.DEATH: ("deceased", "place"),
}


@dataclass(frozen=True)
class Field:
    name: str
    label: Label
    kind: str = "text"  # text, date, number, select, textarea, checkbox, area, facility
    choices: tuple[tuple[str, Label], ...] = ()
    required: bool = False
    hint: Label | None = None
    autocomplete: str = "off"

    @property
    def id(self) -> str:
        return "f-" + self.name.replace(".", "-").replace("_", "-")

    def choice_label(self, value: Any) -> Any:
        for key, label in self.choices:
            if key == value:
                return label
        return value


@dataclass(frozen=True)
class Section:
    key: str
    legend: Label
    fields: tuple[Field, ...]


SEX = (
    (Sex.FEMALE.value, _l("Female")),
    (Sex.MALE.value, _l("Male")),
    (Sex.UNKNOWN.value, _l("Not known")),
)
PLACE_TYPES = (
    (PlaceType.HEALTH_FACILITY.value, _l("Health facility")),
    (PlaceType.HOME.value, _l("Home")),
    (PlaceType.OTHER.value, _l("Other place")),
)
BIRTH_TYPES = (
    (TypeOfBirth.SINGLE.value, _l("Single birth")),
    (TypeOfBirth.TWIN.value, _l("Twin")),
    (TypeOfBirth.TRIPLET.value, _l("Triplet")),
    (TypeOfBirth.QUADRUPLET_OR_MORE.value, _l("Quadruplet or more")),
)
ATTENDANTS = (
    (Attendant.DOCTOR.value, _l("Doctor")),
    (Attendant.NURSE_MIDWIFE.value, _l("Nurse or midwife")),
    (Attendant.TRADITIONAL_BIRTH_ATTENDANT.value, _l("Traditional birth attendant")),
    (Attendant.OTHER.value, _l("Other")),
    (Attendant.NONE.value, _l("None")),
)
MARITAL = (
    (MaritalStatus.SINGLE.value, _l("Single")),
    (MaritalStatus.MARRIED.value, _l("Married")),
    (MaritalStatus.CONSENSUAL_UNION.value, _l("Consensual union")),
    (MaritalStatus.SEPARATED.value, _l("Separated")),
    (MaritalStatus.DIVORCED.value, _l("Divorced")),
    (MaritalStatus.WIDOWED.value, _l("Widowed")),
    (MaritalStatus.NOT_STATED.value, _l("Not stated")),
)
EDUCATION = (
    (Education.NONE.value, _l("No schooling")),
    (Education.PRIMARY.value, _l("Primary")),
    (Education.SECONDARY.value, _l("Secondary")),
    (Education.TERTIARY.value, _l("Tertiary")),
    (Education.NOT_STATED.value, _l("Not stated")),
)
MANNER = (
    (MannerOfDeath.DISEASE.value, _l("Disease")),
    (MannerOfDeath.ACCIDENT.value, _l("Accident")),
    (MannerOfDeath.INTENTIONAL_SELF_HARM.value, _l("Intentional self-harm")),
    (MannerOfDeath.ASSAULT.value, _l("Assault")),
    (MannerOfDeath.LEGAL_INTERVENTION.value, _l("Legal intervention")),
    (MannerOfDeath.WAR.value, _l("War")),
    (MannerOfDeath.PENDING_INVESTIGATION.value, _l("Pending investigation")),
    (MannerOfDeath.COULD_NOT_BE_DETERMINED.value, _l("Could not be determined")),
)
ESTABLISHED_BY = (
    (CauseEstablishedBy.MEDICAL_CERTIFICATE.value, _l("Medical certificate")),
    (CauseEstablishedBy.VERBAL_AUTOPSY.value, _l("Verbal autopsy")),
    (CauseEstablishedBy.LAY_REPORT.value, _l("Lay report")),
    (CauseEstablishedBy.UNKNOWN.value, _l("Unknown")),
)
PREGNANCY_LABELS = {
    "not_pregnant": _l("Not pregnant"),
    "pregnant": _l("Pregnant at death"),
    "within_42_days": _l("Within 42 days of the end of a pregnancy"),
    "43_days_to_1_year": _l("43 days to 1 year after a pregnancy"),
    "unknown": _l("Unknown"),
}
PREGNANCY_CHOICES = tuple((key, PREGNANCY_LABELS[key]) for key in PREGNANCY)

AREA_HINT = _l("Type the area code or the start of its name.")


def _person(prefix: str, *, names_required: bool, residence: bool = True) -> tuple[Field, ...]:
    fields = [
        Field(f"{prefix}.given_names", _l("Given names"), required=names_required),
        Field(f"{prefix}.family_name", _l("Family name"), required=names_required),
        Field(f"{prefix}.date_of_birth", _l("Date of birth"), "date"),
        Field(f"{prefix}.age_years", _l("Age in years (if the date is not known)"), "number"),
        Field(f"{prefix}.national_id", _l("National ID number")),
    ]
    if residence:
        fields.append(
            Field(
                f"{prefix}.residence_area_code",
                _l("Usual residence (area)"),
                "area",
                hint=AREA_HINT,
            )
        )
    return tuple(fields)


def _place() -> Section:
    return Section(
        "place",
        _l("Place of occurrence"),
        (
            Field("place.type", _l("Type of place"), "select", PLACE_TYPES, required=True),
            Field(
                "place.facility_code",
                _l("Health facility"),
                "facility",
                hint=_l("Required for a health facility. Type its code or the start of its name."),
            ),
            Field(
                "place.area_code",
                _l("Area"),
                "area",
                hint=_l(
                    "Required for a home or other place. "
                    "Type the area code or the start of its name."
                ),
            ),
            Field("place.description", _l("Description of the place")),
        ),
    )


def _informant() -> Section:
    return Section(
        "informant",
        _l("Informant (optional)"),
        (
            Field(
                "informant.relationship",
                _l("Relationship to the person"),
                hint=_l("Required if you give an informant."),
            ),
            Field("informant.given_names", _l("Given names")),
            Field("informant.family_name", _l("Family name")),
            Field("informant.contact", _l("Contact (phone or address)")),
            Field("informant.national_id", _l("National ID number")),
        ),
    )


NOTIFICATION = Field(
    "notification",
    _l("This is a notification only (names may follow later)"),
    "checkbox",
)

BIRTH_SECTIONS: tuple[Section, ...] = (
    Section(
        "child",
        _l("Child"),
        (
            Field("child.given_names", _l("Given names"), required=True),
            Field("child.family_name", _l("Family name"), required=True),
            Field("child.sex", _l("Sex"), "select", SEX, required=True),
            Field("child.date_of_birth", _l("Date of birth"), "date", required=True),
            Field("child.type_of_birth", _l("Type of birth"), "select", BIRTH_TYPES),
            Field("child.birth_weight_grams", _l("Birth weight (grams)"), "number"),
            Field("child.gestational_age_weeks", _l("Gestational age (weeks)"), "number"),
            Field("child.birth_order", _l("Birth order"), "number"),
        ),
    ),
    _place(),
    Section(
        "attendance",
        _l("Attendance"),
        (Field("attendant", _l("Attendant at birth"), "select", ATTENDANTS),),
    ),
    Section(
        "mother",
        _l("Mother"),
        (
            *_person("mother", names_required=True),
            Field("mother.marital_status", _l("Marital status"), "select", MARITAL),
            Field("mother.education", _l("Education"), "select", EDUCATION),
            Field(
                "mother.children_born_alive",
                _l("Children born alive to her, this one included"),
                "number",
            ),
        ),
    ),
    Section("father", _l("Father (optional)"), _person("father", names_required=False)),
    _informant(),
)


def _cause_lines() -> tuple[Field, ...]:
    fields: list[Field] = []
    for index, letter in enumerate("abcd"[:CAUSE_LINES]):
        prefix = f"cause.part1.{index}"
        fields += [
            Field(f"{prefix}.text", _l("Line %(letter)s: condition", letter=letter)),
            Field(f"{prefix}.icd10", _l("Line %(letter)s: ICD-10 code", letter=letter)),
            Field(f"{prefix}.interval", _l("Line %(letter)s: onset to death", letter=letter)),
        ]
    return tuple(fields)


DEATH_SECTIONS: tuple[Section, ...] = (
    Section(
        "deceased",
        _l("Deceased"),
        (
            *_person("deceased", names_required=True),
            Field("deceased.sex", _l("Sex"), "select", SEX, required=True),
            Field("deceased.marital_status", _l("Marital status"), "select", MARITAL),
            Field("deceased.education", _l("Education"), "select", EDUCATION),
            Field("deceased.occupation", _l("Occupation")),
        ),
    ),
    Section(
        "event",
        _l("Death"),
        (
            Field("date_of_death", _l("Date of death"), "date", required=True),
            Field(
                "mother_residence_area_code",
                _l("Mother's usual residence (deaths under one year)"),
                "area",
                hint=AREA_HINT,
            ),
        ),
    ),
    _place(),
    Section(
        "cause",
        _l("Cause of death (medical certificate)"),
        (
            *_cause_lines(),
            Field(
                PART2_FIELD,
                _l("Part 2: other significant conditions"),
                "textarea",
                hint=_l("One condition per line."),
            ),
            Field("cause.underlying_icd10", _l("Underlying cause (ICD-10 code)")),
            Field("cause.manner", _l("Manner of death"), "select", MANNER),
            Field("cause.established_by", _l("Cause established by"), "select", ESTABLISHED_BY),
            Field(
                "cause.pregnancy_status",
                _l("Pregnancy (women aged 10 to 54)"),
                "select",
                PREGNANCY_CHOICES,
            ),
        ),
    ),
    _informant(),
)


def sections_for(event_type: EventType) -> tuple[Section, ...]:
    return BIRTH_SECTIONS if event_type is EventType.BIRTH else DEATH_SECTIONS


def all_fields(event_type: EventType) -> Iterable[Field]:
    yield NOTIFICATION
    for section in sections_for(event_type):
        yield from section.fields


# -- form -> facts ---------------------------------------------------------------------------------


def _put(target: dict[str, Any], path: str, value: Any) -> None:
    node, leaf = branch(target, path)
    node[leaf] = value


def to_facts(event_type: EventType, form: Mapping[str, str]) -> dict[str, Any]:
    """The nested declaration a posted form describes; blank fields are left out."""
    facts: dict[str, Any] = {group: {} for group in REQUIRED_GROUPS[event_type]}
    for field in all_fields(event_type):
        raw = form.get(field.name, "")
        if field.kind == "checkbox":
            if raw:
                facts[field.name] = True
            continue
        value = raw.strip() if isinstance(raw, str) else raw
        if not value or field.name.startswith("cause.part1.") or field.name == PART2_FIELD:
            continue
        _put(facts, field.name, value)
    if event_type is EventType.DEATH:
        _cause_lists(facts, form)
    for group in OPTIONAL_GROUPS:
        if group in facts and not facts[group]:
            del facts[group]
    return facts


def _cause_lists(facts: dict[str, Any], form: Mapping[str, str]) -> None:
    lines: list[dict[str, str]] = []
    for index in range(CAUSE_LINES):
        line = {}
        for key in ("text", "icd10", "interval"):
            value = (form.get(f"cause.part1.{index}.{key}") or "").strip()
            if value:
                line[key] = value
        lines.append(line)
    while lines and not lines[-1]:
        lines.pop()  # trailing blank lines are unused lines, not missing ones
    part2 = [c.strip() for c in (form.get(PART2_FIELD) or "").splitlines() if c.strip()]
    if lines:
        facts.setdefault("cause", {})["part1"] = lines
    if part2:
        facts.setdefault("cause", {})["part2"] = part2


# -- facts -> form ---------------------------------------------------------------------------------


def to_form(event_type: EventType, facts: Mapping[str, Any]) -> dict[str, str]:
    """Form values for stored facts (to amend or correct a record)."""
    values: dict[str, str] = {}

    def walk(node: Any, prefix: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{prefix}{key}.")
        elif isinstance(node, list) and prefix == "cause.part1.":
            for index, line in enumerate(node):
                walk(line, f"{prefix}{index}.")
        elif isinstance(node, list):
            values[prefix.rstrip(".")] = "\n".join(str(v) for v in node)
        elif node is True:
            values[prefix.rstrip(".")] = "y"
        elif node is not None and node is not False:
            values[prefix.rstrip(".")] = str(node)

    walk(dict(facts), "")
    known = {f.name for f in all_fields(event_type)}
    return {k: v for k, v in values.items() if k in known}


# -- errors -> fields ------------------------------------------------------------------------------


def flatten_errors(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """``{"child": {"sex": ["..."]}, "cause": {"part1": {0: {...}}}}`` -> dotted names.

    Messages that belong to a whole object (``_schema``) are kept under the object's name, and
    top-level ones under ``""`` (shown above the form).
    """
    flat: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            name = prefix if key == "_schema" else f"{prefix}.{key}" if prefix else str(key)
            for path, messages in flatten_errors(value, name).items():
                flat.setdefault(path, []).extend(messages)
    elif isinstance(errors, list | tuple):
        for item in errors:
            if isinstance(item, dict):
                for path, messages in flatten_errors(item, prefix).items():
                    flat.setdefault(path, []).extend(messages)
            else:
                flat.setdefault(prefix, []).append(_words(item))
    elif errors is not None:
        flat.setdefault(prefix, []).append(_words(errors))
    return flat


def _words(message: Any) -> str:
    """A message as it is when it is one (it may carry its code, ``registry.messages.Text``)."""
    return message if isinstance(message, str) else str(message)


def place_errors(errors: dict[str, list[str]], event_type: EventType) -> dict[str, list[str]]:
    """Messages for names the form has no field for go to the top of the form."""
    known = {f.name for f in all_fields(event_type)}
    placed: dict[str, list[str]] = {}
    for name, messages in errors.items():
        target = name
        while target and target not in known:
            target = target.rpartition(".")[0] if "." in target else ""
        # A whole optional group with a message (``father._schema``) shows above the form.
        placed.setdefault(target, []).extend(messages)
    return placed


def diff(old: Any, new: Any, prefix: str = "") -> list[tuple[str, Any, Any]]:
    """Dotted paths whose value differs between two fact documents, with both values."""
    if isinstance(old, dict) or isinstance(new, dict):
        old_d = old if isinstance(old, dict) else {}
        new_d = new if isinstance(new, dict) else {}
        out: list[tuple[str, Any, Any]] = []
        for key in sorted(set(old_d) | set(new_d)):
            out += diff(old_d.get(key), new_d.get(key), f"{prefix}{key}.")
        return out
    return [] if old == new else [(prefix.rstrip("."), old, new)]
