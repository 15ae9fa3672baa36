"""The audit trail: an append-only hash chain and the head row locked while appending."""

from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from registry.db import Base, intpk


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[intpk]
    seq: Mapped[int] = mapped_column(unique=True)
    at: Mapped[str] = mapped_column(String(32))  # ISO 8601 UTC, hashed as stored
    user_id: Mapped[int | None]
    username: Mapped[str | None] = mapped_column(String(80))
    role: Mapped[str | None] = mapped_column(String(20))
    area_code: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40), index=True)
    record_id: Mapped[str | None] = mapped_column(String(64), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """One row: the last sequence number and hash. Appenders lock it, so the chain never forks."""

    __tablename__ = "audit_head"

    id: Mapped[intpk]
    seq: Mapped[int] = mapped_column(default=0)
    hash: Mapped[str] = mapped_column(String(64))
