"""What offline capture asks of the registry: the reference data a clerk's forms need, and
whether a declaration sent from an outbox is a suspected duplicate (masked, no full names).

No record leaves through here: the reference data are areas and facilities of the actor's
subtree; a duplicate answer shows initials, the event's month and the area of the candidate.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.domain import EventType
from registry.errors import NotFound
from registry.models import Area, Facility, Record
from registry.services import duplicates, records
from registry.services.scoping import Actor, ensure_covers, require_role, scoped_areas

MASK = "•••"


def reference_data(session: Session, actor: Actor) -> dict[str, Any]:
    """Areas and facilities of the actor's area subtree (the codes the forms accept there)."""
    require_role(actor, records.DECLARERS)
    areas = session.scalars(scoped_areas(select(Area), actor).order_by(Area.path)).all()
    stmt = (
        select(Facility, Area.code).join(Area, Area.id == Facility.area_id).order_by(Facility.code)
    )
    facilities = session.execute(scoped_areas(stmt, actor)).all()
    return {
        "area_code": actor.area_code,
        "areas": [{"code": a.code, "name": a.name, "level": a.level} for a in areas],
        "facilities": [
            {"code": f.code, "name": f.name, "kind": f.kind, "area_code": code}
            for f, code in facilities
        ],
    }


def _initial(name: str | None) -> str | None:
    return f"{name.strip()[0]}{MASK}" if name and name.strip() else None


def masked_duplicates(
    session: Session, actor: Actor, event_type: EventType, record_id: str
) -> dict[str, Any]:
    """The open suspected duplicates of a record in the actor's area, each candidate masked:
    initials, the month of the event, its area and the score; never names or identifiers."""
    require_role(actor, records.DECLARERS)
    record = session.get(Record, record_id)
    if record is None or record.event_type != event_type:
        raise NotFound(f"No {event_type.value} record {record_id}.")
    ensure_covers(actor, record.area_path)
    found = []
    for candidate in duplicates.for_record(session, record_id):
        if candidate.status != "open":
            continue
        existing = candidate.existing
        version = records.current_version(session, existing)
        found.append(
            {
                "given_names": _initial(version.given_names),
                "family_name": _initial(version.family_name),
                "event_month": version.event_date.strftime("%Y-%m"),
                "area_code": existing.area.code,
                "status": existing.status,
                "probability": round(candidate.probability, 2),
            }
        )
    return {"record_id": record_id, "open": len(found), "candidates": found}
