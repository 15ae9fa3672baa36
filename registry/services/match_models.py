"""Matching models learnt from the register: stored versions, the active one, and its cache.

``crvs dedupe train`` learns weights from the register's current records (``dedupe.train``)
and stores them as a new version of the event type's model, which becomes the active one. The
duplicate look-up on each declaration and ``crvs dedupe scan`` then use it; until a register
has enough records to learn from, the hand-set weights in ``services.duplicates`` stay.

The look-up runs on every declaration, so the active model is kept per process and per
database: it is re-read only when ``RECHECK_SECONDS`` have passed since the last check (one
short indexed statement), so a worker takes up a newly trained model within that time and the
common declaration runs no extra statement at all.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, select, update
from sqlalchemy.orm import Session

import dedupe
from registry import messages
from registry.domain import EventType
from registry.errors import Conflict
from registry.models import MatchModel
from registry.services import audit
from registry.services.scoping import Actor

#: Seconds a process trusts its cached active model before checking the version again.
RECHECK_SECONDS = 30.0


@dataclass(frozen=True)
class _Cached:
    checked: float
    stamp: tuple[int, int] | None  # (id, version) of the active row
    model: dedupe.Model | None


_CACHE: dict[tuple[Engine, str], _Cached] = {}

ACTIVE = select(MatchModel.id, MatchModel.version).where(
    MatchModel.event_type == bindparam("event_type"), MatchModel.active.is_(True)
)


def _database(session: Session) -> Engine:
    bind = session.get_bind()
    return bind.engine if isinstance(bind, Connection) else bind


def active(session: Session, event_type: EventType, *, fresh: bool = False) -> dedupe.Model | None:
    """The active stored model of ``event_type``, or ``None`` when the register has none.

    Cached per process and database; re-checked after ``RECHECK_SECONDS`` or when ``fresh``.
    """
    key = (_database(session), event_type.value)
    now = time.monotonic()
    hit = _CACHE.get(key)
    if hit is not None and not fresh and now - hit.checked < RECHECK_SECONDS:
        return hit.model
    row = session.connection().execute(ACTIVE, {"event_type": event_type.value}).first()
    stamp = None if row is None else (int(row.id), int(row.version))
    if hit is not None and hit.stamp == stamp:
        model = hit.model
    elif row is None:
        model = None
    else:
        stored = session.get(MatchModel, row.id)
        assert stored is not None
        model = dedupe.Model.from_dict(json.loads(stored.model))
    _CACHE[key] = _Cached(now, stamp, model)
    return model


def forget() -> None:
    """Drop every cached model (the next look-up reads the active version again)."""
    _CACHE.clear()


def training_settings(base: Mapping[str, Any]) -> dedupe.Settings:
    """The hand-set settings without their weights and prior, so that both are learnt."""
    fields = [{k: v for k, v in spec.items() if k != "weights"} for spec in base["fields"]]
    data = {k: v for k, v in base.items() if k not in ("fields", "prior")}
    return dedupe.Settings.from_dict({**data, "fields": fields})


def train(
    session: Session,
    actor: Actor | None,
    event_type: EventType,
    base: Mapping[str, Any],
    records: Sequence[dedupe.Record],
    *,
    min_records: int,
    username: str | None = None,
) -> MatchModel:
    """Learn a model from ``records`` and store it as the new active version of the event type.

    Raises:
        Conflict: When there are fewer than ``min_records`` records (the hand-set weights stay).
    """
    if len(records) < min_records:
        raise Conflict(messages.TOO_FEW_RECORDS.format(count=len(records), needed=min_records))
    learnt = dedupe.train(records, training_settings(base))
    last = session.scalar(
        select(func.max(MatchModel.version)).where(MatchModel.event_type == event_type.value)
    )
    session.execute(
        update(MatchModel)
        .where(MatchModel.event_type == event_type.value, MatchModel.active.is_(True))
        .values(active=False)
    )
    stored = MatchModel(
        event_type=event_type.value,
        version=(last or 0) + 1,
        created_by_id=actor.user_id if actor else None,
        source=learnt.source,
        n_records=len(records),
        model=json.dumps(learnt.to_dict(), separators=(",", ":")),
        active=True,
    )
    session.add(stored)
    session.flush()
    audit.record(
        session,
        actor,
        "match_model_trained",
        username=username,
        details={
            "event_type": event_type.value,
            "version": stored.version,
            "n_records": stored.n_records,
            "source": stored.source,
        },
    )
    _CACHE[(_database(session), event_type.value)] = _Cached(
        time.monotonic(), (stored.id, stored.version), learnt
    )
    return stored


def versions(session: Session, event_type: EventType | None = None) -> list[MatchModel]:
    """Stored model versions, newest first within each event type."""
    stmt = select(MatchModel).order_by(MatchModel.event_type, MatchModel.version.desc())
    if event_type is not None:
        stmt = stmt.where(MatchModel.event_type == event_type.value)
    return list(session.scalars(stmt))
