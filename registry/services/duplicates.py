"""Suspected duplicates: blocking keys in an indexed table, scoring with ``dedupe``, decisions.

On every declaration the record's blocking keys are stored (``dedupe_keys``), the records that
share a key are scored against it, and those above the review threshold become open
``DuplicateCandidate`` rows with a field-by-field explanation. A record with an open candidate
cannot be registered until a registrar decides. Two matches are not flagged but linked: a
declaration that completes an earlier facility notification, and a death with the birth record of
the same person.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, bindparam, delete, func, insert, select
from sqlalchemy.orm import Session, aliased

import dedupe
from registry.db import utcnow
from registry.domain import EventType, Role, Status
from registry.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from registry.models import Area, DedupeKey, DuplicateCandidate, Record, RecordVersion
from registry.services import audit, match_models
from registry.services.scoping import Actor, ensure_covers, require_role, scoped

REVIEW_THRESHOLD = 0.80
LINK_THRESHOLD = 0.90
MAX_CANDIDATES = 25  # those sharing the most blocking keys first
DECISIONS = ("duplicate", "not_duplicate")

#: Matching settings for the register (data, not code: see dedupe.settings for the schema).
#: Weights are log2 Bayes factors per comparison level, set for a civil register where many
#: children share a birth date and a district: agreement on a name counts more than on a date.
NAME_WEIGHTS = {"exact": 8.0, "close": 5.0, "phonetic": 4.0, "far": 0.0, "else": -8.0}
FAMILY_WEIGHTS = {"exact": 6.0, "close": 4.0, "phonetic": 3.0, "far": 0.0, "else": -6.0}
# A different mother is the strongest evidence against: she is named at every registration.
# "far" is another woman with a name like hers (the same given name, another family name): on
# a generated register no re-registration of a child had its mother's name at that level.
MOTHER_WEIGHTS = {"exact": 6.0, "close": 4.0, "phonetic": 3.0, "far": -8.0, "else": -12.0}
DATE_WEIGHTS = {"exact": 7.0, "transposed": 4.0, "close": 2.0, "year": -2.0, "else": -8.0}
PERSON_FIELDS: list[dict[str, Any]] = [
    {"column": "given_names", "kind": "name", "role": "given_name", "weights": NAME_WEIGHTS},
    {"column": "family_name", "kind": "name", "role": "family_name", "weights": FAMILY_WEIGHTS},
    {
        "column": "date_of_birth",
        "kind": "date",
        "format": "%Y-%m-%d",
        "role": "date_of_birth",
        "weights": DATE_WEIGHTS,
    },
    {"column": "sex", "kind": "exact", "weights": {"exact": 1.0, "else": -6.0}},
]
AREA_FIELD = {"column": "area", "kind": "exact", "weights": {"exact": 1.0, "else": -1.0}}
#: Most pairs of records are different people: the probability shown to a registrar is the
#: posterior with this prior, not the weight alone. Measured with
#: bench/dedupe_registry_calibration.py on a generated register: among pairs shown at >= 0.9,
#: 99 % are the same child, and a pair whose birth dates are more than a week apart and whose
#: mothers differ stays below 0.1 (with dedupe's default prior, 0.05, it reached 0.9997).
PRIOR = 3e-4
SETTINGS: dict[EventType, dict[str, Any]] = {
    EventType.BIRTH: {
        "fields": [
            *PERSON_FIELDS,
            {"column": "mother", "kind": "name", "role": "mother", "weights": MOTHER_WEIGHTS},
            AREA_FIELD,
        ],
        "blocking": [
            {"keys": ["phonetic:family_name", "year:date_of_birth"]},
            {"keys": ["phonetic:mother", "dmy:date_of_birth"]},
            {"keys": ["phonetic:given_names", "phonetic:family_name"], "unordered": True},
        ],
        "threshold": REVIEW_THRESHOLD,
        "prior": PRIOR,
    },
    EventType.DEATH: {
        "fields": [
            *PERSON_FIELDS,
            {
                "column": "date_of_death",
                "kind": "date",
                "format": "%Y-%m-%d",
                "weights": DATE_WEIGHTS,
            },
            AREA_FIELD,
        ],
        "blocking": [
            {"keys": ["phonetic:family_name", "year:date_of_death"]},
            {"keys": ["phonetic:given_names", "phonetic:family_name"], "unordered": True},
        ],
        "threshold": REVIEW_THRESHOLD,
        "prior": PRIOR,
    },
}


def model(event_type: EventType, session: Session | None = None) -> dedupe.Model:
    """The model the look-up and ``crvs dedupe scan`` apply: with a session, the register's
    active trained model when one is stored (``services.match_models``, cached per process);
    otherwise the hand-set weights, the cold-start default."""
    if session is not None:
        stored = match_models.active(session, event_type)
        if stored is not None:
            return stored
    return hand_set(event_type)


@cache
def hand_set(event_type: EventType) -> dedupe.Model:
    return dedupe.Model.from_settings(dedupe.Settings.from_dict(SETTINGS[event_type]))


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _join(*parts: str | None) -> str | None:
    text = " ".join(p for p in parts if p)
    return text or None


def _values(
    kind: str,
    as_type: EventType,
    *,
    given: str | None,
    family: str | None,
    born: Any,
    sex: str | None,
    area_code: str | None,
    mother: str | None,
    event_date: Any,
) -> dict[str, str | None]:
    values: dict[str, str | None] = {
        "given_names": given,
        "family_name": family,
        "date_of_birth": _iso(born),
        "sex": sex if sex in ("male", "female") else None,
        "area": area_code,
    }
    if as_type is EventType.BIRTH and kind == EventType.BIRTH:
        values["mother"] = mother
    if as_type is EventType.DEATH:
        values["date_of_death"] = _iso(event_date)
    if as_type is EventType.BIRTH and kind == EventType.DEATH:
        values["area"] = None  # where a person died says little about where they were born
    return values


def as_match_record(
    record: Record, version: RecordVersion, area_code: str | None, *, as_type: EventType
) -> dedupe.Record:
    """The values ``dedupe`` compares, from a record's current version.

    ``as_type`` lets a death be compared as a person against birth records (its date of
    birth against the child's).
    """
    return dedupe.Record(record.id, _person_values(record.event_type, as_type, version, area_code))


def _person_values(
    kind: str, as_type: EventType, person: Any, area_code: str | None
) -> dict[str, str | None]:
    """``_values`` of a version, or of a row with a version's column names."""
    return _values(
        kind,
        as_type,
        given=person.given_names,
        family=person.family_name,
        born=person.date_of_birth,
        sex=person.sex,
        area_code=area_code,
        mother=_join(person.mother_given_names, person.mother_family_name),
        event_date=person.event_date,
    )


#: Public for the batch scan (``services.dedupe_scan``), which maps rows as the look-up does.
person_values = _person_values


def keys_for(event_type: EventType, match: dedupe.Record) -> list[str]:
    settings = model(event_type).settings
    return [f"{event_type.value}|{key}" for key in dedupe.blocking_keys(match, settings)]


def name_search_keys(
    event_type: EventType, given: str | None, family: str | None, years: range
) -> list[str]:
    """Blocking keys a name search can use: spelling variants and other scripts share them.

    With a given and a family name, the key of both names (in either order); with a family name
    alone, its phonetic key with each year in ``years`` (the keys pair it with the event year).
    """
    if not family:
        return []
    if given:
        return keys_for(
            event_type, dedupe.Record("q", {"given_names": given, "family_name": family})
        )
    column = "date_of_birth" if event_type is EventType.BIRTH else "date_of_death"
    keys: set[str] = set()
    for year in years:
        match = dedupe.Record("q", {"family_name": family, column: f"{year}-06-15"})
        keys.update(keys_for(event_type, match))
    return sorted(keys)


def store_keys(
    session: Session, record: Record, version: RecordVersion, area_code: str, *, new: bool
) -> list[str]:
    """Replace the record's blocking keys with those of its current version; return them."""
    event_type = EventType(record.event_type)
    match = as_match_record(record, version, area_code, as_type=event_type)
    if not new:
        session.execute(delete(DedupeKey).where(DedupeKey.record_id == record.id))
    keys = sorted(set(keys_for(event_type, match)))
    if keys:
        session.flush()  # the record row first: keys refer to it
        session.connection().execute(
            insert(DedupeKey), [{"record_id": record.id, "key": k} for k in keys]
        )
    return keys


@dataclass(frozen=True)
class Scored:
    record_id: str
    status: str
    candidate: dedupe.Candidate


# Built once: the look-up runs on every declaration. ``keys`` expands to the record's keys.
_SHARED = (
    select(DedupeKey.record_id)
    .where(DedupeKey.key.in_(bindparam("keys", expanding=True)))
    .where(DedupeKey.record_id != bindparam("record_id"))
    .group_by(DedupeKey.record_id)
    .order_by(func.count().desc(), DedupeKey.record_id)
    .limit(MAX_CANDIDATES)
    .subquery()
)
CANDIDATES = (
    select(
        Record.id,
        Record.event_type,
        Record.status,
        RecordVersion.given_names,
        RecordVersion.family_name,
        RecordVersion.date_of_birth,
        RecordVersion.sex,
        RecordVersion.mother_given_names,
        RecordVersion.mother_family_name,
        RecordVersion.event_date,
        Area.code,
    )
    .join(_SHARED, _SHARED.c.record_id == Record.id)
    .join(
        RecordVersion,
        (RecordVersion.record_id == Record.id) & (RecordVersion.version == Record.version),
    )
    .join(Area, Area.id == Record.area_id)
    .where(Record.event_type == bindparam("event_type"), Record.status != Status.REJECTED.value)
)


def _candidates(
    session: Session, match: dedupe.Record, keys: Sequence[str], event_type: EventType
) -> list[tuple[str, str, dedupe.Record]]:
    """Records sharing a key, those sharing the most keys first, as comparable values."""
    if not keys:
        return []
    session.flush()  # the statement runs on the connection: pending changes first
    found = session.connection().execute(
        CANDIDATES, {"keys": list(keys), "record_id": match.id, "event_type": event_type.value}
    )
    out = []
    for row in found:
        values = _person_values(row.event_type, event_type, row, row.code)
        out.append((row.id, row.status, dedupe.Record(row.id, values)))
    return out


def score(
    session: Session,
    record: Record,
    version: RecordVersion,
    area_code: str,
    against: EventType,
    keys: Sequence[str] | None = None,
    *,
    threshold: float,
) -> list[Scored]:
    """Records of type ``against`` that share a blocking key with ``record`` and reach
    ``threshold``, scored and explained, best first.

    ``keys`` are the record's keys as ``against`` when the caller has them already.
    """
    match = as_match_record(record, version, area_code, as_type=against)
    rows = _candidates(session, match, keys_for(against, match) if keys is None else keys, against)
    if not rows:
        return []
    status = {record_id: state for record_id, state, _ in rows}
    scored = dedupe.score_candidates(
        match, [m for _, _, m in rows], model(against, session), threshold
    )
    return [Scored(c.right_id, status[c.right_id], c) for c in scored]


def on_declared(
    session: Session,
    actor: Actor | None,
    record: Record,
    version: RecordVersion,
    *,
    rescan: bool = False,
) -> None:
    """Store keys, link a completed notification or a death's birth, flag likely duplicates."""
    area_code = record.area.code
    event_type = EventType(record.event_type)
    new = version.version == 1 and not rescan  # a first declaration has no keys or pairs yet
    keys = store_keys(session, record, version, area_code, new=new)
    if record.status == Status.NOTIFIED:
        return
    open_before = (
        set() if version.version == 1 else {c.existing_id for c in for_record(session, record.id)}
    )
    for hit in score(
        session, record, version, area_code, event_type, keys, threshold=REVIEW_THRESHOLD
    ):
        if hit.status == Status.NOTIFIED and record.notification_id is None:
            notification = session.get(Record, hit.record_id)
            assert notification is not None
            _complete_notification(session, actor, record, notification)
            continue
        if hit.record_id in open_before or _already_paired(session, record.id, hit.record_id):
            continue
        session.add(
            DuplicateCandidate(
                record_id=record.id,
                existing_id=hit.record_id,
                probability=hit.candidate.probability,
                match_weight=hit.candidate.match_weight,
                explanation=hit.candidate.explain(),
                status="open",
            )
        )
        audit.record(
            session,
            actor,
            "duplicate_suspected",
            record_id=record.id,
            details={
                "existing": hit.record_id,
                "probability": round(hit.candidate.probability, 4),
            },
        )
    if event_type is EventType.DEATH and record.birth_record_id is None:
        births = score(
            session, record, version, area_code, EventType.BIRTH, threshold=LINK_THRESHOLD
        )
        if births:
            record.birth_record_id = births[0].record_id
            audit.record(
                session,
                actor,
                "linked_birth",
                record_id=record.id,
                details={"birth": births[0].record_id},
            )
    session.flush()


def _already_paired(session: Session, a: str, b: str) -> bool:
    stmt = select(func.count()).where(
        ((DuplicateCandidate.record_id == a) & (DuplicateCandidate.existing_id == b))
        | ((DuplicateCandidate.record_id == b) & (DuplicateCandidate.existing_id == a))
    )
    return bool(session.scalar(stmt))


def _complete_notification(
    session: Session, actor: Actor | None, declaration: Record, notification: Record
) -> None:
    declaration.notification_id = notification.id
    notification.status = Status.REJECTED
    notification.rejection_reason = f"Completed by declaration {declaration.id}"
    notification.duplicate_of_id = declaration.id
    notification.updated_at = utcnow()
    audit.record(
        session,
        actor,
        "notification_completed",
        record_id=notification.id,
        details={"declaration": declaration.id},
    )


def open_count(record_id: ColumnElement[str] | Any, outer: Any) -> ScalarSelect[int]:
    """How many undecided suspected duplicates the record ``record_id`` has, as a scalar
    subquery of a query of ``outer`` (the record's lock reads it in the same statement)."""
    return (
        select(func.count())
        .where(DuplicateCandidate.record_id == record_id, DuplicateCandidate.status == "open")
        .correlate(outer)
        .scalar_subquery()
    )


def before_register(open_duplicates: int) -> None:
    """A record with an undecided suspected duplicate cannot be registered."""
    if open_duplicates:
        raise Conflict("A suspected duplicate of this record awaits a registrar's decision.")


# -- the registrar's side -------------------------------------------------------------------------


def _summary(record: Record, version: RecordVersion) -> dict[str, Any]:
    return {
        "id": record.id,
        "event_type": record.event_type,
        "status": record.status,
        "registration_number": record.registration_number,
        "area_code": record.area.code,
        "event_date": version.event_date,
        "given_names": version.given_names,
        "family_name": version.family_name,
        "sex": version.sex,
        "date_of_birth": version.date_of_birth,
        "mother": _join(version.mother_given_names, version.mother_family_name),
    }


def _current(session: Session, record: Record) -> RecordVersion:
    stmt = select(RecordVersion).where(
        RecordVersion.record_id == record.id, RecordVersion.version == record.version
    )
    return session.scalars(stmt).one()


def as_document(session: Session, candidate: DuplicateCandidate) -> dict[str, Any]:
    return {
        "id": candidate.id,
        "status": candidate.status,
        "probability": candidate.probability,
        "match_weight": candidate.match_weight,
        "explanation": candidate.explanation,
        "created_at": candidate.created_at,
        "decided_at": candidate.decided_at,
        "note": candidate.note,
        "record": _summary(candidate.record, _current(session, candidate.record)),
        "existing": _summary(candidate.existing, _current(session, candidate.existing)),
    }


def listing(
    session: Session, actor: Actor, status: str | None, page: int, per_page: int
) -> dict[str, Any]:
    """Suspected duplicates whose newer record lies in the actor's area."""
    require_role(actor, [Role.REGISTRAR])
    newer = aliased(Record)
    stmt = select(DuplicateCandidate).join(newer, newer.id == DuplicateCandidate.record_id)
    stmt = scoped(stmt, actor, newer)
    if status:
        stmt = stmt.where(DuplicateCandidate.status == status)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(DuplicateCandidate.created_at.desc(), DuplicateCandidate.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return {
        "items": [as_document(session, c) for c in rows],
        "page": page,
        "per_page": per_page,
        "total": total,
    }


def for_record(session: Session, record_id: str) -> list[DuplicateCandidate]:
    stmt = select(DuplicateCandidate).where(DuplicateCandidate.record_id == record_id)
    return list(session.scalars(stmt.order_by(DuplicateCandidate.probability.desc())))


def get(session: Session, actor: Actor, candidate_id: str) -> DuplicateCandidate:
    require_role(actor, [Role.REGISTRAR])
    candidate = session.get(DuplicateCandidate, candidate_id)
    if candidate is None:
        raise NotFound("No such suspected duplicate.")
    ensure_covers(actor, candidate.record.area_path)
    return candidate


def decide(
    session: Session, actor: Actor, candidate_id: str, decision: str, note: str | None
) -> DuplicateCandidate:
    """Record a registrar's decision; "duplicate" rejects the newer declaration and links it."""
    if decision not in DECISIONS:
        raise ValidationFailed(errors={"decision": [f"Must be one of {', '.join(DECISIONS)}."]})
    candidate = get(session, actor, candidate_id)
    if candidate.status != "open":
        raise Conflict(f"This suspected duplicate was already decided ({candidate.status}).")
    newer = candidate.record
    if newer.status == Status.REGISTERED and decision == "duplicate":
        raise PermissionDenied("A registered record is never rejected; correct it instead.")
    candidate.status = decision
    candidate.decided_by_id = actor.user_id
    candidate.decided_at = utcnow()
    candidate.note = note
    if decision == "duplicate":
        newer.status = Status.REJECTED
        existing = candidate.existing
        newer.rejection_reason = f"Duplicate of {existing.registration_number or existing.id}" + (
            f": {note}" if note else ""
        )
        newer.duplicate_of_id = existing.id
        newer.updated_at = utcnow()
        for other in for_record(session, newer.id):
            if other.status == "open":
                other.status = "closed"
    audit.record(
        session,
        actor,
        f"duplicate_decision:{decision}",
        record_id=newer.id,
        reason=note,
        details={"candidate": candidate.id, "existing": candidate.existing_id},
    )
    session.flush()
    return candidate


def rescan(session: Session, records: Iterable[Record], progress: Any = None) -> int:
    """Re-key and re-score records in batch (``crvs dedupe scan``); returns new candidates."""
    before = session.scalar(select(func.count()).select_from(DuplicateCandidate)) or 0
    for record in records:
        version = _current(session, record)
        if record.status in (Status.DECLARED, Status.REGISTERED, Status.NOTIFIED):
            on_declared(session, None, record, version, rescan=True)
        if progress is not None:
            progress(1)
    session.flush()
    after = session.scalar(select(func.count()).select_from(DuplicateCandidate)) or 0
    return after - before
