"""Birth and death declarations: In / Out / query schemas.

Cross-field rules that need no database live here (dates in the future, death before birth,
mother's age at the birth, what a notification may leave out); rules that need the database
(area and facility codes exist) live in ``registry.services.records``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from registry import messages
from registry.domain import (
    DEVICE_TIME,
    Attendant,
    CauseEstablishedBy,
    Education,
    EventType,
    MannerOfDeath,
    MaritalStatus,
    PlaceType,
    Sex,
    Status,
    Timeliness,
    TypeOfBirth,
    age_in_years,
    icd10_chapter,
    icd10_is_well_formed,
)
from registry.paths import branch
from registry.schemas.common import (
    IsoDate,
    PageArgs,
    choice,
    load,
    name_field,
    not_in_future,
    plausible_event_date,
)

MOTHER_MIN_AGE = 10
MOTHER_MAX_AGE = 60
MAX_AGE = 130
CODE = validate.Regexp(r"^[A-Za-z0-9_.-]{1,64}$", error=messages.NOT_A_CODE)
PREGNANCY = ["not_pregnant", "pregnant", "within_42_days", "43_days_to_1_year", "unknown"]
#: How far ahead of the registry's clock a device's declaration time may be (device clocks drift).
DEVICE_CLOCK_SKEW = timedelta(minutes=10)


def _missing(errors: dict[str, Any], path: str) -> None:
    node, leaf = branch(errors, path)
    node[leaf] = [messages.REQUIRED]


def _get(data: dict[str, Any], path: str) -> Any:
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _require(data: dict[str, Any], paths: list[str], errors: dict[str, Any], original: Any) -> None:
    """Paths missing from a declaration; a value given but refused by its field (and so absent
    from ``data``) already has its message, and a missing parent is reported by its field."""
    for path in paths:
        parent = path.rsplit(".", 1)[0]
        if "." in path and not isinstance(_get(data, parent), dict):
            continue
        given = _get(original, path) if isinstance(original, dict) else None
        if _get(data, path) in (None, "") and given in (None, ""):
            _missing(errors, path)


def _add(errors: dict[str, Any], path: str, message: str) -> None:
    node, leaf = branch(errors, path)
    node.setdefault(leaf, []).append(message)


def _date(data: dict[str, Any], path: str) -> date | None:
    """A loaded date, or None when absent or refused by its field (checked in the same pass)."""
    value = _get(data, path)
    return value if isinstance(value, date) else None


def device_time_field() -> fields.AwareDateTime:
    """When the declaration was made on the declarant's device (offline capture), ISO 8601;
    without an offset it is taken as UTC."""
    return fields.AwareDateTime(default_timezone=UTC, allow_none=True)


def check_device_time(declared: datetime | None, event_date: date) -> None:
    """A device's declaration time: not ahead of the registry's clock beyond the allowed skew,
    and not before the day of the event (that day read in the device's own time zone)."""
    if declared is None:
        return
    if declared > datetime.now(UTC) + DEVICE_CLOCK_SKEW:
        raise ValidationError(
            {DEVICE_TIME: ["Must not be in the future (check the device's clock)."]}
        )
    if declared.date() < event_date:
        raise ValidationError({DEVICE_TIME: [messages.BEFORE_EVENT]})


class PlaceSchema(Schema):
    type = choice(PlaceType, required=True)
    facility_code = fields.String(validate=CODE, allow_none=True)
    area_code = fields.String(validate=CODE, allow_none=True)
    description = fields.String(validate=validate.Length(max=300), allow_none=True)

    @validates_schema
    def _where(self, data: dict[str, Any], **_: Any) -> None:
        if data["type"] == PlaceType.HEALTH_FACILITY and not data.get("facility_code"):
            raise ValidationError(messages.FACILITY_NEEDS_CODE, "facility_code")
        if data["type"] != PlaceType.HEALTH_FACILITY and not (
            data.get("area_code") or data.get("facility_code")
        ):
            raise ValidationError(messages.GIVE_AREA_CODE, "area_code")


class ChildSchema(Schema):
    given_names = name_field(allow_none=True)
    family_name = name_field(allow_none=True)
    sex = choice(Sex, required=True)
    date_of_birth = IsoDate(required=True, validate=plausible_event_date)
    birth_weight_grams = fields.Integer(validate=validate.Range(200, 7000), allow_none=True)
    gestational_age_weeks = fields.Integer(validate=validate.Range(18, 46), allow_none=True)
    # Never defaulted: a declaration says it (see BirthIn), a notification may leave it out.
    type_of_birth = choice(TypeOfBirth, allow_none=True)
    birth_order = fields.Integer(validate=validate.Range(1, 30), allow_none=True)


class ParentSchema(Schema):
    given_names = name_field(allow_none=True)
    family_name = name_field(allow_none=True)
    date_of_birth = IsoDate(validate=not_in_future, allow_none=True)
    age_years = fields.Integer(validate=validate.Range(0, MAX_AGE), allow_none=True)
    national_id = fields.String(validate=validate.Length(max=64), allow_none=True)
    residence_area_code = fields.String(validate=CODE, allow_none=True)
    marital_status = choice(MaritalStatus, allow_none=True)
    education = choice(Education, allow_none=True)


class MotherSchema(ParentSchema):
    children_born_alive = fields.Integer(validate=validate.Range(1, 30), allow_none=True)


class InformantSchema(Schema):
    relationship = fields.String(required=True, validate=validate.Length(min=1, max=60))
    given_names = name_field(allow_none=True)
    family_name = name_field(allow_none=True)
    contact = fields.String(validate=validate.Length(max=120), allow_none=True)
    national_id = fields.String(validate=validate.Length(max=64), allow_none=True)


class BirthIn(Schema):
    """A birth notification (``notification: true``, minimal facts) or a full declaration."""

    notification = fields.Boolean(load_default=False)
    child = fields.Nested(ChildSchema, required=True)
    place = fields.Nested(PlaceSchema, required=True)
    attendant = choice(Attendant, allow_none=True)
    mother = fields.Nested(MotherSchema, required=True)
    father = fields.Nested(ParentSchema, allow_none=True)
    informant = fields.Nested(InformantSchema, allow_none=True)
    declared_at_device = device_time_field()

    @validates_schema(skip_on_field_errors=True)
    def _device_time(self, data: dict[str, Any], **_: Any) -> None:
        check_device_time(data.get(DEVICE_TIME), data["child"]["date_of_birth"])

    #: what a declaration must say beyond a notification (a legacy import says less)
    DECLARATION_REQUIRES: tuple[str, ...] = (
        "child.given_names",
        "child.family_name",
        "child.type_of_birth",
    )

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _complete(self, data: dict[str, Any], original: Any, **_: Any) -> None:
        """Cross-field checks, run with the field checks so every error comes in one pass."""
        errors: dict[str, Any] = {}
        required = ["mother.given_names", "mother.family_name"]
        if not data.get("notification"):
            required += list(self.DECLARATION_REQUIRES)
        _require(data, required, errors, original)
        born = _date(data, "child.date_of_birth")
        mother = data.get("mother") or {}
        mother_dob = _date(data, "mother.date_of_birth")
        if mother_dob is not None and born is not None:
            age = age_in_years(mother_dob, born)
            if not MOTHER_MIN_AGE <= age <= MOTHER_MAX_AGE:
                _add(
                    errors,
                    "mother.date_of_birth",
                    f"The mother would be {age} at the birth; "
                    f"expected {MOTHER_MIN_AGE} to {MOTHER_MAX_AGE}.",
                )
        mother_age = mother.get("age_years")
        if isinstance(mother_age, int) and not MOTHER_MIN_AGE <= mother_age <= MOTHER_MAX_AGE:
            _add(
                errors,
                "mother.age_years",
                f"Expected {MOTHER_MIN_AGE} to {MOTHER_MAX_AGE} at the birth.",
            )
        father_dob = _date(data, "father.date_of_birth")
        if father_dob is not None and born is not None and father_dob >= born:
            _add(errors, "father.date_of_birth", messages.BEFORE_BIRTH)
        if errors:
            raise ValidationError(errors)


class LegacyBirthIn(BirthIn):
    """A birth row of a legacy paper register: the type of birth was not recorded (it stays
    unknown, never defaulted)."""

    DECLARATION_REQUIRES = ("child.given_names", "child.family_name")


class LegacyRegisteredBirthIn(BirthIn):
    """A registered birth of a legacy register: the child may have been registered before being
    named (no given names yet; they come later by a correction)."""

    DECLARATION_REQUIRES = ("child.family_name",)


class CauseLineSchema(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=300))
    icd10 = fields.String(allow_none=True)
    interval = fields.String(validate=validate.Length(max=60), allow_none=True)

    @validates_schema
    def _code(self, data: dict[str, Any], **_: Any) -> None:
        code = data.get("icd10")
        if code and not icd10_is_well_formed(code):
            raise ValidationError(messages.NOT_ICD10, "icd10")


class CauseSchema(Schema):
    """The WHO international medical certificate of cause of death."""

    part1 = fields.List(
        fields.Nested(CauseLineSchema), validate=validate.Length(max=4), load_default=list
    )
    part2 = fields.List(
        fields.String(validate=validate.Length(min=1, max=300)),
        validate=validate.Length(max=10),
        load_default=list,
    )
    underlying_icd10 = fields.String(allow_none=True)
    manner = choice(MannerOfDeath, allow_none=True)
    established_by = choice(CauseEstablishedBy, load_default=CauseEstablishedBy.UNKNOWN.value)
    pregnancy_status = fields.String(validate=validate.OneOf(PREGNANCY), allow_none=True)

    @validates_schema
    def _underlying(self, data: dict[str, Any], **_: Any) -> None:
        code = data.get("underlying_icd10")
        if not code:
            return
        if not icd10_is_well_formed(code):
            raise ValidationError(messages.NOT_ICD10, "underlying_icd10")
        if icd10_chapter(code) is None:
            raise ValidationError(
                "Not usable as an underlying cause (S/T injury codes, Z codes and codes outside "
                "the ICD-10 chapters are not).",
                "underlying_icd10",
            )


class DeceasedSchema(ParentSchema):
    sex = choice(Sex, required=True)
    occupation = fields.String(validate=validate.Length(max=120), allow_none=True)


class DeathIn(Schema):
    """A death notification (``notification: true``) or a full declaration."""

    notification = fields.Boolean(load_default=False)
    deceased = fields.Nested(DeceasedSchema, required=True)
    date_of_death = IsoDate(required=True, validate=plausible_event_date)
    place = fields.Nested(PlaceSchema, required=True)
    cause = fields.Nested(CauseSchema, allow_none=True)
    mother_residence_area_code = fields.String(validate=CODE, allow_none=True)
    informant = fields.Nested(InformantSchema, allow_none=True)
    declared_at_device = device_time_field()

    @validates_schema(skip_on_field_errors=True)
    def _device_time(self, data: dict[str, Any], **_: Any) -> None:
        check_device_time(data.get(DEVICE_TIME), data["date_of_death"])

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _complete(self, data: dict[str, Any], original: Any, **_: Any) -> None:
        """Cross-field checks, run with the field checks so every error comes in one pass."""
        errors: dict[str, Any] = {}
        if not data.get("notification"):
            names = ["deceased.given_names", "deceased.family_name"]
            _require(data, names, errors, original)
        died = _date(data, "date_of_death")
        deceased = data.get("deceased") or {}
        born = _date(data, "deceased.date_of_birth")
        if born is not None and died is not None:
            if died < born:
                _add(errors, "date_of_death", messages.DEATH_BEFORE_BIRTH)
            elif age_in_years(born, died) > MAX_AGE:
                _add(
                    errors,
                    "deceased.date_of_birth",
                    f"The deceased would be {age_in_years(born, died)} at death; "
                    f"at most {MAX_AGE} is plausible.",
                )
        cause = data.get("cause") or {}
        if cause.get("pregnancy_status") not in (None, "not_pregnant", "unknown"):
            age = age_in_years(born, died) if born and died else deceased.get("age_years")
            if deceased.get("sex") != Sex.FEMALE or (age is not None and not 10 <= age <= 54):
                _add(errors, "cause.pregnancy_status", messages.PREGNANCY_AGE)
        if errors:
            raise ValidationError(errors)


#: One instance of each declaration schema: building a nested schema is not cheap.
DECLARATIONS: dict[EventType, Schema] = {EventType.BIRTH: BirthIn(), EventType.DEATH: DeathIn()}


def schema_for(event_type: EventType) -> Schema:
    """The declaration schema of ``event_type``."""
    return DECLARATIONS[event_type]


def load_declaration(
    event_type: EventType, raw: dict[str, Any], wrap: str | None = None
) -> dict[str, Any]:
    """``raw`` loaded by the declaration schema; refused, a ``ValidationFailed`` with the
    field messages (under ``wrap`` when given: a correction's are under ``changes``)."""
    return load(DECLARATIONS[event_type], raw, wrap)


#: A legacy register's birth schemas, by whether the row is registered.
LEGACY_BIRTHS: dict[bool, Schema] = {False: LegacyBirthIn(), True: LegacyRegisteredBirthIn()}


def load_legacy(event_type: EventType, raw: dict[str, Any], *, registered: bool) -> dict[str, Any]:
    """A row of a legacy paper register loaded (``registered``: it has a registration date):
    a birth by ``LegacyBirthIn`` or ``LegacyRegisteredBirthIn``, a death as a declaration;
    refused, a ``ValidationFailed`` with the field messages."""
    if event_type is EventType.BIRTH:
        return load(LEGACY_BIRTHS[registered], raw)
    return load(DECLARATIONS[event_type], raw)


class _RecordHead(Schema):
    id = fields.String(required=True)
    event_type = fields.String(required=True)
    status = choice(Status, required=True)
    version = fields.Integer(required=True)
    registration_number = fields.String(allow_none=True, required=True)
    date_of_registration = IsoDate(allow_none=True)
    timeliness = choice(Timeliness, allow_none=True, required=True)
    rejection_reason = fields.String(allow_none=True)
    delayed_reason = fields.String(allow_none=True)
    area_code = fields.String()
    office_code = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    duplicate_of_id = fields.String(allow_none=True)
    notification_id = fields.String(allow_none=True)
    birth_record_id = fields.String(allow_none=True)


class AsStored(fields.Nested):
    """A part of a record's facts, given back as its version stored it.

    A version keeps its facts as the declaration schema loaded them, in JSON values
    (``services.records.stored_facts``): dumping them again through the nested schema would
    give the same values at the cost of a call per field on every response. The schema still
    documents the part in the OpenAPI document."""

    # Nested's own signature (marshmallow's Field and Nested name the first parameter apart).
    def _serialize(self, nested_obj: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return nested_obj


class BirthOut(_RecordHead, BirthIn):
    child = AsStored(ChildSchema, required=True)
    place = AsStored(PlaceSchema, required=True)
    mother = AsStored(MotherSchema, required=True)
    father = AsStored(ParentSchema, allow_none=True)
    informant = AsStored(InformantSchema, allow_none=True)


class DeathOut(_RecordHead, DeathIn):
    deceased = AsStored(DeceasedSchema, required=True)
    place = AsStored(PlaceSchema, required=True)
    cause = AsStored(CauseSchema, allow_none=True)
    informant = AsStored(InformantSchema, allow_none=True)


class RecordSummary(Schema):
    id = fields.String(required=True)
    event_type = fields.String(required=True)
    status = choice(Status, required=True)
    version = fields.Integer(required=True)
    registration_number = fields.String(allow_none=True)
    timeliness = choice(Timeliness, allow_none=True)
    event_date = IsoDate()
    given_names = fields.String(allow_none=True)
    family_name = fields.String(allow_none=True)
    sex = fields.String(allow_none=True)
    area_code = fields.String()
    duplicate_pending = fields.Boolean(
        metadata={"description": "A suspected duplicate awaits a registrar's decision."}
    )


class RecordPage(Schema):
    items = fields.List(fields.Nested(RecordSummary), required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)


class RecordQuery(PageArgs):
    family_name = fields.String(validate=validate.Length(min=1, max=200))
    given_names = fields.String(validate=validate.Length(min=1, max=200))
    registration_number = fields.String(validate=validate.Length(min=1, max=64))
    status = choice(Status)
    date_from = fields.Date()
    date_to = fields.Date()
    area = fields.String(validate=CODE)

    @validates_schema
    def _range(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError(messages.AFTER_DATE_TO, "date_from")


class RegisterIn(Schema):
    reason = fields.String(validate=validate.Length(min=1, max=2000), allow_none=True)


class RejectIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class CorrectionIn(Schema):
    changes = fields.Dict(keys=fields.String(), required=True, validate=validate.Length(min=1))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    evidence = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    requested_by = fields.String(validate=validate.Length(min=1, max=200))


class VersionOut(Schema):
    version = fields.Integer(required=True)
    kind = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    created_by = fields.String(required=True)
    reason = fields.String(allow_none=True)
    evidence = fields.String(allow_none=True)
    requested_by = fields.String(allow_none=True)
    approved_by = fields.String(allow_none=True)
    facts = fields.Dict(required=True)


class HistoryOut(Schema):
    id = fields.String(required=True)
    created_at = fields.DateTime()
    declared_at_device = fields.DateTime(allow_none=True)
    versions = fields.List(fields.Nested(VersionOut), required=True)
