"""Legacy paper registers: CSV imports checked in one pass, written in batches, deduplicated.

Columns are the API's field names in dotted form (``child.given_names``, ``mother.family_name``,
``place.facility_code``, ``cause.underlying_icd10``, ``cause.part1.0.text``...), plus an optional
``date_of_registration``: a row with it is registered on that date (a delayed one with the reason
"imported from a legacy paper register"), a row without it stays declared. Every row is validated
by the same schemas and rules as the API, but for what paper registers did not record: the type
of birth (left unknown), and the given names of a child registered before being named (a
registered row only; they come later by a correction). The caller loads each row by its schema
(``load``: see ``RowLoader``); the rules that need the register are checked here. By default any
bad row stops the import, every bad row is reported with its line number, and nothing is stored;
with ``keep_going`` the good rows are stored and the bad ones come back in
``ImportSummary.rejected``.

The import is a batch path, the same rules as a declaration and a registration:

1. Every row is checked in Python first: the schema (by ``load``), the codes of places (each
   distinct set of codes resolved once, by ``records._resolve``), the registration's date, band
   and office. Nothing is written before every row is checked.
2. The duplicate check runs on ``dedupe``'s batch path (as ``crvs dedupe scan``): the good rows
   are matched with each other (a later line against the earlier ones) and, through their
   blocking keys, with the records of the register that share one; the pairs reaching the
   review threshold become open suspected duplicates, with their explanation, and a row meant
   to be registered that has one stays declared for a registrar's decision, as a declaration
   does. Deaths are linked to the birth record of the same person.
3. Records, versions, blocking keys and pairs are inserted many rows per statement; the rows to
   register take their numbers as one gap-free block per office and year from the locked
   counter; the audit events (each version's content hash in its ``declare`` event) are
   chained in one batch at the end (``audit.append_many``).

A row near a facility notification (sharing a block with one), or a row that is itself a
notification or carries the device's time, takes the per-row path of a declaration after the
batch (``records.declare``, then ``records.register``): completing a notification is decided
record by record.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import IO, Any, Protocol

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

import dedupe
from dedupe.blocking import candidate_pairs, rule_keys
from dedupe.matching import score_table
from dedupe.records import Table
from registry import messages
from registry.db import Base, new_uuid, utcnow
from registry.domain import (
    DEVICE_TIME,
    EventType,
    Status,
    Timeliness,
    format_registration_number,
)
from registry.errors import Conflict, ImportFailed, RegistryError, ValidationFailed
from registry.models import Area, DedupeKey, DuplicateCandidate, Facility, Record, RecordVersion
from registry.paths import branch
from registry.services import audit, duplicates, records, users
from registry.services.areas import office_id_for, read_csv
from registry.services.dialect import insert_many, next_ids, one_of
from registry.services.scoping import Actor, ensure_covers, require_role
from registry.services.settings import RegistrySettings
from registry.services.versions import IS_CURRENT

LEGACY_REASON = "Imported from a legacy paper register"
REQUIRED = {
    EventType.BIRTH: ["child.sex", "child.date_of_birth", "place.type", "mother.given_names"],
    EventType.DEATH: ["deceased.sex", "date_of_death", "place.type"],
}
_CHUNK = 2_000  # rows per INSERT (SQLite allows 32,766 parameters; a version has 30 columns)
_KEYS_PER_QUERY = 20_000  # one parameter on PostgreSQL; SQLite allows 32,766


@dataclass
class ImportSummary:
    rows: int = 0
    registered: int = 0
    declared: int = 0
    flagged: int = 0  # declared rows awaiting a registrar's decision on a suspected duplicate
    rejected: list[tuple[int, str, dict[str, str]]] = field(default_factory=list)


def _nest(row: dict[str, str]) -> dict[str, Any]:
    """Dotted columns to the API's nested body; numeric parts become list positions."""
    tree: dict[str, Any] = {}
    for column, value in row.items():
        if value == "" or column == "date_of_registration":
            continue
        try:
            node, leaf = branch(tree, column)
        except AttributeError:  # a column under another column's value
            raise ValueError(f"column {column} conflicts with another column") from None
        node[leaf] = value
    nested: dict[str, Any] = _listify(tree)
    return nested


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    items = {key: _listify(value) for key, value in node.items()}
    if items and all(key.isdigit() for key in items):
        return [items[key] for key in sorted(items, key=int)]
    return items


def _flatten(messages: Any, prefix: str = "") -> list[str]:
    if isinstance(messages, dict):
        out: list[str] = []
        for key, value in messages.items():
            out += _flatten(value, f"{prefix}{key}.")
        return out
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [f"{prefix.rstrip('.')}: {' '.join(messages)}"]
    if isinstance(messages, list):
        return [m for v in messages for m in _flatten(v, prefix)]
    return [f"{prefix.rstrip('.')}: {messages}"]


def _reasons(exc: RegistryError) -> list[str]:
    return _flatten(exc.errors) if exc.errors else [exc.message]


class RowLoader(Protocol):
    """How the edge loads a row of a legacy register (``schemas.records.load_legacy``): the
    row's nested body as the facts of a declaration of ``event_type`` (``registered``: the row
    has a registration date), or ``ValidationFailed`` with the field messages."""

    def __call__(
        self, event_type: EventType, raw: dict[str, Any], *, registered: bool
    ) -> dict[str, Any]: ...


class _Refused(Exception):
    """A row that cannot be imported, with its reasons."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


@dataclass(frozen=True)
class _Hit:
    """A suspected duplicate of a row: the older record and the explained comparison."""

    existing_id: str
    candidate: dedupe.Candidate


@dataclass
class _Row:
    """A checked row: what its declaration and registration will store."""

    line: int
    raw: dict[str, str]
    facts: dict[str, Any]
    where: records.Resolved
    typed: dict[str, Any]
    registered_on: date | None
    band: Timeliness | None = None
    office: Facility | None = None
    id: str = field(default_factory=new_uuid)
    hits: list[_Hit] = field(default_factory=list)
    birth_record_id: str | None = None
    keys: list[str] = field(default_factory=list)  # its blocking keys, as the look-up's
    one_by_one: bool = False  # a notification, or near one: the per-row path

    @property
    def registers(self) -> bool:
        return self.registered_on is not None and not self.hits


#: The columns ``duplicates.person_values`` reads, for a row's typed values that lack some.
_PERSON = dict.fromkeys(
    (
        "given_names",
        "family_name",
        "date_of_birth",
        "sex",
        "mother_given_names",
        "mother_family_name",
        "event_date",
    )
)


class _Checker:
    """Checks rows with the API's rules; what rows share (places, offices) is read once."""

    def __init__(
        self,
        session: Session,
        settings: RegistrySettings,
        actor: Actor,
        event_type: EventType,
        load: RowLoader,
    ) -> None:
        self.session, self.settings, self.actor = session, settings, actor
        self.event_type, self.load = event_type, load
        self.places: dict[tuple[Any, ...], records.Resolved | RegistryError] = {}
        self.offices: dict[int, Facility | None] = {}

    def row(self, line: int, raw: dict[str, str]) -> _Row:
        if "__extra__" in raw:
            raise _Refused(["too many values"])
        try:
            registered_on = (
                date.fromisoformat(raw["date_of_registration"])
                if raw.get("date_of_registration")
                else None
            )
        except ValueError:
            raise _Refused(["date_of_registration: Not a valid date (use YYYY-MM-DD)."]) from None
        try:
            facts = self.load(self.event_type, _nest(raw), registered=registered_on is not None)
        except ValidationFailed as exc:
            raise _Refused(_flatten(exc.errors)) from None
        except ValueError as exc:
            raise _Refused([str(exc)]) from None
        try:
            where = self._place(facts)
            typed = records._typed(self.event_type, facts, where)
            row = _Row(line, raw, facts, where, typed, registered_on)
            if registered_on is not None:
                event_date = typed["event_date"]
                row.band = records.registration_band(
                    self.settings, self.event_type, event_date, registered_on, LEGACY_REASON
                )
                row.office = self._office(where.occurrence_area)
                if row.office is None:
                    raise Conflict(messages.NO_OFFICE)
        except RegistryError as exc:
            raise _Refused(_reasons(exc)) from None
        row.one_by_one = bool(facts.get("notification") or facts.get(DEVICE_TIME))
        return row

    def _place(self, facts: dict[str, Any]) -> records.Resolved:
        """``records._resolve`` and the actor's area, once per distinct set of codes it reads."""
        person = "mother" if self.event_type is EventType.BIRTH else "deceased"
        place = facts["place"]
        key = (
            place.get("type"),
            place.get("facility_code"),
            place.get("area_code"),
            (facts.get(person) or {}).get("residence_area_code"),
            facts.get("mother_residence_area_code"),
        )
        known = self.places.get(key)
        if known is None:
            try:
                known = records._resolve(self.session, self.event_type, facts)
                ensure_covers(self.actor, known.occurrence_area.path)
            except RegistryError as exc:
                known = exc
            self.places[key] = known
        if isinstance(known, RegistryError):
            raise known
        return known

    def _office(self, area: records.AreaRef) -> Facility | None:
        """The office that numbers a registration in ``area`` (as ``records.register`` finds
        it)."""
        if area.id not in self.offices:
            outer = aliased(Area)
            office_id = self.session.scalar(
                select(office_id_for(outer.path, outer)).where(outer.id == area.id)
            )
            office = self.session.get(Facility, office_id) if office_id is not None else None
            self.offices[area.id] = office
        return self.offices[area.id]


def import_records(
    session: Session,
    settings: RegistrySettings,
    event_type: EventType,
    stream: IO[str],
    progress: Callable[[int], None] | None = None,
    *,
    keep_going: bool = False,
    load: RowLoader,
) -> ImportSummary:
    """Import one CSV file; raises ImportFailed listing every bad row (nothing is kept), or
    with ``keep_going`` keeps the good rows and lists the bad ones in the summary. ``load``
    loads each row, once (see ``RowLoader``).

    ``progress(n)``: ``n`` more of ``2 * rows`` steps are done (each row is checked, then
    written).
    """
    with _collector_paused():
        return _import(
            session, settings, event_type, stream, progress, keep_going=keep_going, load=load
        )


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a file is imported: the batch allocates
    millions of small objects that all live until the end, and the collector would walk them
    again and again (a sixth of the time) to free nothing (they hold no cycles). Reference
    counting frees memory as usual."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _import(
    session: Session,
    settings: RegistrySettings,
    event_type: EventType,
    stream: IO[str],
    progress: Callable[[int], None] | None,
    *,
    keep_going: bool,
    load: RowLoader,
) -> ImportSummary:
    actor = users.system_actor(session, settings)
    require_role(actor, records.DECLARERS)
    require_role(actor, records.REGISTRARS)
    checker = _Checker(session, settings, actor, event_type, load)
    errors: list[tuple[int, str]] = []
    summary = ImportSummary()
    good: list[_Row] = []
    for line, raw in read_csv(stream, REQUIRED[event_type]):
        summary.rows += 1
        try:
            good.append(checker.row(line, raw))
        except _Refused as refused:
            errors.extend((line, reason) for reason in refused.reasons)
            summary.rejected.append((line, "; ".join(refused.reasons), raw))
        if progress and summary.rows % _CHUNK == 0:
            progress(_CHUNK)
    if progress:
        progress(summary.rows % _CHUNK + len(summary.rejected))
    if errors and not keep_going:
        raise ImportFailed(errors)
    if event_type is EventType.DEATH:
        _link_births(session, good)  # first: a death near a notified birth goes one by one
    _match(session, event_type, good)
    batch = [row for row in good if not row.one_by_one]
    events = _store(session, settings, actor, event_type, batch, progress)
    for row in batch:
        summary.registered += row.registers
        summary.declared += not row.registers
        summary.flagged += bool(row.hits)
    for row in good:
        if row.one_by_one:
            _one_by_one(session, settings, actor, event_type, row, errors, summary)
            if progress:
                progress(1)
    if errors and not keep_going:
        raise ImportFailed(sorted(errors))
    summary.rejected.sort(key=lambda item: item[0])
    audit.append_many(session, actor, events)
    return summary


# -- the duplicate check, in batch ------------------------------------------------------------


def _person(row: _Row, kind: EventType, as_type: EventType) -> dedupe.Record:
    """The values ``dedupe`` compares of a row of type ``kind``, as a record of ``as_type``."""
    person = SimpleNamespace(**(_PERSON | row.typed))
    area_code = row.where.occurrence_area.code
    return dedupe.Record(row.id, duplicates.person_values(kind, as_type, person, area_code))


def _keys(event_type: EventType, matches: Sequence[dedupe.Record]) -> list[list[str]]:
    """The blocking keys of each record, as the look-up stores them (``duplicates.keys_for``),
    computed for the whole batch at once."""
    out: list[list[str]] = [[] for _ in matches]
    if not matches:
        return out
    keyed = duplicates.hand_set(event_type).settings
    table = Table(list(matches), keyed)
    prefix = f"{event_type.value}|"
    for index in range(len(keyed.blocking)):
        codes, strings = rule_keys(table, index)
        for row in np.flatnonzero(codes >= 0).tolist():
            out[row].append(prefix + strings[int(codes[row])])
    return [sorted(set(keys)) for keys in out]


_NEIGHBOURS = (
    select(
        Record.id,
        Record.event_type,
        Record.status,
        Record.duplicate_of_id,
        *duplicates.COMPARED_COLUMNS,
    )
    .join(RecordVersion, IS_CURRENT)
    .join(Area, Area.id == Record.area_id)
    .where(duplicates.MATCHABLE)
)


def _neighbours(session: Session, against: EventType, keys: set[str]) -> list[Any]:
    """The register's records of type ``against`` sharing a blocking key with the batch."""
    found: dict[str, Any] = {}
    wanted = sorted(keys)
    for start in range(0, len(wanted), _KEYS_PER_QUERY):
        chunk = wanted[start : start + _KEYS_PER_QUERY]
        sharing = select(DedupeKey.record_id).where(one_of(session, DedupeKey.key, chunk))
        stmt = _NEIGHBOURS.where(Record.event_type == against.value, Record.id.in_(sharing))
        for row in session.execute(stmt):
            found.setdefault(row.id, row)
    return sorted(found.values(), key=lambda row: row.id)


def _cross_pairs(
    model: dedupe.Model, left: Sequence[dedupe.Record], right: Sequence[dedupe.Record]
) -> tuple[Table, Any, Any]:
    """Candidate pairs (left row, right row) of two batches, left rows first in the table."""
    table = Table([*left, *right], model.settings)
    ia, ib = candidate_pairs(table, len(left))
    return table, ia, ib


def _match(session: Session, event_type: EventType, rows: list[_Row]) -> None:
    """Find each row's suspected duplicates: earlier rows of the file and the register's
    records sharing a blocking key, scored by the look-up's model and threshold."""
    if not rows:
        return
    model = duplicates.model(event_type, session)
    threshold = duplicates.REVIEW_THRESHOLD
    matches = [_person(row, event_type, event_type) for row in rows]
    keys = _keys(event_type, matches)
    for row, mine in zip(rows, keys, strict=True):
        row.keys = mine
    existing = _neighbours(session, event_type, {k for ks in keys for k in ks})
    others = [
        dedupe.Record(r.id, duplicates.person_values(r.event_type, event_type, r, r.code))
        for r in existing
    ]
    # row -> [(record id, probability, weight)] of the pairs reaching the threshold
    found: dict[int, list[tuple[str, float, float]]] = {}
    if others:
        table, ia, ib = _cross_pairs(model, matches, others)
        right = ib - len(matches)
        notified = np.array([r.status == Status.NOTIFIED for r in existing], dtype=np.bool_)
        near = notified[right]
        for row in set(ia[near].tolist()):
            rows[row].one_by_one = True  # completing a notification is decided one by one
        keep = ~near
        scored = score_table(table, ia[keep], ib[keep], model, threshold)
        for left, other, probability, weight in _pairs(scored):
            found.setdefault(left, []).append(
                (others[other - len(matches)].id, probability, weight)
            )
    table = Table(matches, model.settings)
    ia, ib = candidate_pairs(table)
    scored = score_table(table, ia, ib, model, threshold)
    for older, newer, probability, weight in _pairs(scored):
        if not (rows[older].one_by_one or rows[newer].one_by_one):
            found.setdefault(newer, []).append((rows[older].id, probability, weight))
    bound = {r.id: r.duplicate_of_id for r in existing}
    chosen: list[tuple[int, str, float, float]] = []
    for index, hits in sorted(found.items()):
        if rows[index].one_by_one:
            continue
        ids = {hit[0] for hit in hits}
        # As the look-up: a record bound as a duplicate of another hit is left out.
        for record_id, probability, weight in sorted(hits, key=lambda hit: (-hit[2], hit[0])):
            if bound.get(record_id) not in ids:
                chosen.append((index, record_id, probability, weight))
    explained = _explain(
        model, matches, others, {(matches[i].id, other) for i, other, *_ in chosen}
    )
    for index, record_id, probability, weight in chosen:
        candidate = explained.get((matches[index].id, record_id))
        if candidate is None:  # not met again in the smaller batch: weighed on its own
            by_id = {m.id: m for m in others} | {m.id: m for m in matches}
            candidate = dedupe.score_candidates(matches[index], [by_id[record_id]], model)[0]
        # The score is the batch's, as the look-up's (the explanation's field weights do not
        # depend on the batch's size; its prior may).
        candidate = replace(
            candidate,
            probability=probability,
            match_weight=weight,
            prior_weight=model.prior_weight,
        )
        rows[index].hits.append(_Hit(record_id, candidate))


def _pairs(scored: Any) -> Any:
    return zip(
        scored.left.tolist(),
        scored.right.tolist(),
        scored.probability.tolist(),
        scored.match_weight.tolist(),
        strict=True,
    )


def _explain(
    model: dedupe.Model,
    matches: Sequence[dedupe.Record],
    others: Sequence[dedupe.Record],
    wanted: set[tuple[str, str]],
) -> dict[tuple[str, str], dedupe.Candidate]:
    """Explanations of the ``(newer id, older id)`` pairs, built in one batch (as the scan's).

    The records of the pairs are matched again as one smaller batch, the file's rows latest
    first and then the register's, so that the newer record of each pair is on the left, as in
    the look-up. A pair not met again (a block still too large) is left out of the answer.
    """
    if not wanted:
        return {}
    involved = {record_id for pair in wanted for record_id in pair}
    batch = [m for m in reversed(matches) if m.id in involved]
    batch += [m for m in others if m.id in involved]
    found = dedupe.find_duplicates(batch, model, duplicates.REVIEW_THRESHOLD)
    return {(c.left_id, c.right_id): c for c in found if (c.left_id, c.right_id) in wanted}


def _link_births(session: Session, rows: list[_Row]) -> None:
    """Link each death to the birth record of the same person, as a declared death is."""
    deaths = [row for row in rows if not row.one_by_one]
    if not deaths:
        return
    matches = [_person(row, EventType.DEATH, EventType.BIRTH) for row in deaths]
    keys = _keys(EventType.BIRTH, matches)
    births = _neighbours(session, EventType.BIRTH, {k for ks in keys for k in ks})
    if not births:
        return
    model = duplicates.model(EventType.BIRTH, session)
    others = [
        dedupe.Record(r.id, duplicates.person_values(r.event_type, EventType.BIRTH, r, r.code))
        for r in births
    ]
    table, ia, ib = _cross_pairs(model, matches, others)
    right = ib - len(matches)
    notified = np.array([r.status == Status.NOTIFIED for r in births], dtype=np.bool_)
    near = notified[right]
    for row in set(ia[near].tolist()):
        deaths[row].one_by_one = True
    keep = ~near
    scored = score_table(table, ia[keep], ib[keep], model, duplicates.LINK_THRESHOLD)
    for left, other in zip(scored.left.tolist(), scored.right.tolist(), strict=True):  # best first
        birth = births[other - len(matches)]
        row = deaths[left]
        if birth.duplicate_of_id is None and row.birth_record_id is None:
            row.birth_record_id = birth.id


# -- writing --------------------------------------------------------------------------------


_RECORDS = Base.metadata.tables["records"]
_VERSIONS = Base.metadata.tables["record_versions"]


def _numbers(
    session: Session,
    settings: RegistrySettings,
    event_type: EventType,
    rows: list[_Row],
) -> dict[str, str]:
    """Registration numbers of the rows to register: one block per office and year, in the
    order of the file, from the counter row locked until the transaction ends."""
    groups: dict[tuple[int, int], list[_Row]] = {}
    for row in rows:
        if row.registers:
            assert row.office is not None and row.registered_on is not None
            groups.setdefault((row.office.id, row.registered_on.year), []).append(row)
    out: dict[str, str] = {}
    for (office_id, year), members in sorted(groups.items()):
        block = records.next_numbers(session, office_id, event_type, year, len(members))
        for row, seq in zip(members, block, strict=True):
            assert row.office is not None
            out[row.id] = format_registration_number(
                settings.number_format,
                office=row.office.code,
                event_type=event_type,
                year=year,
                seq=seq,
            )
    return out


def _store(
    session: Session,
    settings: RegistrySettings,
    actor: Actor,
    event_type: EventType,
    rows: list[_Row],
    progress: Callable[[int], None] | None,
) -> list[audit.BatchEvent]:
    """Insert the rows' records, versions, keys and suspected duplicates in batches; return
    their audit events, in the order a declaration and a registration write them."""
    if not rows:
        return []
    session.flush()
    numbers = _numbers(session, settings, event_type, rows)
    version_ids = next_ids(session, _VERSIONS, len(rows))
    start = utcnow()
    events: list[audit.BatchEvent] = []
    for first in range(0, len(rows), _CHUNK):
        chunk = rows[first : first + _CHUNK]
        record_rows, version_rows = [], []
        for offset, row in enumerate(chunk):
            # One microsecond apart: the file's order stays the order of receipt.
            at = start + timedelta(microseconds=first + offset)
            record_rows.append(_record_row(row, actor, event_type, numbers, at))
            version = _version_row(row, actor, at) | {"id": version_ids[first + offset]}
            version_rows.append(version)
            events.extend(_events(row, numbers.get(row.id), audit.content_hash(version)))
        insert_many(session, _RECORDS, record_rows)
        insert_many(session, _VERSIONS, version_rows)
        if progress:
            progress(len(chunk))
    key_rows = [{"record_id": row.id, "key": key} for row in rows for key in row.keys]
    insert_many(session, DedupeKey.__table__, key_rows)
    pairs = [
        {
            "id": new_uuid(),
            "record_id": row.id,
            "existing_id": hit.existing_id,
            "probability": hit.candidate.probability,
            "match_weight": hit.candidate.match_weight,
            "explanation": hit.candidate.explain(),
            "status": "open",
            "created_at": start,
        }
        for row in rows
        for hit in row.hits
    ]
    insert_many(session, DuplicateCandidate.__table__, pairs)
    return events


def _record_row(
    row: _Row, actor: Actor, event_type: EventType, numbers: dict[str, str], at: datetime
) -> dict[str, Any]:
    area = row.where.occurrence_area
    values: dict[str, Any] = {
        "id": row.id,
        "event_type": event_type.value,
        "status": Status.DECLARED.value,
        "version": 1,
        "area_id": area.id,
        "area_path": area.path,
        "event_date": row.typed["event_date"],
        "sex": row.typed["sex"],
        "created_by_id": actor.user_id,
        "created_at": at,
        "updated_at": at,
        "birth_record_id": row.birth_record_id,
    }
    if row.registers:
        assert row.office is not None and row.band is not None
        values |= {
            "status": Status.REGISTERED.value,
            "registration_number": numbers[row.id],
            "office_id": row.office.id,
            "registration_date": row.registered_on,
            "timeliness": row.band.value,
            "delayed_reason": LEGACY_REASON if row.band is Timeliness.DELAYED else None,
            "registered_by_id": actor.user_id,
        }
    return {c.key: values.get(c.key) for c in _RECORDS.columns}


def _version_row(row: _Row, actor: Actor, at: datetime) -> dict[str, Any]:
    """The first version's columns (``records._new_version`` stores the same) but its id."""
    values = {
        "record_id": row.id,
        "version": 1,
        "kind": "declaration",
        "created_at": at,
        "created_by_id": actor.user_id,
        "facts": records.stored_facts(row.facts),
        **row.typed,
    }
    return {c.key: values.get(c.key) for c in _VERSIONS.columns if c.key != "id"}


def _events(row: _Row, number: str | None, digest: str) -> list[audit.BatchEvent]:
    """What ``records.declare`` (with the look-up) and ``records.register`` audit."""
    out: list[audit.BatchEvent] = [("declare", row.id, None, {"content": {"1": digest}})]
    for hit in row.hits:
        details = {"existing": hit.existing_id, "probability": round(hit.candidate.probability, 4)}
        out.append(("duplicate_suspected", row.id, None, details))
    if row.birth_record_id is not None:
        out.append(("linked_birth", row.id, None, {"birth": row.birth_record_id}))
    if row.registers:
        assert row.band is not None
        reason = LEGACY_REASON if row.band is Timeliness.DELAYED else None
        details = {"registration_number": number, "timeliness": row.band.value}
        out.append(("register", row.id, reason, details))
    return out


def _one_by_one(
    session: Session,
    settings: RegistrySettings,
    actor: Actor,
    event_type: EventType,
    row: _Row,
    errors: list[tuple[int, str]],
    summary: ImportSummary,
) -> None:
    """Declare (and register) a checked row on the per-row path, in its own savepoint."""
    try:
        with session.begin_nested():
            record = records.declare(session, actor, event_type, row.facts)
            waiting = any(c.status == "open" for c in duplicates.for_record(session, record.id))
            if row.registered_on is None or record.status != Status.DECLARED or waiting:
                summary.declared += 1
                summary.flagged += waiting
                return
            records.register(
                session,
                settings,
                actor,
                event_type,
                record.id,
                reason=LEGACY_REASON,
                registration_date=row.registered_on,
            )
            summary.registered += 1
    except RegistryError as exc:
        reasons = _reasons(exc)
        errors.extend((row.line, reason) for reason in reasons)
        summary.rejected.append((row.line, "; ".join(reasons), row.raw))
