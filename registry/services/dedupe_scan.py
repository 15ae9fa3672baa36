"""``crvs dedupe scan``: the whole register re-keyed and re-scored on ``dedupe``'s batch path.

The per-declaration look-up (``services.duplicates``) asks the database for the records that
share a key with one record. A scan instead reads the current versions of every chosen record
in one streamed query (plain rows, no ORM objects), prepares them as one ``dedupe`` table,
lets the library find the candidate pairs of every block at once and score them in arrays, and
then writes in bulk: the blocking keys that changed, the new suspected duplicates with their
explanation, and one audit event per new suspected duplicate.

The same value mapping and the same model as the look-up apply, so a scan finds the pairs the
look-ups would have found. Pairs already stored (in either direction, whatever their status)
are left alone: a decided pair is never reopened. Pairs with a facility notification are left
to the declaration that completes it (a scan completes no notification). Two registered
records of one person are stored like any other pair: a registrar resolves them by cancelling
one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session, aliased

import dedupe
from dedupe.blocking import candidate_pairs, rule_keys
from dedupe.matching import score_table
from dedupe.records import Table
from registry.domain import EventType, Status
from registry.models import Area, DedupeKey, DuplicateCandidate, Record, RecordVersion
from registry.services import audit, duplicates, match_models
from registry.services.scoping import Actor
from registry.services.versions import IS_CURRENT

#: ``progress(stage, done, total)``: stages are ``reading``, ``scoring`` and ``storing``.
Progress = Callable[[str, int, int], None]
_READ_BATCH = 10_000
_WRITE_BATCH = 5_000  # rows or ids per statement (SQLite allows 32,766 parameters)

COLUMNS = (
    Record.id,
    Record.event_type,
    Record.status,
    Record.created_at,
    *duplicates.COMPARED_COLUMNS,
)


def _current(event_type: EventType) -> Any:
    """Current versions of the event type's records that can still be duplicates."""
    return (
        select(*COLUMNS)
        .join(RecordVersion, IS_CURRENT)
        .join(Area, Area.id == Record.area_id)
        .where(Record.event_type == event_type.value, Record.status != Status.REJECTED.value)
    )


def _in_area(area_path: str) -> Any:
    return Record.area_path.startswith(area_path, autoescape=True)


@dataclass
class Batch:
    """Records read for matching, in order of creation (oldest first)."""

    ids: list[str] = field(default_factory=list)
    records: list[dedupe.Record] = field(default_factory=list)
    created: list[datetime] = field(default_factory=list)
    notified: list[bool] = field(default_factory=list)

    def add(self, row: Any, as_type: EventType, strings: dict[str, str]) -> None:
        """Add a row of ``COLUMNS``, its values compared as a record of type ``as_type``."""
        values = duplicates.person_values(row.event_type, as_type, row, row.code)
        # Names come from small pools: one string object per distinct value keeps memory flat.
        shared = {k: None if v is None else strings.setdefault(v, v) for k, v in values.items()}
        self.ids.append(row.id)
        self.records.append(dedupe.Record(row.id, shared))
        self.created.append(row.created_at)
        self.notified.append(row.status == Status.NOTIFIED)

    def __len__(self) -> int:
        return len(self.ids)


def _read(
    session: Session,
    stmt: Any,
    as_type: EventType,
    batch: Batch,
    progress: Progress | None = None,
    total: int = 0,
) -> None:
    """Stream the rows of ``stmt`` into ``batch`` (server-side cursor, no ORM objects)."""
    strings: dict[str, str] = {}
    result = session.execute(stmt.execution_options(yield_per=_READ_BATCH))
    for partition in result.partitions():
        for row in partition:
            batch.add(row, as_type, strings)
        if progress is not None:
            progress("reading", len(batch), max(total, len(batch)))


def current_records(
    session: Session, event_type: EventType, area_path: str | None = None
) -> list[dedupe.Record]:
    """The comparable values of the current version of every record that can be matched."""
    stmt = _current(event_type).order_by(Record.created_at, Record.id)
    if area_path is not None:
        stmt = stmt.where(_in_area(area_path))
    batch = Batch()
    _read(session, stmt, event_type, batch)
    return batch.records


def _count(session: Session, event_type: EventType, area_path: str | None) -> int:
    stmt = select(func.count()).where(
        Record.event_type == event_type.value, Record.status != Status.REJECTED.value
    )
    if area_path is not None:
        stmt = stmt.where(_in_area(area_path))
    return session.scalar(stmt) or 0


# -- blocking keys -------------------------------------------------------------------------------


def refresh_keys(
    session: Session,
    event_type: EventType,
    ids: Sequence[str],
    table: Table,
    area_path: str | None = None,
) -> tuple[int, int]:
    """Make ``dedupe_keys`` hold exactly the current keys of ``ids`` (the rows of ``table``).

    The stored keys of the chosen records are read in one streamed query and compared with the
    fresh ones rule by rule; only the keys that changed are written. Keys of a record that is
    not among ``ids`` (declared since the records were read) are left alone. Returns (keys
    added, keys removed).
    """
    prefix = f"{event_type.value}|"
    rules = []
    for index in range(len(table.settings.blocking)):
        codes, strings = rule_keys(table, index)
        rules.append((codes, [prefix + s for s in strings]))
    seen = [np.zeros(len(ids), dtype=np.bool_) for _ in rules]
    row_of = {record_id: row for row, record_id in enumerate(ids)}
    stmt = (
        select(DedupeKey.id, DedupeKey.record_id, DedupeKey.key)
        .join(Record, Record.id == DedupeKey.record_id)
        .where(Record.event_type == event_type.value, Record.status != Status.REJECTED.value)
    )
    if area_path is not None:
        stmt = stmt.where(_in_area(area_path))
    stale: list[int] = []
    result = session.execute(stmt.execution_options(yield_per=_READ_BATCH * 5))
    for partition in result.partitions():
        for key_id, record_id, key in partition:
            row = row_of.get(record_id)
            if row is None:
                continue
            rule = _rule_index(key, prefix, len(rules))
            if rule is not None:
                codes, strings = rules[rule]
                code = int(codes[row])
                if code >= 0 and strings[code] == key and not seen[rule][row]:
                    seen[rule][row] = True
                    continue
            stale.append(key_id)
    for start in range(0, len(stale), _WRITE_BATCH):
        session.execute(
            delete(DedupeKey).where(DedupeKey.id.in_(stale[start : start + _WRITE_BATCH]))
        )
    added = 0
    for (codes, strings), found in zip(rules, seen, strict=True):
        missing = np.flatnonzero((codes >= 0) & ~found).tolist()
        for start in range(0, len(missing), _WRITE_BATCH):
            rows = [
                {"record_id": ids[row], "key": strings[int(codes[row])]}
                for row in missing[start : start + _WRITE_BATCH]
            ]
            session.execute(insert(DedupeKey), rows)
        added += len(missing)
    return added, len(stale)


def _rule_index(key: str, prefix: str, rules: int) -> int | None:
    if not key.startswith(prefix):
        return None
    head = key[len(prefix) : key.find(":", len(prefix))]
    return int(head) if head.isdigit() and int(head) < rules else None


# -- the scan ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScanResult:
    event_type: EventType
    records: int  # records chosen (in the area when one was given)
    compared: int  # records in the batch (with those outside the area sharing a key)
    pairs: int  # candidate pairs scored
    found: int  # pairs at or above the review threshold
    new: int  # new suspected duplicates stored
    keys_added: int
    keys_removed: int
    linked: int = 0  # deaths linked to the birth record of the same person


def _neighbours(event_type: EventType, area_path: str) -> Any:
    """Records outside the area that share a stored key with a record inside it."""
    inside = aliased(Record)
    mine = (
        select(DedupeKey.key)
        .join(inside, inside.id == DedupeKey.record_id)
        .where(inside.event_type == event_type.value, _area_of(inside, area_path))
    )
    sharing = select(DedupeKey.record_id).where(DedupeKey.key.in_(mine)).distinct()
    return _current(event_type).where(Record.id.in_(sharing), ~_in_area(area_path))


def _area_of(alias: Any, area_path: str) -> Any:
    return alias.area_path.startswith(area_path, autoescape=True)


def _paired(session: Session, event_type: EventType) -> set[tuple[str, str]]:
    """Every stored pair of the event type, whatever its status, in both directions."""
    newer = aliased(Record)
    rows = session.execute(
        select(DuplicateCandidate.record_id, DuplicateCandidate.existing_id)
        .join(newer, newer.id == DuplicateCandidate.record_id)
        .where(newer.event_type == event_type.value)
    )
    out: set[tuple[str, str]] = set()
    for a, b in rows:
        out.add((a, b))
        out.add((b, a))
    return out


def scan(
    session: Session,
    event_type: EventType,
    *,
    area_path: str | None = None,
    actor: Actor | None = None,
    username: str | None = None,
    progress: Progress | None = None,
) -> ScanResult:
    """Re-key the chosen records and store the suspected duplicates found among them; link
    deaths to the birth records of the same people.

    ``area_path`` chooses the records of an area's subtree; they are compared with each other
    and with the records elsewhere that share a blocking key with one of them.
    """
    result = _scan_pairs(session, event_type, area_path, actor, username, progress)
    if event_type is EventType.DEATH:
        linked = link_births(session, area_path=area_path, actor=actor, username=username)
        result = replace(result, linked=linked)
    return result


def _scan_pairs(
    session: Session,
    event_type: EventType,
    area_path: str | None,
    actor: Actor | None,
    username: str | None,
    progress: Progress | None,
) -> ScanResult:
    match_models.active(session, event_type, fresh=True)
    model = duplicates.model(event_type, session)
    keyed = duplicates.hand_set(event_type).settings  # the look-up's keys come from these
    stmt = _current(event_type)
    if area_path is not None:
        stmt = stmt.where(_in_area(area_path))
    total = _count(session, event_type, area_path)
    batch = Batch()
    _read(session, stmt.order_by(Record.created_at, Record.id), event_type, batch, progress, total)
    chosen = len(batch)
    inside = np.ones(chosen, dtype=np.bool_)
    if area_path is None:
        table = Table(batch.records, model.settings)
        same = model.settings.blocking == keyed.blocking
        added, removed = refresh_keys(
            session, event_type, batch.ids, table if same else Table(batch.records, keyed)
        )
    else:
        # The area's keys first: the records elsewhere are found through them.
        added, removed = refresh_keys(
            session, event_type, batch.ids, Table(batch.records, keyed), area_path
        )
        session.flush()
        _read(session, _neighbours(event_type, area_path), event_type, batch)
        order = sorted(range(len(batch)), key=lambda i: (batch.created[i], batch.ids[i]))
        batch = Batch(
            [batch.ids[i] for i in order],
            [batch.records[i] for i in order],
            [batch.created[i] for i in order],
            [batch.notified[i] for i in order],
        )
        inside = np.array([i < chosen for i in order], dtype=np.bool_)
        table = Table(batch.records, model.settings)
    session.flush()

    ia, ib = candidate_pairs(table)
    scored = score_table(
        table,
        ia,
        ib,
        model,
        duplicates.REVIEW_THRESHOLD,
        progress=None if progress is None else lambda done, n: progress("scoring", done, n),
    )
    notified = np.array(batch.notified, dtype=np.bool_)
    keep = ~notified[scored.left] & ~notified[scored.right]
    keep &= inside[scored.left] | inside[scored.right]
    # Rows are in order of creation: the later row of a pair is the newer declaration.
    older, newer = scored.left[keep].tolist(), scored.right[keep].tolist()
    weights, probabilities = scored.match_weight[keep].tolist(), scored.probability[keep].tolist()
    paired = _paired(session, event_type)
    fresh: dict[tuple[int, int], tuple[float, float]] = {}
    for old, new, weight, probability in zip(older, newer, weights, probabilities, strict=True):
        if (batch.ids[new], batch.ids[old]) not in paired:
            fresh[(new, old)] = (probability, weight)
    stored = _store(session, actor, username, batch, fresh, model, progress)
    return ScanResult(event_type, chosen, len(batch), len(ia), len(older), stored, added, removed)


def link_births(
    session: Session,
    *,
    area_path: str | None = None,
    actor: Actor | None = None,
    username: str | None = None,
) -> int:
    """Link each death not yet linked to the birth record of the same person (as a declared
    death is), matched in one batch against the register's births. Returns the links made."""
    deaths = (
        _current(EventType.DEATH)
        .where(Record.birth_record_id.is_(None), Record.status != Status.NOTIFIED.value)
        .order_by(Record.created_at, Record.id)
    )
    if area_path is not None:
        deaths = deaths.where(_in_area(area_path))
    left = Batch()
    _read(session, deaths, EventType.BIRTH, left)  # a death compared as a person
    if not len(left):
        return 0
    right = Batch()
    _read(
        session,
        _current(EventType.BIRTH).order_by(Record.created_at, Record.id),
        EventType.BIRTH,
        right,
    )
    if not len(right):
        return 0
    found = dedupe.link(
        left.records,
        right.records,
        duplicates.model(EventType.BIRTH, session),
        duplicates.LINK_THRESHOLD,
    )
    best: dict[str, str] = {}
    for candidate in found:  # best first
        best.setdefault(candidate.left_id, candidate.right_id)
    rows = [{"id": death, "birth_record_id": birth} for death, birth in sorted(best.items())]
    for start in range(0, len(rows), _WRITE_BATCH):
        session.execute(update(Record), rows[start : start + _WRITE_BATCH])
    for row in rows:
        audit.record(
            session,
            actor,
            "linked_birth",
            record_id=row["id"],
            username=username,
            details={"birth": row["birth_record_id"], "scan": True},
        )
    session.flush()
    return len(rows)


def _store(
    session: Session,
    actor: Actor | None,
    username: str | None,
    batch: Batch,
    fresh: dict[tuple[int, int], tuple[float, float]],
    model: dedupe.Model,
    progress: Progress | None,
) -> int:
    """Explain and insert the new ``(newer, older) -> (probability, weight)`` pairs in bulk,
    with one audit event each; the probability is the batch scoring's, as the look-up's."""
    explained = _explain(batch, set(fresh), model)
    rows: list[dict[str, Any]] = []
    for done, ((new, old), (probability, weight)) in enumerate(sorted(fresh.items()), start=1):
        candidate = explained.get((new, old))
        if candidate is None:  # not met again in the smaller batch: weighed on its own
            candidate = dedupe.score_candidates(batch.records[new], [batch.records[old]], model)[0]
        rows.append(
            {
                "record_id": batch.ids[new],
                "existing_id": batch.ids[old],
                "probability": probability,
                "match_weight": weight,
                "explanation": candidate.explain(),
                "status": "open",
            }
        )
        audit.record(
            session,
            actor,
            "duplicate_suspected",
            record_id=batch.ids[new],
            username=username,
            details={
                "existing": batch.ids[old],
                "probability": round(probability, 4),
                "scan": True,
            },
        )
        if len(rows) >= _WRITE_BATCH:
            session.execute(insert(DuplicateCandidate), rows)
            rows = []
            if progress is not None:
                progress("storing", done, len(fresh))
    if rows:
        session.execute(insert(DuplicateCandidate), rows)
    if progress is not None and fresh:
        progress("storing", len(fresh), len(fresh))
    session.flush()
    return len(fresh)


def _explain(
    batch: Batch, wanted: set[tuple[int, int]], model: dedupe.Model
) -> dict[tuple[int, int], dedupe.Candidate]:
    """Explanations of the ``(newer row, older row)`` pairs, built in one batch.

    The records of the pairs are matched again as one smaller batch, newest first so that the
    newer record is on the left, as in the look-up. A pair not met again (a block that is still
    large) is left out of the answer. Only the field-by-field explanation is taken from here
    (the field weights do not depend on the batch's size, a prior rescaled to it might).
    """
    rows = sorted({row for pair in wanted for row in pair}, reverse=True)
    if not rows:
        return {}
    row_of = {batch.ids[row]: row for row in rows}
    found = dedupe.find_duplicates(
        [batch.records[row] for row in rows], model, duplicates.REVIEW_THRESHOLD
    )
    out = {}
    for candidate in found:
        pair = (row_of[candidate.left_id], row_of[candidate.right_id])
        if pair in wanted:
            out[pair] = candidate
    return out
