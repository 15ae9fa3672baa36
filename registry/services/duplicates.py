"""Suspected duplicates: blocking keys in an indexed table, scoring with ``dedupe``, decisions.

On every declaration the record's blocking keys are stored (``dedupe_keys``), the records that
share a key are scored against it, and those above the review threshold become open
``DuplicateCandidate`` rows with a field-by-field explanation. A record with an open candidate
cannot be registered until a registrar decides. Two matches are not flagged but linked: a
declaration that completes an earlier facility notification its author may see, and a death with
the birth record of the same person.

A decision binds (SECURITY.md I11): a record decided to be a duplicate keeps the link
(``duplicate_of_id``) as its state, and is not resubmitted, amended or registered until a
registrar whose area covers both records reopens the decision. A pair may span two areas: each
side is shown in full only inside the viewer's area (``visible_summary``), and only a registrar
covering both decides (``may_decide``). Cancelling a registered duplicate is in
``registry.services.cancellation``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    ScalarSelect,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy.orm import Session, aliased

import dedupe
from registry import messages
from registry.db import utcnow
from registry.domain import EventType, Role, Status
from registry.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from registry.models import Area, DedupeKey, DuplicateCandidate, Record, RecordVersion
from registry.services import audit, match_models
from registry.services.areas import record_area_code
from registry.services.scoping import Actor, require_role, within
from registry.services.versions import IS_CURRENT, current_version

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
DATE_WEIGHTS = {
    "exact": 7.0,
    "transposed": 4.0,
    "close": 2.0,
    "year_off": 0.0,
    "year": -2.0,
    "else": -8.0,
}
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
#: A facility notification expects the one declaration that completes it, so a declaration
#: compared with a notification starts from a higher prior than two records of the register
#: taken at random: about one in fifty of the declarations sharing a blocking key with it.
NOTIFICATION_PRIOR = 0.02
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


#: Built once: it runs on every declaration.
KEYS_INSERT = insert(DedupeKey)


def store_keys(
    session: Session,
    record: Record,
    version: RecordVersion,
    area_code: str,
    *,
    new: bool,
    match: dedupe.Record | None = None,
) -> list[str]:
    """Replace the record's blocking keys with those of its current version (``match``: its
    match record as its own type, when the caller has it); return them."""
    event_type = EventType(record.event_type)
    match = match or as_match_record(record, version, area_code, as_type=event_type)
    if not new:
        session.execute(delete(DedupeKey).where(DedupeKey.record_id == record.id))
    keys = sorted(set(keys_for(event_type, match)))
    if keys:
        session.flush()  # the record row first: keys refer to it
        session.connection().execute(
            KEYS_INSERT, [{"record_id": record.id, "key": k} for k in keys]
        )
    return keys


@dataclass(frozen=True)
class Scored:
    record_id: str
    status: str
    candidate: dedupe.Candidate
    area_path: str = ""
    duplicate_of: str | None = None  # set when the record is bound to another as its duplicate


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
#: Every live record of the register, and those bound as duplicates (rejected or cancelled):
#: a resubmitted twin of a decided duplicate is flagged again. Records rejected for other
#: reasons are left out until resubmitted.
#: The columns ``person_values`` reads (with ``event_type``): the look-up's candidates and the
#: scan's rows select the same ones.
COMPARED_COLUMNS = (
    RecordVersion.given_names,
    RecordVersion.family_name,
    RecordVersion.date_of_birth,
    RecordVersion.sex,
    RecordVersion.mother_given_names,
    RecordVersion.mother_family_name,
    RecordVersion.event_date,
    Area.code,
)
#: The records a new one is matched against (the look-up's and the batch import's).
MATCHABLE = or_(
    Record.status.not_in([Status.REJECTED.value, Status.CANCELLED.value]),
    Record.duplicate_of_id.is_not(None),
)
CANDIDATES = (
    select(
        Record.id,
        Record.event_type,
        Record.status,
        Record.area_path,
        Record.duplicate_of_id,
        *COMPARED_COLUMNS,
    )
    .join(_SHARED, _SHARED.c.record_id == Record.id)
    .join(RecordVersion, IS_CURRENT)
    .join(Area, Area.id == Record.area_id)
    .where(Record.event_type == bindparam("event_type"), MATCHABLE)
)


def _candidate_rows(
    session: Session, match: dedupe.Record, keys: Sequence[str], event_type: EventType
) -> list[tuple[Any, dedupe.Record]]:
    """Records sharing a key, those sharing the most keys first: each row and its values."""
    if not keys:
        return []
    session.flush()  # the statement runs on the connection: pending changes first
    found = session.connection().execute(
        CANDIDATES, {"keys": list(keys), "record_id": match.id, "event_type": event_type.value}
    )
    out = []
    for row in found:
        values = _person_values(row.event_type, event_type, row, row.code)
        out.append((row, dedupe.Record(row.id, values)))
    return out


def _candidates(
    session: Session, match: dedupe.Record, keys: Sequence[str], event_type: EventType
) -> list[tuple[str, str, dedupe.Record]]:
    """Records sharing a key, those sharing the most keys first, as comparable values."""
    return [(r.id, r.status, m) for r, m in _candidate_rows(session, match, keys, event_type)]


def score(
    session: Session,
    record: Record,
    version: RecordVersion,
    area_code: str,
    against: EventType,
    keys: Sequence[str] | None = None,
    *,
    threshold: float,
    match: dedupe.Record | None = None,
) -> list[Scored]:
    """Records of type ``against`` that share a blocking key with ``record`` and reach
    ``threshold``, scored and explained, best first.

    ``keys`` (and ``match``, its match record as ``against``) when the caller has them already.
    """
    match = match or as_match_record(record, version, area_code, as_type=against)
    rows = _candidate_rows(
        session, match, keys_for(against, match) if keys is None else keys, against
    )
    if not rows:
        return []
    by_id = {row.id: row for row, _ in rows}
    weights = model(against, session)
    notices = [m for row, m in rows if row.status == Status.NOTIFIED]
    others = [m for row, m in rows if row.status != Status.NOTIFIED]
    scored = dedupe.score_candidates(match, others, weights, threshold) if others else []
    if notices:
        scored += _as_notification_pairs(match, notices, weights, threshold)
        scored.sort(key=lambda c: (-c.match_weight, c.right_id))
    return [
        Scored(
            c.right_id,
            by_id[c.right_id].status,
            c,
            by_id[c.right_id].area_path,
            by_id[c.right_id].duplicate_of_id,
        )
        for c in scored
    ]


def _odds_bits(probability: float) -> float:
    return math.log2(probability / (1.0 - probability))


def _as_notification_pairs(
    match: dedupe.Record,
    notices: Sequence[dedupe.Record],
    weights: dedupe.Model,
    threshold: float,
) -> list[dedupe.Candidate]:
    """Notifications scored from ``NOTIFICATION_PRIOR`` instead of the model's prior.

    The field weights are the model's; only the prior differs, so the explanation still adds
    up (prior weight + field weights = match weight)."""
    shift = max(_odds_bits(NOTIFICATION_PRIOR) - weights.prior_weight, 0.0)
    base = 1.0 / (1.0 + 2.0 ** (shift - _odds_bits(min(max(threshold, 1e-12), 1 - 1e-12))))
    out = []
    for candidate in dedupe.score_candidates(match, notices, weights, base):
        weight = candidate.match_weight + shift
        out.append(
            replace(
                candidate,
                match_weight=weight,
                prior_weight=candidate.prior_weight + shift,
                probability=1.0 / (1.0 + 2.0 ** (-weight)),
            )
        )
    return out


def on_declared(
    session: Session,
    actor: Actor | None,
    record: Record,
    version: RecordVersion,
    *,
    rescan: bool = False,
    not_completing: frozenset[str] = frozenset(),
) -> None:
    """Store keys, link a completed notification or a death's birth, flag likely duplicates.

    A declaration completes a notification only when its author may see it and has not said
    it is a different event (``not_completing``: notifications the declarant was shown and
    answered "different" or "cannot tell"); otherwise the pair is flagged, for a registrar
    whose area covers both. A record bound as a duplicate of
    another hit is left out (its kept twin is flagged instead); alone, it is flagged.
    """
    area_code = record_area_code(session, record)
    event_type = EventType(record.event_type)
    new = version.version == 1 and not rescan  # a first declaration has no keys or pairs yet
    match = as_match_record(record, version, area_code, as_type=event_type)  # built once
    keys = store_keys(session, record, version, area_code, new=new, match=match)
    if record.status == Status.NOTIFIED:
        return
    open_before = (
        set() if version.version == 1 else {c.existing_id for c in for_record(session, record.id)}
    )
    hits = score(
        session,
        record,
        version,
        area_code,
        event_type,
        keys,
        threshold=REVIEW_THRESHOLD,
        match=match,
    )
    found = {hit.record_id for hit in hits}
    for hit in hits:
        if hit.duplicate_of in found or hit.duplicate_of == record.id:
            continue
        if hit.record_id in open_before or _already_paired(session, record.id, hit.record_id):
            continue
        completes = (
            hit.status == Status.NOTIFIED
            and record.notification_id is None
            and _reaches(actor, record, hit.area_path)
            and hit.record_id not in not_completing
        )
        candidate = DuplicateCandidate(
            record_id=record.id,
            existing_id=hit.record_id,
            probability=hit.candidate.probability,
            match_weight=hit.candidate.match_weight,
            explanation=hit.candidate.explain(),
            status="open",
        )
        session.add(candidate)
        if completes:
            # Linked, not flagged; the pair is kept as decided, so a registrar may reopen it.
            notification = session.get(Record, hit.record_id)
            assert notification is not None
            candidate.status = "duplicate"
            candidate.decided_by_id = actor.user_id if actor else None
            candidate.decided_at = utcnow()
            candidate.note = "The declaration completes the notification."
            _complete_notification(session, actor, record, notification)
            continue
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
        births = [
            hit
            for hit in score(
                session, record, version, area_code, EventType.BIRTH, threshold=LINK_THRESHOLD
            )
            if hit.duplicate_of is None  # a link changes only the death: any area will do
        ]
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


def _reaches(actor: Actor | None, record: Record, area_path: str) -> bool:
    """Whether a record in ``area_path`` may be linked to ``record`` without a registrar: its
    author may see it (in a batch without an author, it lies in the record's own area)."""
    if actor is None:
        return area_path.startswith(record.area_path)
    return actor.covers(area_path)


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
    notification.rejection_reason = f"Completed by declaration {_label(declaration, notification)}"
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
        raise Conflict(messages.DUPLICATE_PENDING)


# -- the registrar's side -------------------------------------------------------------------------
#
# A pair may span two areas. Each side is shown in full only to someone whose area covers it;
# otherwise it is masked (its area, its registration number if any, and the per-field levels of
# agreement; never names, dates or ids). Only a registrar whose area covers both sides (the
# nearest common area or above) decides, reopens or cancels.

#: The keys of a masked side: what anyone who sees one side of a pair may learn of the other.
MASKED_KEYS = (
    "masked",
    "id",
    "event_type",
    "status",
    "registration_number",
    "area_code",
    "area_name",
)


def _summary(record: Record, version: RecordVersion) -> dict[str, Any]:
    return {
        "masked": False,
        "id": record.id,
        "event_type": record.event_type,
        "status": record.status,
        "registration_number": record.registration_number,
        "area_code": record.area.code,
        "area_name": record.area.name,
        "event_date": version.event_date,
        "given_names": version.given_names,
        "family_name": version.family_name,
        "sex": version.sex,
        "date_of_birth": version.date_of_birth,
        "mother": _join(version.mother_given_names, version.mother_family_name),
    }


def sees(actor: Actor | None, record: Record) -> bool:
    """Whether ``actor`` may see ``record`` in full (``None``: the system, a CLI batch)."""
    return actor is None or actor.covers(record.area_path)


def visible_summary(
    session: Session, actor: Actor | None, record: Record, version: RecordVersion | None = None
) -> dict[str, Any]:
    """One side of a pair (or one candidate of a pre-save check) as ``actor`` may see it.

    Args:
        session: the request's session (read only; nothing is written or audited).
        actor: who looks; ``None`` means the system (everything is shown).
        record: the record to show.
        version: its current version when the caller has it (else it is read).

    Returns:
        In the actor's area, ``{"masked": False, "id", "event_type", "status",
        "registration_number", "area_code", "area_name", "event_date", "given_names",
        "family_name", "sex", "date_of_birth", "mother"}``. Outside it, only the keys of
        ``MASKED_KEYS``: ``{"masked": True, "id": None, "event_type", "status",
        "registration_number" (None unless registered), "area_code", "area_name"}`` -- no
        names, dates or ids. Use ``mask_explanation`` for the field-by-field evidence.
    """
    if sees(actor, record):
        return _summary(record, version or current_version(session, record))
    return {
        "masked": True,
        "id": None,
        "event_type": record.event_type,
        "status": record.status,
        "registration_number": record.registration_number,
        "area_code": record.area.code,
        "area_name": record.area.name,
    }


def mask_explanation(
    explanation: Iterable[dict[str, Any]], *, left: bool, right: bool
) -> list[dict[str, Any]]:
    """A stored explanation with the values of a hidden side removed.

    ``left`` / ``right`` say whether the actor may see the newer record's values (``left``)
    and the existing record's (``right``). A hidden value becomes ``None``; the field, its
    level of agreement, similarity and weight stay, so the evidence can still be weighed.
    """
    out = []
    for entry in explanation:
        entry = dict(entry)
        if "field" in entry:
            if not left:
                entry["left"] = None
            if not right:
                entry["right"] = None
        out.append(entry)
    return out


def common_path(a: str, b: str) -> str:
    """The path of the nearest area holding both paths: ``/DL/R1/D11/`` and ``/DL/R2/D21/``
    give ``/DL/``."""
    shared = []
    for x, y in zip(a.strip("/").split("/"), b.strip("/").split("/"), strict=False):
        if x != y:
            break
        shared.append(x)
    return "/" + "".join(f"{part}/" for part in shared)


def deciding_area(session: Session, a: Record, b: Record) -> Area | None:
    """The nearest area covering both records: its registrars (and those above) decide."""
    path = common_path(a.area_path, b.area_path)
    return session.scalars(select(Area).where(Area.path == path)).first()


def may_decide(actor: Actor, a: Record, b: Record) -> bool:
    """A registrar whose area covers both records decides on the pair."""
    return actor.role is Role.REGISTRAR and actor.covers(a.area_path) and actor.covers(b.area_path)


def _awaits(session: Session, a: Record, b: Record) -> str:
    area = deciding_area(session, a, b)
    return f"awaits a registrar of {area.name if area else 'the whole register'}"


def as_document(
    session: Session, candidate: DuplicateCandidate, actor: Actor | None
) -> dict[str, Any]:
    """A suspected pair as ``actor`` may see it (one function for the API and the pages).

    Each side is ``visible_summary`` of its record; the explanation hides the values of a
    masked side. ``decidable`` says whether the actor may decide (or reopen, or cancel);
    ``awaits`` names the area whose registrars decide (``"awaits a registrar of Demoland"``).
    """
    record, existing = candidate.record, candidate.existing
    left, right = sees(actor, record), sees(actor, existing)
    area = deciding_area(session, record, existing)
    return {
        "id": candidate.id,
        "status": candidate.status,
        "probability": candidate.probability,
        "match_weight": candidate.match_weight,
        "explanation": mask_explanation(candidate.explanation, left=left, right=right),
        "created_at": candidate.created_at,
        "decided_at": candidate.decided_at,
        "note": candidate.note,
        "record": visible_summary(session, actor, record),
        "existing": visible_summary(session, actor, existing),
        "decidable": actor is None or may_decide(actor, record, existing),
        "deciding_area_code": area.code if area else None,
        "deciding_area_name": area.name if area else None,
        "awaits": _awaits(session, record, existing),
    }


def listing(
    session: Session, actor: Actor, status: str | None, page: int, per_page: int
) -> dict[str, Any]:
    """Suspected duplicates with either side in the actor's area (a side outside it masked)."""
    require_role(actor, [Role.REGISTRAR])
    newer, older = aliased(Record), aliased(Record)
    stmt = (
        select(DuplicateCandidate)
        .join(newer, newer.id == DuplicateCandidate.record_id)
        .join(older, older.id == DuplicateCandidate.existing_id)
        .where(or_(within(actor, newer), within(actor, older)))
    )
    if status:
        stmt = stmt.where(DuplicateCandidate.status == status)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(DuplicateCandidate.created_at.desc(), DuplicateCandidate.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return {
        "items": [as_document(session, c, actor) for c in rows],
        "page": page,
        "per_page": per_page,
        "total": total,
    }


def for_record(session: Session, record_id: str) -> list[DuplicateCandidate]:
    stmt = select(DuplicateCandidate).where(DuplicateCandidate.record_id == record_id)
    return list(session.scalars(stmt.order_by(DuplicateCandidate.probability.desc())))


def get(session: Session, actor: Actor, candidate_id: str) -> DuplicateCandidate:
    """A pair a registrar may look at: one side at least lies in their area."""
    require_role(actor, [Role.REGISTRAR])
    candidate = session.get(DuplicateCandidate, candidate_id)
    if candidate is None:
        raise NotFound(messages.NO_SUCH_DUPLICATE)
    if not (sees(actor, candidate.record) or sees(actor, candidate.existing)):
        raise PermissionDenied(messages.OUTSIDE_AREA)
    return candidate


def get_to_decide(session: Session, actor: Actor, candidate_id: str) -> DuplicateCandidate:
    """A pair the actor may decide on: their area covers both sides (403 naming the area)."""
    candidate = get(session, actor, candidate_id)
    if not may_decide(actor, candidate.record, candidate.existing):
        awaits = _awaits(session, candidate.record, candidate.existing)
        raise PermissionDenied(messages.PAIR_SPANS_AREAS.format(awaits=awaits))
    return candidate


def _label(record: Record, reader: Record) -> str:
    """How ``record`` is named in a reason that ``reader``'s area reads: its registration
    number, else its id when the reader's area covers it, else only its area."""
    if record.registration_number:
        return record.registration_number
    if record.area_path.startswith(reader.area_path):
        return record.id
    return f"a record of {record.area.name}"


def bind(
    session: Session, bound: Record, kept: Record, *, reason: str, note: str | None = None
) -> None:
    """Make ``bound`` a rejected duplicate of ``kept``: the link is its state until a registrar
    covering both reopens the decision. Its other undecided pairs are closed."""
    bound.status = Status.REJECTED
    bound.rejection_reason = reason + (f": {note}" if note else "")
    bound.duplicate_of_id = kept.id
    bound.updated_at = utcnow()
    for other in for_record(session, bound.id):
        if other.status == "open":
            other.status = "closed"


def ensure_unbound(record: Record) -> None:
    """A record decided to be a duplicate is not resubmitted, amended or registered."""
    if record.duplicate_of_id is None:
        return
    if record.status == Status.CANCELLED:
        raise Conflict(messages.REGISTRATION_CANCELLED.format(reason=record.rejection_reason))
    raise Conflict(messages.DUPLICATE_DECIDED.format(reason=record.rejection_reason))


def decide(
    session: Session, actor: Actor, candidate_id: str, decision: str, note: str | None
) -> DuplicateCandidate:
    """Record a registrar's decision (their area must cover both records).

    "duplicate" rejects the newer declaration and binds it to the existing record; when the
    existing record is a facility notification, the declaration completes it instead (the
    notification is rejected and bound to the declaration).
    """
    if decision not in DECISIONS:
        raise ValidationFailed(errors={"decision": [f"Must be one of {', '.join(DECISIONS)}."]})
    candidate = get_to_decide(session, actor, candidate_id)
    if candidate.status != "open":
        raise Conflict(messages.ALREADY_DECIDED.format(status=candidate.status))
    newer, existing = candidate.record, candidate.existing
    if newer.status == Status.REGISTERED and decision == "duplicate":
        raise PermissionDenied(messages.REGISTERED_NEVER_REJECTED)
    candidate.status = decision
    candidate.decided_by_id = actor.user_id
    candidate.decided_at = utcnow()
    candidate.note = note
    if decision == "duplicate":
        if existing.status == Status.NOTIFIED and newer.notification_id is None:
            _complete_notification(session, actor, newer, existing)
        else:
            bind(
                session,
                newer,
                existing,
                reason=f"Duplicate of {_label(existing, newer)}",
                note=note,
            )
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


def bound_side(candidate: DuplicateCandidate) -> Record | None:
    """The record of the pair that the decision binds to the other (None: neither)."""
    if candidate.record.duplicate_of_id == candidate.existing_id:
        return candidate.record
    if candidate.existing.duplicate_of_id == candidate.record_id:
        return candidate.existing
    return None


def reopen(
    session: Session, actor: Actor, candidate_id: str, reason: str | None
) -> DuplicateCandidate:
    """Undo a "duplicate" decision, with a reason (audited): the pair is open again.

    Only a registrar whose area covers both records reopens. The bound record loses its link
    and returns to what it was when decided (a declaration to ``declared``, a completed
    notification to ``notified``), so it waits for the new decision in the registrar's queue.
    A cancelled registration is never reopened.
    """
    if not (reason and reason.strip()):
        raise ValidationFailed(errors={"reason": ["Give the reason for reopening."]})
    candidate = get_to_decide(session, actor, candidate_id)
    if candidate.status != "duplicate":
        raise Conflict(messages.NOT_REOPENABLE.format(status=candidate.status))
    bound = bound_side(candidate)
    if bound is None:
        raise Conflict(messages.DECISION_UNBOUND)
    if bound.status == Status.CANCELLED:
        raise Conflict(messages.CANCELLED_NOT_REOPENED)
    notification = bound is candidate.existing
    if notification and candidate.record.status == Status.REGISTERED:
        # Its link to the notification is part of a registration, which never changes in place.
        raise Conflict(messages.COMPLETED_BY_REGISTERED)
    bound.status = Status.NOTIFIED if notification else Status.DECLARED
    bound.duplicate_of_id = None
    bound.rejection_reason = None
    bound.updated_at = utcnow()
    if notification:
        candidate.record.notification_id = None
    else:
        for other in for_record(session, bound.id):
            if other.status == "closed":
                other.status = "open"
    candidate.status = "open"
    candidate.decided_by_id = None
    candidate.decided_at = None
    audit.record(
        session,
        actor,
        "duplicate_reopened",
        record_id=bound.id,
        reason=reason,
        details={
            "candidate": candidate.id,
            "other": candidate.existing_id if bound is candidate.record else candidate.record_id,
        },
    )
    session.flush()
    return candidate


def rescan(session: Session, records: Iterable[Record], progress: Any = None) -> int:
    """Re-key and re-score records in batch (``crvs dedupe scan``); returns new candidates."""
    before = session.scalar(select(func.count()).select_from(DuplicateCandidate)) or 0
    for record in records:
        version = current_version(session, record)
        if record.status in (Status.DECLARED, Status.REGISTERED, Status.NOTIFIED):
            on_declared(session, None, record, version, rescan=True)
        if progress is not None:
            progress(1)
    session.flush()
    after = session.scalar(select(func.count()).select_from(DuplicateCandidate)) or 0
    return after - before


def preview(
    session: Session,
    actor: Actor,
    record: Record,
    version: RecordVersion,
    area_code: str,
) -> list[dict[str, Any]]:
    """The records an unsaved declaration would be paired with, as ``actor`` may see them.

    ``record`` and ``version`` are transient (never added to the session): the record needs
    ``id``, ``event_type``, ``area_path`` and ``notification_id``; the version the typed columns.
    Nothing is stored or audited. Each item: ``{"probability", "match_weight", "explanation"
    (values of a hidden side removed), "existing": visible_summary(...), "completes": True
    when saving would complete that notification}``, best first.
    """
    event_type = EventType(record.event_type)
    out = []
    hits = score(session, record, version, area_code, event_type, threshold=REVIEW_THRESHOLD)
    found = {hit.record_id for hit in hits}
    for hit in hits:
        if hit.duplicate_of in found:
            continue
        existing = session.get(Record, hit.record_id)
        assert existing is not None
        out.append(
            {
                "probability": hit.candidate.probability,
                "match_weight": hit.candidate.match_weight,
                "explanation": mask_explanation(
                    hit.candidate.explain(), left=True, right=sees(actor, existing)
                ),
                "existing": visible_summary(session, actor, existing),
                "completes": hit.status == Status.NOTIFIED
                and record.notification_id is None
                and _reaches(actor, record, hit.area_path),
            }
        )
    return out
