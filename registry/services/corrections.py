"""Corrections by four eyes: one registrar requests, a second approves or refuses.

A request keeps the changes, the reason, the evidence and who asked; it is checked against the
record when made (so a requester sees field errors at once) and applied when approved, as a new
version whose ``created_by`` and ``approved_by`` are the approver (see ``records.correct``).
With ``CORRECTION_APPROVAL = "self"`` the requester may approve their own request.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry import messages
from registry.db import utcnow
from registry.domain import EventType, Role
from registry.errors import Conflict, NotFound, PermissionDenied
from registry.models import CorrectionRequest, Record, User
from registry.services import audit, records
from registry.services.scoping import Actor, ensure_covers, require_role
from registry.services.settings import RegistrySettings

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
STATUSES = (PENDING, APPROVED, REJECTED)
OWN_REQUEST = messages.OWN_CORRECTION


def request(
    session: Session,
    actor: Actor,
    event_type: EventType,
    record_id: str,
    *,
    changes: dict[str, Any],
    reason: str,
    evidence: str,
    requested_by: str | None = None,
    load: records.FactsLoader,
) -> CorrectionRequest:
    """Ask for a correction of a registered record; it waits for a registrar's approval.
    ``load`` checks the corrected facts (``records.FactsLoader``)."""
    record = records.check_correction(session, actor, event_type, record_id, changes, load=load)
    pending = CorrectionRequest(
        record_id=record.id,
        event_type=event_type.value,
        area_path=record.area_path,
        base_version=record.version,
        changes=changes,
        reason=reason,
        evidence=evidence,
        requested_by=requested_by or actor.full_name,
        requester_id=actor.user_id,
        status=PENDING,
        created_at=utcnow(),
    )
    session.add(pending)
    session.flush()
    audit.record(
        session,
        actor,
        "request_correction",
        record_id=record.id,
        reason=reason,
        details={"correction": pending.id},
    )
    return pending


def changes_to(
    session: Session, actor: Actor, event_type: EventType, record_id: str, facts: dict[str, Any]
) -> dict[str, Any]:
    """The ``changes`` of a correction that makes a record read ``facts``: all of its facts, as
    the record's schema loads them from the correction form. Values the form cleared change to
    ``None``; facts that leave the record as it is are a field error of ``changes``."""
    require_role(actor, (Role.REGISTRAR,))
    record = session.get(Record, record_id)
    if record is None or record.event_type != event_type:
        raise NotFound(f"No {event_type.value} record {record_id}.")
    ensure_covers(actor, record.area_path)
    new = records.stored_facts(facts)
    current = records.current_version(session, record).facts
    old = {k: v for k, v in current.items() if k not in records.NOT_FACTS}
    records.ensure_changed(old, new)
    return _changes_between(old, new)


def _changes_between(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """New values, and ``None`` for values gone, nested as the facts are."""
    changes: dict[str, Any] = {}
    for key in set(old) | set(new):
        before, after = old.get(key), new.get(key)
        if isinstance(before, dict) and isinstance(after, dict):
            inner = _changes_between(before, after)
            if inner:
                changes[key] = inner
        elif before != after:
            changes[key] = after
    return changes


def get(
    session: Session, actor: Actor, request_id: str, *, lock: bool = False
) -> CorrectionRequest:
    require_role(actor, (Role.REGISTRAR,))
    stmt = select(CorrectionRequest).where(CorrectionRequest.id == request_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    found = session.scalars(stmt).first()
    if found is None:
        raise NotFound(f"No correction request {request_id}.")
    ensure_covers(actor, found.area_path)
    return found


def approve(
    session: Session,
    settings: RegistrySettings,
    actor: Actor,
    request_id: str,
    *,
    load: records.FactsLoader,
) -> CorrectionRequest:
    """Apply a pending correction: a new version of the record, approved by the actor (its
    facts checked again by ``load``: see ``records.FactsLoader``)."""
    require_role(actor, (Role.REGISTRAR,))
    pending = get(session, actor, request_id, lock=True)
    _ensure_pending(pending)
    if settings.correction_approval != "self" and pending.requester_id == actor.user_id:
        raise PermissionDenied(OWN_REQUEST)
    record = records.correct(
        session,
        settings,
        actor,
        EventType(pending.event_type),
        pending.record_id,
        changes=pending.changes,
        reason=pending.reason,
        evidence=pending.evidence,
        requested_by=pending.requested_by,
        expected_version=pending.base_version,
        load=load,
    )
    pending.status = APPROVED
    pending.decided_by_id = actor.user_id
    pending.decided_at = utcnow()
    pending.version = record.version
    session.flush()
    audit.record(
        session,
        actor,
        "approve_correction",
        record_id=record.id,
        details={"correction": pending.id, "version": record.version},
    )
    return pending


def reject(session: Session, actor: Actor, request_id: str, reason: str) -> CorrectionRequest:
    """Reject a pending correction, with the reason; the record stays as it is."""
    require_role(actor, (Role.REGISTRAR,))
    pending = get(session, actor, request_id, lock=True)
    _ensure_pending(pending)
    pending.status = REJECTED
    pending.decided_by_id = actor.user_id
    pending.decided_at = utcnow()
    pending.rejection_reason = reason
    session.flush()
    audit.record(
        session,
        actor,
        "reject_correction",
        record_id=pending.record_id,
        reason=reason,
        details={"correction": pending.id},
    )
    return pending


def _ensure_pending(pending: CorrectionRequest) -> None:
    if pending.status != PENDING:
        raise Conflict(messages.CORRECTION_DECIDED.format(status=pending.status))


def as_document(session: Session, pending: CorrectionRequest) -> dict[str, Any]:
    names = dict(
        session.execute(
            select(User.id, User.username).where(
                User.id.in_([pending.requester_id, pending.decided_by_id or 0])
            )
        ).all()
    )
    return {
        "id": pending.id,
        "record_id": pending.record_id,
        "event_type": pending.event_type,
        "status": pending.status,
        "base_version": pending.base_version,
        "changes": pending.changes,
        "reason": pending.reason,
        "evidence": pending.evidence,
        "requested_by": pending.requested_by,
        "requester": names.get(pending.requester_id),
        "created_at": pending.created_at,
        "decided_by": names.get(pending.decided_by_id) if pending.decided_by_id else None,
        "decided_at": pending.decided_at,
        "rejection_reason": pending.rejection_reason,
        "version": pending.version,
    }


def listing(
    session: Session, actor: Actor, status: str | None, page: int, per_page: int
) -> dict[str, Any]:
    """Correction requests of the actor's area, oldest first (registrars)."""
    require_role(actor, (Role.REGISTRAR,))
    stmt = select(CorrectionRequest).where(
        CorrectionRequest.area_path.startswith(actor.area_path, autoescape=True)
    )
    if status:
        stmt = stmt.where(CorrectionRequest.status == status)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(CorrectionRequest.created_at, CorrectionRequest.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return {
        "items": [as_document(session, r) for r in rows],
        "total": total,
        "page": page,
        "per_page": per_page,
    }


def pending_for(session: Session, record_id: str) -> list[CorrectionRequest]:
    stmt = select(CorrectionRequest).where(
        CorrectionRequest.record_id == record_id, CorrectionRequest.status == PENDING
    )
    return list(session.scalars(stmt.order_by(CorrectionRequest.created_at)))
