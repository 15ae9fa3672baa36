"""Certificates in the registry: signing keys, issuance ledger, revocation, verification.

Private signing keys are files in ``CERT_KEYS_DIR`` (mode 0600), never rows; their public halves
are stored so that verification, online and offline (``crvs keys export``), keeps working after a
rotation. Every certificate is drawn from the latest version of a registered record, gets a
gap-free serial with a check digit, and is written to the ledger with the SHA-256 of its PDF.
"""

from __future__ import annotations

import enum
import hashlib
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO, cast

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

import certificates as certs
from registry import messages
from registry.db import utcnow
from registry.domain import EventType, Role, Status, today
from registry.errors import Conflict, NotFound, Unavailable
from registry.models import (
    Area,
    CertificateCounter,
    Facility,
    IssuedCertificate,
    Record,
    RecordVersion,
    SigningKey,
)
from registry.services import audit, records
from registry.services.dialect import insert_ignore
from registry.services.scoping import Actor, ensure_covers, require_role, scoped
from registry.services.settings import RegistrySettings
from registry.services.versions import IS_CURRENT

ACTIVE = "active"


log = logging.getLogger(__name__)
#: What a client is told when a font is missing; the log names the font file and the package.
FONT_MISSING = messages.FONT_MISSING


def _font_missing(exc: Exception) -> Unavailable:
    log.error("certificate font missing: %s", exc)
    return Unavailable(FONT_MISSING)


# -- keys -----------------------------------------------------------------------------------------


def generate_key(session: Session, settings: RegistrySettings) -> str:
    """A new signing key becomes the active one; older public keys keep verifying."""
    private_pem, public_pem, key_id = certs.generate_signing_key()
    folder = Path(settings.cert_keys_dir)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    private_path = folder / f"{key_id}.key.pem"
    descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(private_pem)
    (folder / f"{key_id}.pub.pem").write_bytes(public_pem)
    (folder / ACTIVE).write_text(key_id + "\n", encoding="ascii")
    for older in session.scalars(select(SigningKey).where(SigningKey.retired_at.is_(None))):
        older.retired_at = utcnow()
    session.add(SigningKey(key_id=key_id, public_pem=public_pem.decode("ascii")))
    audit.record(session, None, "signing_key_generated", details={"key_id": key_id})
    session.flush()
    return key_id


def has_active_key(settings: RegistrySettings) -> bool:
    return (Path(settings.cert_keys_dir) / ACTIVE).is_file()


def signer(settings: RegistrySettings) -> certs.Signer:
    """The active signing key, read from the keys directory."""
    folder = Path(settings.cert_keys_dir)
    try:
        key_id = (folder / ACTIVE).read_text(encoding="ascii").strip()
        return certs.Signer((folder / f"{key_id}.key.pem").read_bytes())
    except OSError:
        raise Unavailable(messages.NO_SIGNING_KEY) from None


def public_keys(session: Session) -> dict[str, bytes]:
    return {k.key_id: k.public_pem.encode("ascii") for k in session.scalars(select(SigningKey))}


def export_keys(session: Session, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for key_id, pem in sorted(public_keys(session).items()):
        path = folder / f"{key_id}.pub.pem"
        path.write_bytes(pem)
        written.append(path)
    return written


# -- issuing --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Collector:
    name: str
    relationship: str
    id_document: str | None = None


def _next_serial(session: Session, year: int) -> str:
    stmt = (
        select(CertificateCounter)
        .where(CertificateCounter.year == year)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    counter = session.execute(stmt).scalar_one_or_none()
    if counter is None:
        session.execute(insert_ignore(session, CertificateCounter, {"year": year, "last_value": 0}))
        counter = session.execute(stmt).scalar_one()
    counter.last_value += 1
    return certs.make_serial(counter.last_value, year=year)


def _sex(value: str | None) -> certs.Sex:
    return {"male": certs.Sex.MALE, "female": certs.Sex.FEMALE}.get(value or "", certs.Sex.UNKNOWN)


def _name(person: dict[str, Any] | None) -> str:
    person = person or {}
    return " ".join(p for p in (person.get("given_names"), person.get("family_name")) if p)


def _place(session: Session, version: RecordVersion) -> str:
    if version.facility_id is not None:
        facility = session.get(Facility, version.facility_id)
        if facility is not None:
            return facility.name
    area = session.get(Area, version.occurrence_area_id)
    return area.name if area is not None else ""


def _cause_line(line: dict[str, Any]) -> str:
    code = line.get("icd10")
    return f"{line['text']} ({code})" if code else str(line["text"])


def _same_code(a: str | None, b: str | None) -> bool:
    def norm(code: str | None) -> str:
        return (code or "").replace(".", "").strip().upper()

    return bool(a and b) and norm(a) == norm(b)


def underlying_cause(cause: dict[str, Any]) -> str | None:
    """The underlying cause as certified: the Part 1 line carrying the coded underlying cause
    (its text and code), else the code alone; with no code, the lowest line of Part 1 (the
    condition that started the chain, as the certifier wrote it)."""
    lines = cause.get("part1") or []
    code = cause.get("underlying_icd10")
    if code:
        for line in lines:
            if _same_code(line.get("icd10"), code):
                return _cause_line(line)
        return str(code)
    return _cause_line(lines[-1]) if lines else None


def cause_sequence(cause: dict[str, Any]) -> tuple[str, ...]:
    """Part 1 as printed: ``a) text (code), interval`` from the immediate cause down."""
    out = []
    for letter, line in zip("abcd", cause.get("part1") or [], strict=False):
        interval = line.get("interval")
        out.append(f"{letter}) {_cause_line(line)}" + (f", {interval}" if interval else ""))
    return tuple(out)


def certificate_data(
    session: Session,
    record: Record,
    version: RecordVersion,
    settings: RegistrySettings | None = None,
) -> certs.BirthRecord | certs.DeathRecord:
    """The printed facts of one version of a record (names in their recorded case)."""
    assert record.registration_number is not None and record.registration_date is not None
    facts = version.facts
    if record.event_type == EventType.BIRTH:
        father = _name(facts.get("father"))
        return certs.BirthRecord(
            registration_number=record.registration_number,
            registration_date=record.registration_date,
            child_name=_name(facts.get("child")) or "-",
            sex=_sex(version.sex),
            date_of_birth=version.event_date,
            place_of_birth=_place(session, version),
            mother_name=_name(facts.get("mother")) or "-",
            father_name=father or None,
        )
    cause = facts.get("cause") or {}
    sequence = settings is not None and settings.cert_cause_sequence
    return certs.DeathRecord(
        registration_number=record.registration_number,
        registration_date=record.registration_date,
        deceased_name=_name(facts.get("deceased")) or "-",
        sex=_sex(version.sex),
        date_of_death=version.event_date,
        place_of_death=_place(session, version),
        date_of_birth=version.date_of_birth,
        age_years=version.age_years,
        cause_of_death=underlying_cause(cause),
        cause_sequence=cause_sequence(cause) if sequence else (),
    )


def _configured_png(setting: str, path: str) -> bytes | None:
    """An image named by configuration (checked at start-up), read when printing."""
    if not path:
        return None
    try:
        return Path(path).read_bytes()
    except OSError:
        raise Unavailable(messages.IMAGE_UNREADABLE.format(setting=setting)) from None


def _options(settings: RegistrySettings) -> certs.RenderOptions:
    paper = certs.Paper.LETTER if settings.cert_paper == "LETTER" else certs.Paper.A4
    options = certs.RenderOptions(
        languages=settings.cert_languages,
        paper=paper,
        authority=settings.cert_authority,
        country=settings.cert_country,
        emblem_image=_configured_png("CERT_EMBLEM", settings.cert_emblem),
        signer_title=settings.cert_signer_title,
    )
    if settings.cert_font_dirs:
        options = replace(options, font_dirs=settings.cert_font_dirs)
    return options


def _render(
    data: certs.BirthRecord | certs.DeathRecord,
    issue: certs.Issue,
    key: certs.Signer,
    settings: RegistrySettings,
) -> bytes:
    try:
        return certs.render_certificate(data, issue, key, options=_options(settings))
    except certs.FontNotFound as exc:
        raise _font_missing(exc) from None
    except certs.CertificateError as exc:
        raise Conflict(messages.NOT_PRINTABLE.format(reason=exc)) from None


def _lock_record(session: Session, record: Record) -> None:
    """Hold the record's row until commit: its certificates are numbered one at a time.

    Taken after the serial counter (every issuing path takes the counter first, so two paths
    never wait on each other in opposite orders), and re-read so that a correction committed
    meanwhile is the version printed.
    """
    stmt = (
        select(Record)
        .where(Record.id == record.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    session.execute(stmt).scalar_one()


def _next_numbers(session: Session, record: Record, copy: bool) -> tuple[int | None, int]:
    """(copy number, reprint) of the next certificate of a record; call with the row locked."""
    mine = IssuedCertificate.record_id == record.id
    if copy:
        last = session.scalar(
            select(func.max(IssuedCertificate.copy_number)).where(
                mine, IssuedCertificate.copy_number.is_not(None)
            )
        )
        return (last or 0) + 1, 0
    last = session.scalar(
        select(func.max(IssuedCertificate.reprint)).where(
            mine, IssuedCertificate.copy_number.is_(None)
        )
    )
    return None, 0 if last is None else last + 1


def _issue_row(
    session: Session,
    actor: Actor,
    record: Record,
    collector: Collector,
    copy: bool,
    key_id: str,
    settings: RegistrySettings,
    seal: bytes | None,
) -> tuple[IssuedCertificate, certs.Issue]:
    on = today()
    serial = _next_serial(session, on.year)
    _lock_record(session, record)
    copy_number, reprint = _next_numbers(session, record, copy)
    office = record.office.name if record.office else ""
    issue = certs.Issue(
        serial=serial,
        office=office,
        issue_date=on,
        registrar_name=actor.full_name,
        copy_number=copy_number,
        seal_image=seal,
    )
    row = IssuedCertificate(
        serial=serial,
        record_id=record.id,
        record_version=record.version,
        template=f"{record.event_type}:{'/'.join(settings.cert_languages)}",
        copy_number=copy_number,
        reprint=reprint,
        issued_by_id=actor.user_id,
        collector_name=collector.name,
        collector_relationship=collector.relationship,
        collector_id_document=collector.id_document,
        key_id=key_id,
        pdf_sha256="",
    )
    return row, issue


def issuable(session: Session, actor: Actor, event_type: EventType, record_id: str) -> Record:
    """The record a registrar of its area may issue certificates of (NotFound, PermissionDenied)."""
    require_role(actor, [Role.REGISTRAR])
    record = session.get(Record, record_id)
    if record is None or record.event_type != event_type:
        raise NotFound(f"No {event_type.value} record {record_id}.")
    ensure_covers(actor, record.area_path)
    return record


def issue(
    session: Session,
    settings: RegistrySettings,
    actor: Actor,
    event_type: EventType,
    record_id: str,
    collector: Collector,
    *,
    copy: bool = False,
) -> tuple[bytes, IssuedCertificate]:
    """Print a certificate of a registered record and write it to the ledger."""
    record = issuable(session, actor, event_type, record_id)
    if record.status != Status.REGISTERED:
        raise Conflict(messages.NO_CERTIFICATE)
    key = signer(settings)
    _ensure_public_key(session, key)
    seal = _configured_png("CERT_SEAL", settings.cert_seal)
    row, printed = _issue_row(session, actor, record, collector, copy, key.key_id, settings, seal)
    if record.status != Status.REGISTERED:  # re-read under the lock
        raise Conflict(messages.NO_CERTIFICATE)
    version = records.current_version(session, record)
    data = certificate_data(session, record, version, settings)
    pdf = _render(data, printed, key, settings)
    row.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "certificate_issued",
        record_id=record.id,
        details={
            "serial": row.serial,
            "copy_number": row.copy_number,
            "reprint": row.reprint,
            "collector": collector.relationship,
        },
    )
    return pdf, row


def _ensure_public_key(session: Session, key: certs.Signer) -> None:
    if session.get(SigningKey, key.key_id) is None:
        session.add(SigningKey(key_id=key.key_id, public_pem=key.public_pem.decode("ascii")))
        session.flush()


class RevocationCategory(enum.StrEnum):
    """Why a certificate was revoked, as the public may be told (the reason text is internal)."""

    LOST_OR_STOLEN = "lost_or_stolen"
    DAMAGED = "damaged"
    PRINTED_IN_ERROR = "printed_in_error"
    CANCELLED_REGISTRATION = "cancelled_registration"
    OTHER = "other"


PUBLIC_REASONS = {
    RevocationCategory.LOST_OR_STOLEN: "Reported lost or stolen.",
    RevocationCategory.DAMAGED: "Replaced because it was damaged.",
    RevocationCategory.PRINTED_IN_ERROR: "Printed in error.",
    RevocationCategory.CANCELLED_REGISTRATION: "The registration was cancelled.",
    RevocationCategory.OTHER: "Revoked by the registry.",
}
NO_PUBLIC_REASON = "Revoked by the registry."
#: Why a payload is invalid, as a category the pages can say in the reader's language.
INVALID_CATEGORIES = {certs.UnknownKey: "unknown_key", certs.BadSignature: "bad_signature"}


def _revoke_row(
    session: Session,
    actor: Actor,
    row: IssuedCertificate,
    reason: str,
    category: RevocationCategory,
) -> None:
    row.revoked_at = utcnow()
    row.revoked_by_id = actor.user_id
    row.revocation_reason = reason
    row.revocation_category = RevocationCategory(category).value
    audit.record(
        session, actor, "certificate_revoked", record_id=row.record_id, reason=reason,
        details={"serial": row.serial, "category": row.revocation_category},
    )  # fmt: skip


def get(session: Session, actor: Actor, serial: str) -> IssuedCertificate:
    """An issued certificate, for a registrar of its record's area (NotFound, PermissionDenied)."""
    require_role(actor, [Role.REGISTRAR])
    row = session.get(IssuedCertificate, serial)
    if row is None:
        raise NotFound(f"No certificate {serial}.")
    ensure_covers(actor, row.record.area_path)
    return row


def revoke(
    session: Session,
    actor: Actor,
    serial: str,
    reason: str,
    category: RevocationCategory = RevocationCategory.OTHER,
) -> IssuedCertificate:
    """Revoke one certificate: ``reason`` stays in the ledger, ``category`` is what /verify says."""
    row = get(session, actor, serial)
    if row.revoked_at is not None:
        raise Conflict(messages.ALREADY_REVOKED)
    _revoke_row(session, actor, row, reason, category)
    session.flush()
    return row


def revoke_for_record(
    session: Session,
    actor: Actor,
    record: Record,
    reason: str,
    category: RevocationCategory = RevocationCategory.CANCELLED_REGISTRATION,
) -> list[IssuedCertificate]:
    """Revoke every certificate of a record still in force (e.g. its registration cancelled).

    The caller has checked the actor's authority over the record; certificates already revoked
    keep their first revocation.
    """
    require_role(actor, [Role.REGISTRAR])
    stmt = select(IssuedCertificate).where(
        IssuedCertificate.record_id == record.id, IssuedCertificate.revoked_at.is_(None)
    )
    rows = list(session.scalars(stmt.order_by(IssuedCertificate.serial)))
    for row in rows:
        _revoke_row(session, actor, row, reason, category)
    session.flush()
    return rows


def _public_reason(category: str | None) -> tuple[str, str | None]:
    """The public sentence and category of a revocation (rows revoked before 0011 have none)."""
    try:
        known = RevocationCategory(category or "")
    except ValueError:
        return NO_PUBLIC_REASON, None
    return PUBLIC_REASONS[known], known.value


def superseded_on(
    session: Session, row: IssuedCertificate, settings: RegistrySettings | None
) -> date | None:
    """The date of the first later version that changes a printed fact, if any.

    A correction of something the certificate does not print (a birth weight, an informant)
    leaves it in force.
    """
    record = row.record
    if record.version <= row.record_version:
        return None
    stmt = (
        select(RecordVersion)
        .where(
            RecordVersion.record_id == record.id,
            RecordVersion.version >= row.record_version,
        )
        .order_by(RecordVersion.version)
    )
    versions = list(session.scalars(stmt))
    if not versions or versions[0].version != row.record_version:
        return None
    printed = certificate_data(session, record, versions[0], settings)
    for later in versions[1:]:
        if certificate_data(session, record, later, settings) != printed:
            return later.created_at.date()
    return None


def verify(
    session: Session, payload: str, settings: RegistrySettings | None = None
) -> dict[str, Any]:
    """valid / superseded / revoked / invalid, with the facts printed on the certificate.

    The public sees a reason category for a revocation, never the registrar's text.
    """
    try:
        facts = certs.verify_payload(payload.strip(), public_keys(session))
    except certs.VerificationError as exc:
        why = INVALID_CATEGORIES.get(type(exc), "malformed")
        return {"status": "invalid", "reason": str(exc), "reason_category": why, "facts": None}
    printed = {
        "kind": facts.kind,
        "registration_number": facts.registration_number,
        "serial": facts.serial,
        "name": facts.name,
        "event_date": facts.event_date,
        "issue_date": facts.issue_date,
        "mother_name": facts.mother_name,
        "father_name": facts.father_name,
        "date_of_birth": facts.date_of_birth,
        "copy_number": facts.copy_number,
        "key_id": facts.key_id,
    }
    row = session.get(IssuedCertificate, facts.serial)
    if row is None:
        return {
            "status": "invalid",
            "reason": "Not in this registry's ledger.",
            "reason_category": "not_in_ledger",
            "facts": printed,
        }
    if row.revoked_at is not None:
        reason, category = _public_reason(row.revocation_category)
        return {
            "status": "revoked",
            "reason": reason,
            "reason_category": category,
            "revoked_at": row.revoked_at,
            "facts": printed,
        }
    superseded = superseded_on(session, row, settings)
    if superseded is not None:
        return {
            "status": "superseded",
            "reason": (
                f"Superseded by a correction on {superseded.isoformat()}: "
                "ask for a new certificate."
            ),
            "reason_category": "corrected",
            "superseded_at": superseded,
            "facts": printed,
        }
    return {"status": "valid", "reason": None, "facts": printed}


def ledger(session: Session, actor: Actor, record_id: str) -> list[IssuedCertificate]:
    require_role(actor, [Role.REGISTRAR, Role.CLERK])
    record = session.get(Record, record_id)
    if record is None:
        raise NotFound(f"No record {record_id}.")
    ensure_covers(actor, record.area_path)
    stmt = select(IssuedCertificate).where(IssuedCertificate.record_id == record_id)
    return list(session.scalars(stmt.order_by(IssuedCertificate.issued_at)))


# -- batches --------------------------------------------------------------------------------------


def _registered_since(
    session: Session, actor: Actor, area_path: str, since: date
) -> Iterator[tuple[Record, RecordVersion]]:
    stmt = scoped(select(Record, RecordVersion), actor).join(RecordVersion, IS_CURRENT)
    stmt = stmt.where(
        Record.status == Status.REGISTERED,
        Record.registration_date >= since,
        Record.area_path.startswith(area_path, autoescape=True),
    ).order_by(Record.registration_date, Record.registration_number)
    yield from session.execute(stmt.execution_options(yield_per=500))


def count_registered_since(session: Session, area_path: str, since: date) -> int:
    stmt = select(func.count()).where(
        Record.status == Status.REGISTERED,
        Record.registration_date >= since,
        Record.area_path.startswith(area_path, autoescape=True),
    )
    return session.scalar(stmt) or 0


def print_batch(
    session: Session,
    settings: RegistrySettings,
    actor: Actor,
    *,
    area_path: str,
    since: date,
    out: BinaryIO,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Print the certificates of records registered since a date into one PDF, in chunks.

    Each page is an issuance in the ledger (collector: the office, for later collection); the
    PDF's own hash is not per certificate, so the ledger keeps the batch file's hash.
    """
    key = signer(settings)
    _ensure_public_key(session, key)
    collector = Collector("Held at the office for collection", "office")
    seal = _configured_png("CERT_SEAL", settings.cert_seal)
    serials: list[str] = []

    def items() -> Iterator[tuple[certs.BirthRecord | certs.DeathRecord, certs.Issue]]:
        for record, version in _registered_since(session, actor, area_path, since):
            row, printed = _issue_row(
                session, actor, record, collector, False, key.key_id, settings, seal
            )
            session.add(row)
            session.flush()
            serials.append(row.serial)
            data = certificate_data(session, record, version, settings)
            # Keep memory flat: nothing of a printed record stays in the session.
            for done in (row, record, version):
                session.expunge(done)
            yield data, printed

    hasher = hashlib.sha256()
    writer = _HashingWriter(out, hasher)
    try:
        pages = certs.render_batch(
            items(), cast(BinaryIO, writer), key, options=_options(settings), progress=progress
        )
    except certs.FontNotFound as exc:
        raise _font_missing(exc) from None
    digest = hasher.hexdigest()
    for start in range(0, len(serials), 1000):
        session.execute(
            update(IssuedCertificate)
            .where(IssuedCertificate.serial.in_(serials[start : start + 1000]))
            .values(pdf_sha256=digest)
        )
    audit.record(
        session, actor, "certificates_printed",
        details={"pages": pages, "since": since.isoformat(), "sha256": digest},
    )  # fmt: skip
    session.flush()
    return pages


class _HashingWriter:
    """A binary stream that hashes what passes through it."""

    def __init__(self, out: BinaryIO, hasher: Any) -> None:
        self.out = out
        self.hasher = hasher

    def write(self, data: bytes) -> int:
        self.hasher.update(data)
        return self.out.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.out, name)
