"""Cancelling a registered duplicate: one person, one live registration.

When two registered records are of one person (a scan found the pair, or a decision was
wrong), a registrar whose area covers both cancels one of them: it becomes ``cancelled``,
"duplicate of NUMBER", through a new version with the reason and evidence; its number stays
with it (never given again); every certificate issued from it is revoked with the reason
``cancelled registration``, so verification says so. Statistics count registered records only,
so the person is counted once.

This lives apart from ``duplicates`` and ``records`` because it joins them with
``certificates`` (which itself reads records).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.db import utcnow
from registry.errors import ValidationFailed
from registry.models import DuplicateCandidate, IssuedCertificate, Record
from registry.services import certificates, duplicates, records
from registry.services.scoping import Actor

#: The revocation reason of a cancelled registration's certificates (verification shows it).
REVOCATION_REASON = "cancelled registration"
SIDES = ("record", "existing")


def cancel(
    session: Session,
    actor: Actor,
    candidate_id: str,
    *,
    side: str = "record",
    reason: str,
    evidence: str,
    requested_by: str | None = None,
) -> tuple[DuplicateCandidate, Record]:
    """Cancel one registered record of a pair (``side``: ``record``, the newer, by default,
    or ``existing``); the other is kept. Returns the pair, decided ``duplicate``, and the
    cancelled record."""
    if side not in SIDES:
        raise ValidationFailed(errors={"cancel": [f"Must be one of {', '.join(SIDES)}."]})
    candidate = duplicates.get_to_decide(session, actor, candidate_id)
    cancelled, kept = (
        (candidate.record, candidate.existing)
        if side == "record"
        else (candidate.existing, candidate.record)
    )
    record = records.cancel_registration(
        session,
        actor,
        cancelled.id,
        kept,
        reason=reason,
        evidence=evidence,
        requested_by=requested_by,
    )
    candidate.status = "duplicate"
    candidate.decided_by_id = actor.user_id
    candidate.decided_at = utcnow()
    candidate.note = reason
    for other in duplicates.for_record(session, record.id):
        if other.status == "open":
            other.status = "closed"
    issued = select(IssuedCertificate.serial).where(
        IssuedCertificate.record_id == record.id, IssuedCertificate.revoked_at.is_(None)
    )
    for serial in session.scalars(issued.order_by(IssuedCertificate.serial)).all():
        certificates.revoke(session, actor, serial, REVOCATION_REASON)
    session.flush()
    return candidate, record
