"""Blocking keys of the register and suspected duplicates awaiting a registrar's decision."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.db import Base, JSONDoc, intpk, timestamp, uuidpk
from registry.models.records import Record


class DedupeKey(Base):
    """One blocking key of one record (``birth|0:otn|2026``): candidates share a key."""

    __tablename__ = "dedupe_keys"
    __table_args__ = (UniqueConstraint("record_id", "key"),)

    id: Mapped[intpk]
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id"))
    key: Mapped[str] = mapped_column(String(200))


Index("ix_dedupe_keys_key", DedupeKey.key)


class DuplicateCandidate(Base):
    """A newer declaration that looks like an existing record, with the explanation."""

    __tablename__ = "duplicate_candidates"
    __table_args__ = (UniqueConstraint("record_id", "existing_id"),)

    id: Mapped[uuidpk]
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id"), index=True)
    existing_id: Mapped[str] = mapped_column(ForeignKey("records.id"), index=True)
    probability: Mapped[float] = mapped_column(Float)
    match_weight: Mapped[float] = mapped_column(Float)
    explanation: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc)
    status: Mapped[str] = mapped_column(String(16), index=True, default="open")
    created_at: Mapped[timestamp]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)

    record: Mapped[Record] = relationship(foreign_keys=[record_id])
    existing: Mapped[Record] = relationship(foreign_keys=[existing_id])
