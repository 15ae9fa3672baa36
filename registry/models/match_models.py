"""Matching models learnt from the register, one version per training run."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from registry.db import Base, intpk, timestamp


class MatchModel(Base):
    """A ``dedupe`` model (its ``to_dict`` as JSON text) for one event type.

    Versions count up per event type; at most one is ``active`` and the duplicate look-up and
    the scan use it. Without an active version the hand-set weights apply.
    """

    __tablename__ = "match_models"
    __table_args__ = (UniqueConstraint("event_type", "version"),)

    id: Mapped[intpk]
    event_type: Mapped[str] = mapped_column(String(10))
    version: Mapped[int]
    created_at: Mapped[timestamp]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    source: Mapped[str] = mapped_column(String(20))
    n_records: Mapped[int]
    model: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=False)


Index("ix_match_models_event_type_active", MatchModel.event_type, MatchModel.active)
