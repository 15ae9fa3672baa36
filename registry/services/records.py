"""The life of a birth or death record: declare, complete, register, reject, correct, read.

Every set of facts is a new ``RecordVersion``; the ``Record`` head only moves its state and
version pointer. Registration takes the next number from a counter row locked in the same
transaction, so numbers are gap-free per office, event type and year.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, NamedTuple, Protocol, TypeVar

from sqlalchemy import (
    CompoundSelect,
    and_,
    bindparam,
    func,
    insert,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session, aliased, load_only, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from registry import messages
from registry.db import Base, new_uuid, utcnow
from registry.domain import (
    DEVICE_TIME,
    EventType,
    FacilityKind,
    PlaceType,
    Role,
    Status,
    Timeliness,
    age_in_years,
    format_registration_number,
    today,
)
from registry.errors import Conflict, NotFound, PermissionDenied, ValidationFailed, field_error
from registry.models import (
    Area,
    DedupeKey,
    Facility,
    Record,
    RecordVersion,
    RegistrationCounter,
    User,
)
from registry.services import audit, delayed, duplicates, numbers
from registry.services.areas import area_by_code, office_id_for, record_area_code, remember_code
from registry.services.dialect import insert_ignore
from registry.services.scoping import Actor, ensure_covers, require_role, scoped
from registry.services.settings import RegistrySettings
from registry.services.versions import CURRENT as CURRENT  # where tests have found it
from registry.services.versions import IS_CURRENT, remember
from registry.services.versions import current_version as current_version

DECLARERS = (Role.CLERK, Role.REGISTRAR)
CHANGED_MEANWHILE = messages.CHANGED_MEANWHILE
REGISTRARS = (Role.REGISTRAR,)


#: Parts of a declaration body that describe the submission, not the event: never kept in a
#: version's facts (the device's time of declaration is a column of the record).
NOT_FACTS = ("notification", DEVICE_TIME)
NO_CHANGES = messages.NO_CHANGES


def stored_facts(facts: dict[str, Any]) -> dict[str, Any]:
    """Loaded facts as a version keeps them: JSON values (a date as its ISO text), without the
    parts that describe the submission (``NOT_FACTS``). Plain Python: the body was loaded at
    the edge, and what a load gives back is already in the stored shape but for its dates."""
    return {key: _plain(value) for key, value in facts.items() if key not in NOT_FACTS}


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


class AreaRef(NamedTuple):
    """An area as a declaration's codes name it."""

    id: int
    code: str
    path: str


class FacilityRef(NamedTuple):
    id: int
    code: str
    kind: str


@dataclass(frozen=True)
class Resolved:
    """Codes in a declaration turned into ids."""

    occurrence_area: AreaRef
    facility: FacilityRef | None
    residence_area: AreaRef | None


_PLACE_AREA = aliased(Area)
#: Every code a declaration names, in one statement: its facilities, each with its area, and its
#: areas (``kind`` is NULL on an area's row).
PLACES: CompoundSelect[Any] = union_all(
    select(
        Facility.id,
        Facility.code,
        Facility.kind,
        _PLACE_AREA.id.label("area_id"),
        _PLACE_AREA.code.label("area_code"),
        _PLACE_AREA.path.label("area_path"),
    )
    .join(_PLACE_AREA, _PLACE_AREA.id == Facility.area_id)
    .where(Facility.code.in_(bindparam("facilities", expanding=True))),
    select(null(), null(), null(), Area.id, Area.code, Area.path).where(
        Area.code.in_(bindparam("areas", expanding=True))
    ),
)


def _resolve(session: Session, event_type: EventType, facts: dict[str, Any]) -> Resolved:
    place = facts["place"]
    person = "mother" if event_type is EventType.BIRTH else "deceased"
    facility_code = place.get("facility_code")
    residence_code = (facts.get(person) or {}).get("residence_area_code")
    mother_residence = facts.get("mother_residence_area_code")
    codes = {code for code in (place.get("area_code"), residence_code, mother_residence) if code}
    rows = session.connection().execute(
        PLACES, {"facilities": [facility_code] if facility_code else [], "areas": sorted(codes)}
    )
    facilities: dict[str, tuple[FacilityRef, AreaRef]] = {}
    areas: dict[str, AreaRef] = {}
    for row in rows:
        area = AreaRef(row.area_id, row.area_code, row.area_path)
        remember_code(session, area.id, area.code)
        if row.kind is None:
            areas[area.code] = area
        else:
            facilities[row.code] = (FacilityRef(row.id, row.code, row.kind), area)
    errors: dict[str, Any] = {}
    facility = None
    occurrence = None
    if facility_code:
        found = facilities.get(facility_code)
        if found is None:
            errors.setdefault("place", {})["facility_code"] = [messages.UNKNOWN_FACILITY]
        elif (
            place["type"] == PlaceType.HEALTH_FACILITY
            and found[0].kind != FacilityKind.HEALTH_FACILITY
        ):
            errors.setdefault("place", {})["facility_code"] = [messages.NOT_A_FACILITY]
        else:
            facility, occurrence = found
    if place.get("area_code"):
        place_area = areas.get(place["area_code"])
        if place_area is None:
            errors.setdefault("place", {})["area_code"] = [messages.UNKNOWN_AREA]
        elif occurrence is None:
            occurrence = place_area
    residence = None
    if residence_code:
        residence = areas.get(residence_code)
        if residence is None:
            errors.setdefault(person, {})["residence_area_code"] = [messages.UNKNOWN_AREA]
    if mother_residence and mother_residence not in areas:
        errors["mother_residence_area_code"] = [messages.UNKNOWN_AREA]
    if errors:
        raise ValidationFailed(errors=errors)
    assert occurrence is not None  # the schema requires a facility or an area
    return Resolved(occurrence, facility, residence)


def _typed(event_type: EventType, facts: dict[str, Any], where: Resolved) -> dict[str, Any]:
    """The typed version columns, from loaded facts (dates are date objects)."""
    place = facts["place"]
    common = {
        "place_type": place["type"],
        "occurrence_area_id": where.occurrence_area.id,
        "facility_id": where.facility.id if where.facility else None,
        "residence_area_id": where.residence_area.id if where.residence_area else None,
    }
    if event_type is EventType.BIRTH:
        child, mother = facts["child"], facts["mother"]
        born: date = child["date_of_birth"]
        mother_age = mother.get("age_years")
        if mother.get("date_of_birth"):
            mother_age = age_in_years(mother["date_of_birth"], born)
        return common | {
            "event_date": born,
            "sex": child["sex"],
            "given_names": child.get("given_names"),
            "family_name": child.get("family_name"),
            "date_of_birth": born,
            "age_years": 0,
            "age_days": 0,
            "mother_given_names": mother.get("given_names"),
            "mother_family_name": mother.get("family_name"),
            "mother_date_of_birth": mother.get("date_of_birth"),
            "mother_age_years": mother_age,
            "birth_weight_grams": child.get("birth_weight_grams"),
            "type_of_birth": child.get("type_of_birth"),
            "attendant": facts.get("attendant"),
        }
    deceased = facts["deceased"]
    died: date = facts["date_of_death"]
    born_on = deceased.get("date_of_birth")
    cause = facts.get("cause") or {}
    return common | {
        "event_date": died,
        "sex": deceased["sex"],
        "given_names": deceased.get("given_names"),
        "family_name": deceased.get("family_name"),
        "date_of_birth": born_on,
        "age_years": age_in_years(born_on, died) if born_on else deceased.get("age_years"),
        "age_days": (died - born_on).days if born_on else None,
        "underlying_icd10": cause.get("underlying_icd10"),
        "manner": cause.get("manner"),
        "cause_established_by": cause.get("established_by"),
    }


M = TypeVar("M", Record, RecordVersion)
#: Built once: the statements run on every declaration.
_INSERT = {name: insert(Base.metadata.tables[name]) for name in ("records", "record_versions")}
_INSERT_RETURNING_ID = {
    name: statement.returning(Base.metadata.tables[name].c.id)
    for name, statement in _INSERT.items()
}


def _insert_loaded(session: Session, model: type[M], values: dict[str, Any]) -> M:
    """Insert one row with a Core statement; give back its object, persistent in the session.

    For these wide rows the unit of work's flush costs three times the statement itself. Every
    column is given (so nothing is left to expire and reload), a key the database makes comes
    back by RETURNING, and the object joins the session as if a query had loaded it.
    """
    table = Base.metadata.tables[model.__tablename__]
    row = {c.key: values.get(c.key) for c in table.columns if c.key != "id" or "id" in values}
    conn = session.connection()
    if "id" in row:
        conn.execute(_INSERT[table.name], row)
    else:
        row["id"] = conn.execute(_INSERT_RETURNING_ID[table.name], row).scalar_one()
    # As a query loads a row: the values go straight into the new object's state (no
    # attribute events: nothing is pending), and the object becomes the row's.
    loaded: M = model.__mapper__.class_manager.new_instance()
    loaded.__dict__.update(row)
    make_transient_to_detached(loaded)
    session.add(loaded)
    return loaded


_RECORDS = Base.metadata.tables["records"]
RECORD_UPDATE = update(_RECORDS).where(_RECORDS.c.id == bindparam("b_record_id"))


def _update_loaded(session: Session, record: Record, **values: Any) -> None:
    """Update the record's row with one Core statement and its object as if loaded so (see
    ``_insert_loaded``). The record has no pending changes of its own here."""
    session.connection().execute(RECORD_UPDATE, {"b_record_id": record.id, **values})
    for key, value in values.items():
        set_committed_value(record, key, value)


def _new_version(
    session: Session,
    record: Record,
    event_type: EventType,
    facts: dict[str, Any],
    where: Resolved,
    *,
    actor: Actor,
    kind: str,
    typed: dict[str, Any] | None = None,
    **extra: Any,
) -> RecordVersion:
    """A new version of ``record``; ``typed`` are its typed columns when the caller has them."""
    typed = typed or _typed(event_type, facts, where)
    # The head keeps the current version's event date and sex for statistics (a new record
    # has them already: set again, they would cost a flush that writes nothing).
    if record.event_date != typed["event_date"]:
        record.event_date = typed["event_date"]
    if record.sex != typed["sex"]:
        record.sex = typed["sex"]
    session.flush()  # the head's pending changes first
    version = _insert_loaded(
        session,
        RecordVersion,
        {
            "record_id": record.id,
            "version": record.version,
            "kind": kind,
            "created_at": utcnow(),
            "created_by_id": actor.user_id,
            "facts": stored_facts(facts),
            **typed,
            **extra,
        },
    )
    remember(session, version)
    audit.version_added(session, version)  # its content hash goes into the audit chain
    return version


def declare(
    session: Session,
    actor: Actor,
    event_type: EventType,
    facts: dict[str, Any],
    *,
    not_completing: frozenset[str] = frozenset(),
) -> Record:
    """A new notification or declaration from already validated facts (``not_completing``:
    notifications the declarant said are another event; see ``duplicates.on_declared``)."""
    require_role(actor, DECLARERS)
    where = _resolve(session, event_type, facts)
    ensure_covers(actor, where.occurrence_area.path)
    notification = bool(facts.get("notification"))
    now = utcnow()
    typed = _typed(event_type, facts, where)
    record = _insert_loaded(
        session,
        Record,
        {
            "id": new_uuid(),
            "event_type": event_type.value,
            "status": (Status.NOTIFIED if notification else Status.DECLARED).value,
            "version": 1,
            "area_id": where.occurrence_area.id,
            "area_path": where.occurrence_area.path,
            "event_date": typed["event_date"],
            "sex": typed["sex"],
            "created_by_id": actor.user_id,
            "created_at": now,
            "updated_at": now,
            "declared_at_device": _utc(facts.get(DEVICE_TIME)),
        },
    )
    version = _new_version(
        session,
        record,
        event_type,
        facts,
        where,
        actor=actor,
        kind="notification" if notification else "declaration",
        typed=typed,
    )
    audit.record(session, actor, "notify" if notification else "declare", record_id=record.id)
    duplicates.on_declared(session, actor, record, version, not_completing=not_completing)
    return record


def _get(session: Session, actor: Actor, event_type: EventType, record_id: str) -> Record:
    record = session.get(Record, record_id)
    if record is None or record.event_type != event_type:
        raise NotFound(f"No {event_type.value} record {record_id}.")
    ensure_covers(actor, record.area_path)
    return record


RECORD_FOR_UPDATE = (
    select(Record, RecordVersion, Area)
    .join(RecordVersion, IS_CURRENT)
    .join(Area, Area.id == Record.area_id)
    .where(Record.id == bindparam("record_id"))
    .with_for_update(of=Record)
    .execution_options(populate_existing=True)
)


_OFFICE = aliased(Facility)
# The lock of a registration also reads, in the same statement, what registering checks: the
# record's undecided suspected duplicates and the office that will number it. Of the version,
# the area and the office it reads what registering and the record's document use (the rest
# would load on first use): a third of the columns of the full lock.
REGISTER_FOR_UPDATE = (
    RECORD_FOR_UPDATE.add_columns(_OFFICE, duplicates.open_count(Record.id, Record))
    .outerjoin(_OFFICE, _OFFICE.id == office_id_for(Record.area_path, Record))
    .options(
        load_only(
            RecordVersion.record_id,
            RecordVersion.version,
            RecordVersion.facts,
            RecordVersion.event_date,
        ),
        load_only(Area.code),
        load_only(_OFFICE.code),
    )
)


def _locked(
    session: Session, actor: Actor, event_type: EventType, record_id: str, stmt: Any
) -> tuple[Any, ...]:
    """The row of ``stmt`` (``RECORD_FOR_UPDATE`` or one that adds columns to it): the record,
    locked until the transaction ends (state changes queue per record), its current version,
    its area and any added columns.
    """
    found = session.execute(stmt, {"record_id": record_id}).first()
    if found is None and session.get(Record, record_id) is not None:
        # PostgreSQL re-checks a row it waited for against the joined version row it read
        # before the wait: a record changed meanwhile drops out of the result.
        raise Conflict(CHANGED_MEANWHILE)
    if found is None or found[0].event_type != event_type:
        raise NotFound(f"No {event_type.value} record {record_id}.")
    record, version, area = found[:3]
    ensure_covers(actor, record.area_path)
    remember(session, version)
    set_committed_value(record, "area", area)  # held: the session keeps loaded objects weakly
    return tuple(found)


def _get_for_update(
    session: Session, actor: Actor, event_type: EventType, record_id: str
) -> Record:
    """The record, locked until the transaction ends (state changes queue per record).

    Its area and current version come in the same statement: they are what every change reads.
    """
    record: Record = _locked(session, actor, event_type, record_id, RECORD_FOR_UPDATE)[0]
    return record


def read(session: Session, actor: Actor, event_type: EventType, record_id: str) -> dict[str, Any]:
    """The latest version as a document; the full read is audited."""
    if actor.role not in DECLARERS:
        raise PermissionDenied(messages.READERS_ONLY)
    record = _get(session, actor, event_type, record_id)
    audit.record(session, actor, "read", record_id=record.id)
    return document(session, record, actor)


def _utc(moment: datetime | None) -> datetime | None:
    """A stored time in UTC (SQLite gives it back without its zone, PostgreSQL in the
    session's)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _linked(session: Session, actor: Actor | None, record_id: str | None) -> str | None:
    """A linked record's id, or None when it lies outside the actor's area (never shown)."""
    if record_id is None or actor is None:
        return record_id
    linked = session.get(Record, record_id)
    return record_id if linked is not None and actor.covers(linked.area_path) else None


def document(session: Session, record: Record, actor: Actor | None = None) -> dict[str, Any]:
    """The record head and its current facts; links to records outside ``actor``'s area are
    left out (``None`` shows them all)."""
    version = current_version(session, record)
    return {
        "id": record.id,
        "event_type": record.event_type,
        "status": record.status,
        "version": record.version,
        "registration_number": record.registration_number,
        "date_of_registration": record.registration_date,
        "timeliness": record.timeliness,
        "rejection_reason": record.rejection_reason,
        "delayed_reason": record.delayed_reason,
        "area_code": record_area_code(session, record),
        "office_code": record.office.code if record.office else None,
        "created_at": _utc(record.created_at),
        "updated_at": record.updated_at,
        DEVICE_TIME: _utc(record.declared_at_device),
        "notification": record.status == Status.NOTIFIED,
        "duplicate_of_id": _linked(session, actor, record.duplicate_of_id),
        "notification_id": _linked(session, actor, record.notification_id),
        "birth_record_id": _linked(session, actor, record.birth_record_id),
        **version.facts,
    }


def history(
    session: Session, actor: Actor, event_type: EventType, record_id: str
) -> dict[str, Any]:
    if actor.role not in DECLARERS:
        raise PermissionDenied(messages.READERS_ONLY)
    record = _get(session, actor, event_type, record_id)
    audit.record(session, actor, "read_history", record_id=record.id)
    names = {u.id: u.username for u in session.scalars(select(User))}
    return {
        "id": record.id,
        "created_at": _utc(record.created_at),
        DEVICE_TIME: _utc(record.declared_at_device),
        "versions": [
            {
                "version": v.version,
                "kind": v.kind,
                "created_at": v.created_at,
                "created_by": names.get(v.created_by_id, "?"),
                "reason": v.reason,
                "evidence": v.evidence,
                "requested_by": v.requested_by,
                "approved_by": names.get(v.approved_by_id) if v.approved_by_id else None,
                "facts": v.facts,
            }
            for v in record.versions
        ],
    }


#: A search's columns, named as a summary's keys (``schemas.records.RecordSummary``).
SUMMARY = (
    Record.id,
    Record.event_type,
    Record.status,
    Record.version,
    Record.registration_number,
    Record.timeliness,
    RecordVersion.event_date,
    RecordVersion.given_names,
    RecordVersion.family_name,
    RecordVersion.sex,
    Area.code.label("area_code"),
    duplicates.open_count(Record.id, Record).label("duplicate_pending"),
)


def search(
    session: Session,
    actor: Actor,
    event_type: EventType,
    query: dict[str, Any],
    number_format: str = RegistrySettings.number_format,
) -> dict[str, Any]:
    """A page of record summaries inside the actor's area, newest event first (a registration
    number as ``numbers.condition`` reads it, in ``number_format``)."""
    if actor.role not in DECLARERS:
        raise PermissionDenied(messages.SEARCHERS_ONLY)
    stmt = scoped(select(*SUMMARY), actor)
    stmt = (
        stmt.join(RecordVersion, IS_CURRENT)
        .join(Area, Area.id == Record.area_id)
        .where(Record.event_type == event_type)
    )
    if query.get("area"):
        area = area_by_code(session, query["area"])
        if area is None:
            raise field_error("area", messages.UNKNOWN_AREA)
        if not (actor.covers(area.path) or (area.path and actor.area_path.startswith(area.path))):
            raise PermissionDenied(messages.AREA_OUTSIDE_YOURS)
        stmt = stmt.where(Record.area_path.startswith(area.path, autoescape=True))
    stmt = _by_name(stmt, event_type, query)
    if query.get("registration_number"):
        typed = query["registration_number"]
        stmt = stmt.where(numbers.condition(session, number_format, event_type, typed))
    if query.get("status"):
        stmt = stmt.where(Record.status == query["status"])
    if query.get("date_from"):
        stmt = stmt.where(RecordVersion.event_date >= query["date_from"])
    if query.get("date_to"):
        stmt = stmt.where(RecordVersion.event_date <= query["date_to"])
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    page, per_page = query.get("page", 1), query.get("per_page", 20)
    rows = session.execute(
        stmt.order_by(RecordVersion.event_date.desc(), Record.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    # A registrar's decision on a suspected duplicate holds a record: ``duplicate_pending``.
    items = [row._asdict() | {"duplicate_pending": bool(row.duplicate_pending)} for row in rows]
    return {"items": items, "page": page, "per_page": per_page, "total": total}


def _by_name(stmt: Any, event_type: EventType, query: dict[str, Any]) -> Any:
    """Names match as written (case-insensitive) or fuzzily, through the dedupe normaliser's
    blocking keys: "Muhammad" finds "Mohamed", and a name in Arabic script its Latin spelling."""
    given, family = query.get("given_names"), query.get("family_name")
    if not (given or family):
        return stmt
    written = [
        func.lower(getattr(RecordVersion, name)).contains(query[name].lower(), autoescape=True)
        for name in ("given_names", "family_name")
        if query.get(name)
    ]
    first = query["date_from"].year if query.get("date_from") else today().year - 120
    last = query["date_to"].year if query.get("date_to") else today().year
    keys = duplicates.name_search_keys(event_type, given, family, range(first, last + 1))
    if not keys:
        return stmt.where(and_(*written))
    alike = select(DedupeKey.record_id).where(DedupeKey.key.in_(keys))
    return stmt.where(or_(and_(*written), Record.id.in_(alike)))


def update_declaration(
    session: Session, actor: Actor, event_type: EventType, record_id: str, facts: dict[str, Any]
) -> Record:
    """Complete a notification, amend a declaration or resubmit a rejected one."""
    require_role(actor, DECLARERS)
    record = _get_for_update(session, actor, event_type, record_id)
    if record.status == Status.REGISTERED:
        raise Conflict(messages.REGISTERED_CHANGES_BY_CORRECTION)
    duplicates.ensure_unbound(record)
    if record.status == Status.CANCELLED:
        raise Conflict(messages.CANCELLED_NEVER_CHANGES)
    where = _resolve(session, event_type, facts)
    ensure_covers(actor, where.occurrence_area.path)
    notification = bool(facts.get("notification"))
    if notification and record.status != Status.NOTIFIED:
        raise Conflict(messages.NOT_BACK_TO_NOTIFICATION)
    previous = record.status
    kind = {
        Status.NOTIFIED: "completion",
        Status.DECLARED: "amendment",
        Status.REJECTED: "resubmission",
    }[Status(previous)]
    record.version += 1
    record.status = Status.NOTIFIED if notification else Status.DECLARED
    record.rejection_reason = None
    record.area_id = where.occurrence_area.id
    record.area_path = where.occurrence_area.path
    record.updated_at = utcnow()
    version = _new_version(session, record, event_type, facts, where, actor=actor, kind=kind)
    session.flush()
    audit.record(session, actor, kind, record_id=record.id)
    duplicates.on_declared(session, actor, record, version)
    return record


COUNTER_BUMP = (
    update(RegistrationCounter)
    .where(
        RegistrationCounter.office_id == bindparam("b_office"),
        RegistrationCounter.event_type == bindparam("b_event_type"),
        RegistrationCounter.year == bindparam("b_year"),
    )
    .values(last_value=RegistrationCounter.last_value + bindparam("b_count"))
    .returning(RegistrationCounter.last_value)
)


def next_number(session: Session, office: Facility, event_type: EventType, year: int) -> int:
    """The next counter value, taken under a row lock held until the transaction ends."""
    return next_numbers(session, office.id, event_type, year, 1)[0]


def next_numbers(
    session: Session, office_id: int, event_type: EventType, year: int, count: int
) -> range:
    """The next ``count`` counter values as one block (a batch import numbers its rows at once),
    taken under a row lock held until the transaction ends."""
    key = {"office_id": office_id, "event_type": event_type.value, "year": year}
    # One statement takes the row lock and the numbers; the first number of a year makes the row.
    conn = session.connection()
    params = {
        "b_office": office_id,
        "b_event_type": event_type.value,
        "b_year": year,
        "b_count": count,
    }
    value = conn.execute(COUNTER_BUMP, params).scalar_one_or_none()
    if value is None:
        conn.execute(insert_ignore(session, RegistrationCounter, key | {"last_value": 0}))
        value = conn.execute(COUNTER_BUMP, params).scalar_one()
    return range(int(value) - count + 1, int(value) + 1)


def registration_band(
    settings: RegistrySettings,
    event_type: EventType,
    event_date: date,
    on: date,
    reason: str | None,
) -> Timeliness:
    """The timeliness of registering an event of ``event_date`` on ``on``, checked: never before
    the event, and a delayed registration gives its reason (``register`` and the batch import)."""
    if on < event_date:
        raise field_error("registration_date", messages.BEFORE_EVENT)
    band = settings.periods(event_type).band(event_date, on)
    if band is Timeliness.DELAYED and not (reason and reason.strip()):
        raise field_error("reason", messages.DELAYED_NEEDS_REASON)
    return band


def register(
    session: Session,
    settings: RegistrySettings,
    actor: Actor,
    event_type: EventType,
    record_id: str,
    *,
    reason: str | None = None,
    registration_date: date | None = None,
) -> Record:
    require_role(actor, REGISTRARS)
    locked = _locked(session, actor, event_type, record_id, REGISTER_FOR_UPDATE)
    record: Record = locked[0]
    version: RecordVersion = locked[1]
    office: Facility | None = locked[3]
    open_duplicates: int = locked[4]
    duplicates.ensure_unbound(record)
    if record.status != Status.DECLARED:
        raise Conflict(messages.NOT_DECLARED.format(status=record.status))
    duplicates.before_register(open_duplicates)
    on = registration_date or today()
    band = registration_band(settings, event_type, version.event_date, on, reason)
    if band is Timeliness.DELAYED and registration_date is None:
        # Registered now: a registrar of a higher level approved it. A registration of a past
        # date (a legacy register's) is recorded as the paper register made it.
        delayed.ensure_approved(session, settings, record)
    if office is None:
        raise Conflict(messages.NO_OFFICE)
    seq = next_number(session, office, event_type, on.year)
    number = format_registration_number(
        settings.number_format, office=office.code, event_type=event_type, year=on.year, seq=seq
    )
    _update_loaded(
        session,
        record,
        registration_number=number,
        status=Status.REGISTERED.value,
        office_id=office.id,
        registration_date=on,
        timeliness=band.value,
        delayed_reason=reason if band is Timeliness.DELAYED else None,
        registered_by_id=actor.user_id,
        updated_at=utcnow(),
    )
    set_committed_value(record, "office", office)
    audit.record(
        session,
        actor,
        "register",
        record_id=record.id,
        reason=record.delayed_reason,
        details={"registration_number": record.registration_number, "timeliness": band.value},
    )
    return record


def reject(
    session: Session, actor: Actor, event_type: EventType, record_id: str, reason: str
) -> Record:
    require_role(actor, REGISTRARS)
    record = _get_for_update(session, actor, event_type, record_id)
    if record.status not in (Status.NOTIFIED, Status.DECLARED):
        raise Conflict(messages.NOT_REJECTABLE.format(status=record.status))
    record.status = Status.REJECTED
    record.rejection_reason = reason
    record.updated_at = utcnow()
    session.flush()
    audit.record(session, actor, "reject", record_id=record.id, reason=reason)
    return record


def _merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def changed_paths(old: Any, new: Any, prefix: str = "") -> list[str]:
    """The dotted paths (``mother.family_name``) whose values differ between two sets of
    stored facts, sorted."""
    if isinstance(old, dict) and isinstance(new, dict):
        paths: list[str] = []
        for key in sorted(set(old) | set(new)):
            paths += changed_paths(old.get(key), new.get(key), f"{prefix}{key}.")
        return paths
    return [] if old == new else [prefix.rstrip(".")]


def ensure_changed(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """``changed_paths`` of a correction's stored facts, before and after; a correction that
    changes nothing is refused (the one "no changes" check, for every path that corrects)."""
    changed = changed_paths(old, new)
    if not changed:
        raise field_error("changes", NO_CHANGES)
    return changed


class FactsLoader(Protocol):
    """How the edge checks a declaration's facts (``schemas.records.load_declaration``): the
    facts loaded, or ``ValidationFailed`` with the field messages (all of them under ``wrap``
    when given). A correction makes its facts itself, merging the changes into the stored
    ones, so the caller passes the check in."""

    def __call__(
        self, event_type: EventType, raw: dict[str, Any], wrap: str | None = None
    ) -> dict[str, Any]: ...


def _corrected(
    session: Session,
    actor: Actor,
    event_type: EventType,
    record: Record,
    changes: dict[str, Any],
    load: FactsLoader,
) -> tuple[dict[str, Any], Resolved, dict[str, Any], list[str]]:
    """The facts of ``record`` with ``changes`` applied, checked (by ``load``, then against the
    register): the facts, their places, their typed columns and the paths that change."""
    if record.status != Status.REGISTERED:
        raise Conflict(messages.NOT_REGISTERED_FOR_CORRECTION)
    if "notification" in changes:
        raise field_error("changes.notification", "A registered record is not a notification.")
    if DEVICE_TIME in changes:
        raise field_error(f"changes.{DEVICE_TIME}", "The time of declaration is not corrected.")
    old = current_version(session, record).facts
    facts = load(event_type, _merge(old, changes), wrap="changes")
    where = _resolve(session, event_type, facts)
    ensure_covers(actor, where.occurrence_area.path)
    changed = ensure_changed(old, stored_facts(facts))
    typed = _typed(event_type, facts, where)
    assert record.registration_date is not None
    if typed["event_date"] > record.registration_date:
        raise field_error("changes", messages.EVENT_AFTER_REGISTRATION)
    return facts, where, typed, changed


def check_correction(
    session: Session,
    actor: Actor,
    event_type: EventType,
    record_id: str,
    changes: dict[str, Any],
    *,
    load: FactsLoader,
) -> Record:
    """The record a correction is requested of, with the changes checked (``load``: see
    ``FactsLoader``); nothing is written."""
    require_role(actor, REGISTRARS)
    record = _get(session, actor, event_type, record_id)
    _corrected(session, actor, event_type, record, changes, load)
    return record


def correct(
    session: Session,
    settings: RegistrySettings,
    actor: Actor,
    event_type: EventType,
    record_id: str,
    *,
    changes: dict[str, Any],
    reason: str,
    evidence: str,
    requested_by: str | None = None,
    expected_version: int | None = None,
    load: FactsLoader,
) -> Record:
    """A new version of a registered record; the registrar approving it is the actor.

    With ``expected_version``, a record changed since that version is a conflict (the changes
    were read against facts that are no longer current). ``load`` checks the corrected facts
    (see ``FactsLoader``).
    """
    require_role(actor, REGISTRARS)
    record = _get_for_update(session, actor, event_type, record_id)
    if expected_version is not None and record.version != expected_version:
        raise Conflict(CHANGED_MEANWHILE)
    facts, where, typed, changed = _corrected(session, actor, event_type, record, changes, load)
    record.version += 1
    record.area_id = where.occurrence_area.id
    record.area_path = where.occurrence_area.path
    record.updated_at = utcnow()
    # The registration date stays; a corrected event date may move the record to another band.
    assert record.registration_date is not None
    band = settings.periods(event_type).band(typed["event_date"], record.registration_date)
    if band is Timeliness.DELAYED and record.timeliness != Timeliness.DELAYED:
        record.delayed_reason = reason
    record.timeliness = band
    _new_version(
        session,
        record,
        event_type,
        facts,
        where,
        actor=actor,
        kind="correction",
        typed=typed,
        reason=reason,
        evidence=evidence,
        requested_by=requested_by or actor.username,
        approved_by_id=actor.user_id,
    )
    session.flush()
    audit.record(
        session, actor, "correct", record_id=record.id, reason=reason, details={"fields": changed}
    )
    return record


#: The typed columns a cancellation version copies from the current version.
_COPIED = [
    c.key
    for c in RecordVersion.__table__.columns
    if c.key
    not in {
        "id",
        "record_id",
        "version",
        "kind",
        "created_at",
        "created_by_id",
        "reason",
        "evidence",
        "requested_by",
        "approved_by_id",
    }
]


def cancel_registration(
    session: Session,
    actor: Actor,
    record_id: str,
    kept: Record,
    *,
    reason: str,
    evidence: str,
    requested_by: str | None = None,
) -> Record:
    """Cancel a registered record as a duplicate of ``kept`` (registered too).

    Like a correction it adds a version (the same facts, kind ``cancellation``, with reason,
    evidence, who asked and who approved), never edits one. The record keeps its registration
    number, so the number is never given again, and stays readable with its history. The
    caller revokes its certificates.
    """
    require_role(actor, REGISTRARS)
    record = session.get(Record, record_id)
    if record is None:
        raise NotFound(f"No record {record_id}.")
    record = _get_for_update(session, actor, EventType(record.event_type), record_id)
    ensure_covers(actor, kept.area_path)
    if record.status == Status.CANCELLED:
        raise Conflict(messages.ALREADY_CANCELLED)
    if record.status != Status.REGISTERED or kept.status != Status.REGISTERED:
        raise Conflict(messages.NOT_CANCELLABLE)
    if not (reason.strip() and evidence.strip()):
        raise field_error("reason", "A cancellation needs a reason and evidence.")
    current = current_version(session, record)
    stated = f"Duplicate of {kept.registration_number}: {reason}"
    record.version += 1
    record.status = Status.CANCELLED
    record.duplicate_of_id = kept.id
    record.rejection_reason = stated
    record.updated_at = utcnow()
    session.flush()
    version = _insert_loaded(
        session,
        RecordVersion,
        {
            **{key: copy.deepcopy(getattr(current, key)) for key in _COPIED},
            "record_id": record.id,
            "version": record.version,
            "kind": "cancellation",
            "created_at": utcnow(),
            "created_by_id": actor.user_id,
            "reason": stated,
            "evidence": evidence,
            "requested_by": requested_by or actor.username,
            "approved_by_id": actor.user_id,
        },
    )
    remember(session, version)
    audit.record(
        session,
        actor,
        "cancel",
        record_id=record.id,
        reason=stated,
        details={
            "registration_number": record.registration_number,
            "duplicate_of": kept.registration_number,
        },
    )
    return record


def check_duplicates(
    session: Session, actor: Actor, event_type: EventType, facts: dict[str, Any]
) -> list[dict[str, Any]]:
    """The pre-save check: what a declaration of ``facts`` (validated, as ``declare`` takes
    them) would be paired with, masked outside the actor's area. Nothing is stored or audited.

    Returns ``duplicates.preview`` items (``probability``, ``match_weight``, ``explanation``,
    ``existing`` and ``completes``), best first.
    """
    require_role(actor, DECLARERS)
    where = _resolve(session, event_type, facts)
    ensure_covers(actor, where.occurrence_area.path)
    typed = _typed(event_type, facts, where)
    # Transient rows, never added to the session: the look-up reads their values only.
    record = Record(
        id="unsaved",
        event_type=event_type.value,
        status=Status.DECLARED.value,
        area_path=where.occurrence_area.path,
        notification_id=None,
    )
    version = RecordVersion(version=1, **typed)
    return duplicates.preview(session, actor, record, version, where.occurrence_area.code)
