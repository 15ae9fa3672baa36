"""Birth and death records: an append-only chain of versions under one head row.

The head (``Record``) carries the life-cycle state and the registration number; every set of
facts, from the first notification to each correction, is a new ``RecordVersion`` that is never
updated or deleted. Typed columns on versions hold what statistics and search group by; the full
declaration is kept as a JSON document.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.db import Base, JSONDoc, intpk, timestamp, uuidpk
from registry.domain import EventType, Status, Timeliness
from registry.models.areas import Area, Facility
from registry.models.users import User


class Record(Base):
    __tablename__ = "records"

    id: Mapped[uuidpk]
    event_type: Mapped[EventType] = mapped_column(String(10))
    status: Mapped[Status] = mapped_column(String(12), index=True)
    version: Mapped[int] = mapped_column(default=1)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    area_path: Mapped[str] = mapped_column(String(1024))
    registration_number: Mapped[str | None] = mapped_column(String(64), unique=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"))
    registration_date: Mapped[date | None] = mapped_column(Date)
    timeliness: Mapped[Timeliness | None] = mapped_column(String(10))
    delayed_reason: Mapped[str | None] = mapped_column(Text)
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Links found by matching: the record this one duplicates, the facility notification a
    # declaration completes, and (for deaths) the birth record of the same person.
    duplicate_of_id: Mapped[str | None] = mapped_column(ForeignKey("records.id"))
    notification_id: Mapped[str | None] = mapped_column(ForeignKey("records.id"))
    birth_record_id: Mapped[str | None] = mapped_column(ForeignKey("records.id"))
    # What the declarant answered when the form showed possible existing records before saving:
    # "same" (the same child as ``declarant_duplicate_record_id``) or "different".
    declarant_duplicate_choice: Mapped[str | None] = mapped_column(String(16))
    declarant_duplicate_record_id: Mapped[str | None] = mapped_column(ForeignKey("records.id"))
    # The current version's event date and sex, copied whenever a version is added, so that
    # statistics count the head rows alone (nullable only for rows older than the copy).
    event_date: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(10))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[timestamp]  # when the registry received the declaration
    updated_at: Mapped[timestamp]
    # When the declarant's device says the declaration was made (offline capture): kept beside
    # the receipt time, never used for timeliness (that counts from the registration date).
    declared_at_device: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    area: Mapped[Area] = relationship()
    office: Mapped[Facility | None] = relationship()
    versions: Mapped[list[RecordVersion]] = relationship(
        back_populates="record", order_by="RecordVersion.version"
    )

    def __repr__(self) -> str:
        return f"<Record {self.event_type} {self.id} {self.status}>"


Index("ix_records_type_path", Record.event_type, Record.area_path)
Index("ix_records_type_status_path", Record.event_type, Record.status, Record.area_path)
Index("ix_records_type_status_event_date", Record.event_type, Record.status, Record.event_date)


class RecordVersion(Base):
    __tablename__ = "record_versions"
    __table_args__ = (
        UniqueConstraint("record_id", "version"),
        CheckConstraint(
            "kind <> 'correction' OR (reason IS NOT NULL AND evidence IS NOT NULL"
            " AND requested_by IS NOT NULL AND approved_by_id IS NOT NULL)",
            name="correction_complete",
        ),
    )

    id: Mapped[intpk]
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id"))
    version: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[timestamp]
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str | None] = mapped_column(String(200))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    facts: Mapped[dict[str, Any]] = mapped_column(JSONDoc)

    # Typed copies of the facts that statistics and search use.
    event_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(10))
    given_names: Mapped[str | None] = mapped_column(String(200))
    family_name: Mapped[str | None] = mapped_column(String(200))
    place_type: Mapped[str | None] = mapped_column(String(20))
    occurrence_area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"))
    residence_area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    age_years: Mapped[int | None]
    age_days: Mapped[int | None]
    mother_given_names: Mapped[str | None] = mapped_column(String(200))
    mother_family_name: Mapped[str | None] = mapped_column(String(200))
    mother_date_of_birth: Mapped[date | None] = mapped_column(Date)
    mother_age_years: Mapped[int | None]
    birth_weight_grams: Mapped[int | None]
    type_of_birth: Mapped[str | None] = mapped_column(String(24))
    attendant: Mapped[str | None] = mapped_column(String(32))
    underlying_icd10: Mapped[str | None] = mapped_column(String(8))
    manner: Mapped[str | None] = mapped_column(String(32))
    cause_established_by: Mapped[str | None] = mapped_column(String(32))

    record: Mapped[Record] = relationship(back_populates="versions")
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])


Index("ix_record_versions_family_name", RecordVersion.family_name)
Index("ix_record_versions_event_date", RecordVersion.event_date)


class RegistrationCounter(Base):
    """The last number given per office, event type and year; locked while registering."""

    __tablename__ = "registration_counters"

    office_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(10), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last_value: Mapped[int] = mapped_column(default=0)


class IdempotencyKey(Base):
    """The first response to a POST with an ``Idempotency-Key``, replayed to retries."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    content_type: Mapped[str] = mapped_column(String(100))
    location: Mapped[str | None] = mapped_column(String(500))
    body: Mapped[bytes]
    # Indexed: expired responses are purged in small batches (services.idempotency).
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
