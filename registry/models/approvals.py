"""Four eyes: corrections waiting for a second registrar, and approvals of delayed registrations.

A correction is requested by one registrar and applied (a new version, see
``registry.services.records.correct``) when another approves it; the request keeps the changes
asked for, the reason, the evidence and who decided. A delayed registration (beyond the late
period) is registered only after a registrar of a higher area level approved that version.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from registry.db import Base, JSONDoc, intpk, timestamp, uuidpk


class CorrectionRequest(Base):
    """A correction of a registered record, pending until a registrar approves or refuses it."""

    __tablename__ = "correction_requests"

    id: Mapped[uuidpk]
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id"), index=True)
    event_type: Mapped[str] = mapped_column(String(10))
    # The record's area when requested: the queue is scoped by it.
    area_path: Mapped[str] = mapped_column(String(1024))
    # The version the changes were asked against: approving a request on a changed record
    # would apply changes nobody read against the new facts.
    base_version: Mapped[int]
    changes: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(200))
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(12), index=True, default="pending")
    created_at: Mapped[timestamp]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int | None]  # the record version the approval created


class DelayedApproval(Base):
    """A higher-level registrar's approval to register one version of a delayed record."""

    __tablename__ = "delayed_approvals"
    __table_args__ = (UniqueConstraint("record_id", "record_version"),)

    id: Mapped[intpk]
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id"))
    record_version: Mapped[int]
    approved_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[timestamp]
    note: Mapped[str | None] = mapped_column(Text)
