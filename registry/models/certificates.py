"""Certificate signing keys (public halves only), the issuance ledger and its serial counter."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.db import Base, timestamp
from registry.models.records import Record
from registry.models.users import User


class SigningKey(Base):
    """A public key that verifies certificates; the private key never enters the database."""

    __tablename__ = "signing_keys"

    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    public_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[timestamp]
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class IssuedCertificate(Base):
    """One printed certificate: what was printed, for whom, by whom, and its fingerprint.

    ``record_version`` is the version of the record it was printed from: a later correction
    that changes a printed fact supersedes it. Copy numbers, and the reprint numbers of
    originals, are unique per record (issuing locks the record row; these constraints hold
    even if a path forgot to).
    """

    __tablename__ = "issued_certificates"
    __table_args__ = (
        UniqueConstraint("record_id", "copy_number"),
        Index(
            "uq_issued_certificates_original_reprint",
            "record_id",
            "reprint",
            unique=True,
            sqlite_where=text("copy_number IS NULL"),
            postgresql_where=text("copy_number IS NULL"),
        ),
    )

    serial: Mapped[str] = mapped_column(String(32), primary_key=True)
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id"), index=True)
    record_version: Mapped[int]
    template: Mapped[str] = mapped_column(String(40))
    copy_number: Mapped[int | None]
    reprint: Mapped[int] = mapped_column(default=0)
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    collector_name: Mapped[str] = mapped_column(String(200))
    collector_relationship: Mapped[str] = mapped_column(String(60))
    collector_id_document: Mapped[str | None] = mapped_column(String(100))
    issued_at: Mapped[timestamp]
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(ForeignKey("signing_keys.key_id"))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revocation_reason: Mapped[str | None] = mapped_column(Text)
    # What the public is told (a RevocationCategory value); the reason above stays internal.
    revocation_category: Mapped[str | None] = mapped_column(String(40))

    record: Mapped[Record] = relationship()
    issued_by: Mapped[User] = relationship(foreign_keys=[issued_by_id])


class CertificateCounter(Base):
    """The last serial number given in a year; locked while issuing, so serials have no gaps."""

    __tablename__ = "certificate_counters"

    year: Mapped[int] = mapped_column(primary_key=True)
    last_value: Mapped[int] = mapped_column(default=0)
