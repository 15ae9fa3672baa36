"""Approval of delayed registrations by a registrar of a higher area level.

A registration beyond the late period (``Timeliness.DELAYED``) is registered only after a
registrar whose area is at ``DELAYED_APPROVAL_LEVEL`` (or above) and covers the record approved
the record's current version; an amendment after the approval needs a new one.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import messages
from registry.domain import EventType, Role, Status, Timeliness, today
from registry.errors import Conflict, NotFound, PermissionDenied
from registry.models import Area, DelayedApproval, Record
from registry.services import audit
from registry.services.scoping import Actor, ensure_covers, require_role
from registry.services.settings import RegistrySettings


def needs_approval_message(level: str) -> str:
    return messages.NEEDS_APPROVAL.format(level=level)


def is_delayed(settings: RegistrySettings, record: Record) -> bool:
    """Whether registering the record today would be a delayed registration."""
    if record.event_date is None:
        return False
    band = settings.periods(EventType(record.event_type)).band(record.event_date, today())
    return band is Timeliness.DELAYED


def approval_of(session: Session, record: Record) -> DelayedApproval | None:
    """The approval of the record's current version, if any."""
    stmt = select(DelayedApproval).where(
        DelayedApproval.record_id == record.id, DelayedApproval.record_version == record.version
    )
    return session.scalars(stmt).first()


def ensure_approved(session: Session, settings: RegistrySettings, record: Record) -> None:
    """Raise ``Conflict`` when a delayed registration of this version was not approved."""
    if approval_of(session, record) is None:
        raise Conflict(needs_approval_message(settings.delayed_approval_level))


def approver_area_path(session: Session, settings: RegistrySettings, record: Record) -> str:
    """The path of the record's area at the approval level (its root when it has none)."""
    stmt = select(Area.path).where(
        Area.level == settings.delayed_approval_level,
        Area.path.in_(_ancestors(record.area_path)),
    )
    found = session.scalars(stmt).first()
    return found if found is not None else _ancestors(record.area_path)[0]


def _ancestors(path: str) -> list[str]:
    """``/DL/R1/D11/`` -> ``['/DL/', '/DL/R1/', '/DL/R1/D11/']``."""
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def may_approve(session: Session, settings: RegistrySettings, actor: Actor, record: Record) -> bool:
    """Whether the actor is a registrar whose area is at the approval level or above it, over
    the record."""
    if actor.role is not Role.REGISTRAR:
        return False
    return approver_area_path(session, settings, record).startswith(actor.area_path)


def approve(
    session: Session,
    settings: RegistrySettings,
    actor: Actor,
    event_type: EventType,
    record_id: str,
    note: str | None = None,
) -> Record:
    """Approve the registration of the record's current version (it must be delayed)."""
    require_role(actor, (Role.REGISTRAR,))
    stmt = select(Record).where(Record.id == record_id).with_for_update()
    record = session.scalars(stmt.execution_options(populate_existing=True)).first()
    if record is None or record.event_type != event_type:
        raise NotFound(f"No {event_type.value} record {record_id}.")
    ensure_covers(actor, record.area_path)
    if record.status != Status.DECLARED:
        raise Conflict(messages.NOT_AWAITING.format(status=record.status))
    if not is_delayed(settings, record):
        raise Conflict(messages.NOT_DELAYED)
    if not may_approve(session, settings, actor, record):
        raise PermissionDenied(needs_approval_message(settings.delayed_approval_level))
    if approval_of(session, record) is not None:
        return record
    approval = DelayedApproval(
        record_id=record.id,
        record_version=record.version,
        approved_by_id=actor.user_id,
        note=note,
    )
    session.add(approval)
    session.flush()
    audit.record(
        session,
        actor,
        "approve_delayed",
        record_id=record.id,
        reason=note,
        details={"version": record.version},
    )
    return record
