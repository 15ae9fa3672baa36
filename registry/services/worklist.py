"""The work queue: what waits in the actor's area, oldest first, with why it waits.

Each item says how long it has waited since the registry received it, where the event took
place in words (the facility's name, else the area's), and what holds it: an undecided
suspected duplicate, or a delayed registration still waiting for the approval of a registrar of
``DELAYED_APPROVAL_LEVEL``. A rejection reason that names another record (by its registration
number or its id, as a duplicate decision does) comes with that record, when the actor may open
it, so the page can link to it.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from registry.domain import EventType, Status, Timeliness, today
from registry.models import Area, CorrectionRequest, DelayedApproval, Facility, Record
from registry.models import RecordVersion as Version
from registry.services import corrections, duplicates
from registry.services.scoping import Actor, scoped
from registry.services.settings import RegistrySettings
from registry.services.versions import IS_CURRENT

#: A record id as the registry writes it (a UUID).
_RECORD_ID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I)
#: Something that may be a registration number: letters and digits joined by hyphens, a digit in.
_SEGMENT = r"[A-Za-z0-9_](?:[A-Za-z0-9_.]*[A-Za-z0-9_])?"
_NUMBER = re.compile(rf"(?<![\w.-]){_SEGMENT}(?:-{_SEGMENT})+(?![\w-]|\.\w)")

_FACILITY = aliased(Facility)


def _waiting_days(received: datetime, now: datetime) -> int:
    if received.tzinfo is None:  # SQLite gives naive UTC
        received = received.replace(tzinfo=UTC)
    return max(0, (now - received).days)


def items(
    session: Session,
    settings: RegistrySettings,
    actor: Actor,
    event_type: EventType,
    status: Status,
    limit: int,
) -> dict[str, Any]:
    """The ``limit`` oldest records of one type and status in the actor's area, and how many
    there are (``{"items": [...], "total": n}``)."""
    approved = exists().where(
        DelayedApproval.record_id == Record.id, DelayedApproval.record_version == Record.version
    )
    base = scoped(select(Record.id), actor).where(
        Record.event_type == event_type, Record.status == status
    )
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    stmt = (
        scoped(
            select(
                Record.id,
                Record.created_at,
                Record.rejection_reason,
                Version.event_date,
                Version.given_names,
                Version.family_name,
                Area.code.label("area_code"),
                Area.name.label("area_name"),
                _FACILITY.name.label("facility_name"),
                duplicates.open_count(Record.id, Record).label("pending"),
                approved.label("approved"),
            ),
            actor,
        )
        .join(Version, IS_CURRENT)
        .join(Area, Area.id == Record.area_id)
        .outerjoin(_FACILITY, _FACILITY.id == Version.facility_id)
        .where(Record.event_type == event_type, Record.status == status)
        .order_by(Record.created_at, Record.id)
        .limit(limit)
    )
    rows = session.execute(stmt).all()
    now, on = datetime.now(UTC), today()
    periods = settings.periods(event_type)
    found = []
    for row in rows:
        delayed = status == Status.DECLARED and _delayed(periods, row.event_date, on)
        found.append(
            {
                "id": row.id,
                "event_type": event_type.value,
                "status": status.value,
                "given_names": row.given_names,
                "family_name": row.family_name,
                "event_date": row.event_date,
                "area_code": row.area_code,
                "area_name": row.area_name,
                "facility_name": row.facility_name,
                "received_at": row.created_at,
                "waiting_days": _waiting_days(row.created_at, now),
                "duplicate_pending": bool(row.pending),
                "needs_approval": delayed and not row.approved,
                "rejection_reason": row.rejection_reason,
            }
        )
    _link_reasons(session, actor, found)
    return {"items": found, "total": total}


def _delayed(periods: Any, event_date: date | None, on: date) -> bool:
    return event_date is not None and periods.band(event_date, on) is Timeliness.DELAYED


def _link_reasons(session: Session, actor: Actor, found: list[dict[str, Any]]) -> None:
    """Give each item ``reason_parts``: its rejection reason as ``(text, record)`` pieces, where
    ``record`` (``{"id", "event_type"}``) is the record a piece names, or None."""
    ids: set[str] = set()
    numbers: set[str] = set()
    for item in found:
        reason = item["rejection_reason"] or ""
        ids |= {m.lower() for m in _RECORD_ID.findall(reason)}
        numbers |= {m for m in _NUMBER.findall(reason) if any(c.isdigit() for c in m)}
    named: dict[str, dict[str, str]] = {}
    if ids or numbers:
        spellings = numbers | {n.upper() for n in numbers}
        stmt = scoped(
            select(Record.id, Record.registration_number, Record.event_type), actor
        ).where(or_(Record.id.in_(sorted(ids)), Record.registration_number.in_(sorted(spellings))))
        for record_id, number, event_type in session.execute(stmt):
            target = {"id": record_id, "event_type": event_type}
            named[record_id.lower()] = target
            if number:
                named[number.upper()] = target
    for item in found:
        item["reason_parts"] = _parts(item["rejection_reason"] or "", named)


def _parts(reason: str, named: dict[str, dict[str, str]]) -> list[tuple[str, Any]]:
    parts: list[tuple[str, Any]] = []
    at = 0
    hits = sorted(
        [(m.start(), m.end()) for m in _RECORD_ID.finditer(reason)]
        + [(m.start(), m.end()) for m in _NUMBER.finditer(reason)]
    )
    for start, end in hits:
        if start < at:
            continue
        target = named.get(reason[start:end].upper()) or named.get(reason[start:end].lower())
        if target is None:
            continue
        if start > at:
            parts.append((reason[at:start], None))
        parts.append((reason[start:end], target))
        at = end
    if at < len(reason):
        parts.append((reason[at:], None))
    return parts


def pending_corrections(session: Session, actor: Actor) -> dict[str, Any]:
    """How many correction requests of the actor's area wait for approval, and since when the
    oldest has waited (days), for the queue's pointer to the correction queue."""
    stmt = select(func.count(), func.min(CorrectionRequest.created_at)).where(
        CorrectionRequest.area_path.startswith(actor.area_path, autoescape=True),
        CorrectionRequest.status == corrections.PENDING,
    )
    count, oldest = session.execute(stmt).one()
    waiting = _waiting_days(oldest, datetime.now(UTC)) if oldest is not None else None
    return {"total": count or 0, "oldest_waiting_days": waiting}
