"""Certificates on the pages: issue (a PDF download), the ledger, revocation, public verification.

A registrar issues a certificate from a registered record's page: the form names who collects
it, the service draws it from the record's latest version, signs its QR code, writes the ledger
row and the audit event, and the page answers with the PDF as a download named after its serial.

``/verify`` is public (no sign-in, CSRF still applies): a QR payload is pasted, or a photo or scan
of the QR code is uploaded and decoded here (PNG or JPEG only, size-limited, read from memory,
never from a path or URL named by the request). The answer shows only the facts printed on the
certificate, and whether it is in force, superseded by a correction (with its date) or revoked
(with a reason category, never the registrar's text).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Response, redirect, request, url_for
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response as BaseResponse

import certificates as certs
from registry.domain import EventType, Role, Status
from registry.errors import Conflict, Unavailable, ValidationFailed
from registry.extensions import db_session, settings
from registry.limits import verify_limit
from registry.models import IssuedCertificate
from registry.schemas.certificates import CertificateIn, RevokeIn, VerifyIn
from registry.schemas.common import load
from registry.services import certificates
from registry.services.scoping import Actor
from registry.web import auth, i18n
from registry.web.blueprint import (
    KIND_OF,
    KIND_RULE,
    KINDS,
    bp,
    flash_after_commit,
    page,
    unit_of_work,
)
from registry.web.forms import flatten_errors
from registry.web.i18n import gettext
from registry.web.record_pages import _action_failed

MAX_IMAGE_BYTES = 1_500_000
MAX_IMAGE_PIXELS = 25_000_000


# -- the record page: ledger and issue form -------------------------------------------------------


def _ledger_row(session: Session, row: IssuedCertificate) -> dict[str, Any]:
    return {
        "record_version": row.record_version,
        "superseded_on": None
        if row.revoked_at
        else certificates.superseded_on(session, row, settings()),
        "revocation_category": row.revocation_category,
        "serial": row.serial,
        "copy_number": row.copy_number,
        "reprint": row.reprint,
        "collector_name": row.collector_name,
        "collector_relationship": row.collector_relationship,
        "issued_by": row.issued_by.full_name or row.issued_by.username,
        "issued_at": row.issued_at,
        "revoked_at": row.revoked_at,
        "revocation_reason": row.revocation_reason,
    }


def record_context(session: Session, actor: Actor, doc: dict[str, Any]) -> dict[str, Any]:
    """The issuance ledger of a registered record, and whether the actor may issue and revoke."""
    if doc["status"] != Status.REGISTERED.value or actor.role not in (Role.REGISTRAR, Role.CLERK):
        return {}
    rows = certificates.ledger(session, actor, doc["id"])
    return {
        "certificates": [_ledger_row(session, r) for r in reversed(rows)],
        "may_issue": actor.role is Role.REGISTRAR,
        "revocation_categories": [
            (category.value, gettext(certificates.PUBLIC_REASONS[category]))
            for category in certificates.RevocationCategory
        ],
    }


def _text(name: str) -> str:
    return request.form.get(name, "").strip()


@bp.post(f"/{KIND_RULE}/<uuid:record_id>/certificates")
@auth.login_required
@unit_of_work
def issue_certificate(kind: str, record_id: UUID) -> Response | BaseResponse:
    """Issue a certificate (or a certified copy) of a registered record: the PDF is downloaded."""
    event_type, rid = KINDS[kind], str(record_id)
    session, actor = db_session(), auth.actor()
    certificates.issuable(session, actor, event_type, rid)  # role and area before the form
    named = {k: _text(f"collector.{k}") for k in ("name", "relationship", "id_document")}
    body: dict[str, Any] = {
        "collector": {k: v for k, v in named.items() if v},
        "copy": request.form.get("copy") == "y",
    }
    try:
        data = load(CertificateIn(), body)
        collector = certificates.Collector(**data["collector"])
        pdf, row = certificates.issue(
            session, settings(), actor, event_type, rid, collector, copy=data["copy"]
        )
        serial = row.serial
    except (ValidationFailed, Conflict, Unavailable) as exc:
        return _action_failed(event_type, rid, "certificate", exc)
    response = Response(pdf, content_type="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{serial}.pdf"'
    response.headers["X-Certificate-Serial"] = serial
    return response


@bp.post("/certificates/<string:serial>/revoke")
@auth.login_required
@unit_of_work
def revoke_certificate(serial: str) -> Response | BaseResponse:
    """Revoke an issued certificate with the reason; verification says "revoked" from then on."""
    session, actor = db_session(), auth.actor()
    found = certificates.get(session, actor, serial[:32])  # role and area before the form
    record_id = found.record_id
    event_type = EventType(found.record.event_type)
    try:
        body = {k: _text(k) for k in ("reason", "category") if _text(k)}
        data = load(RevokeIn(), body)
        category = certificates.RevocationCategory(data["category"])
        certificates.revoke(session, actor, serial, data["reason"], category)
    except (ValidationFailed, Conflict) as exc:
        return _action_failed(event_type, record_id, "revoke", exc)
    flash_after_commit(gettext("Certificate %(serial)s is revoked.", serial=serial))
    url = url_for("web.record", kind=KIND_OF[event_type], record_id=record_id)
    return redirect(url + "#h-certificates", 303)


# -- public verification --------------------------------------------------------------------------


class Unreadable(Exception):
    """The uploaded file is not an image with a certificate QR code; the text says why."""


def read_qr(upload: FileStorage) -> str:
    """The certificate payload in an uploaded PNG or JPEG photo or scan of its QR code."""
    data = upload.stream.read(MAX_IMAGE_BYTES + 1)
    if not data:
        raise Unreadable(gettext("Choose a photo or scan of the QR code."))
    if len(data) > MAX_IMAGE_BYTES:
        raise Unreadable(gettext("The image is too large (at most 1.5 MB)."))
    try:
        return certs.read_qr(data, max_pixels=MAX_IMAGE_PIXELS)
    except certs.UnreadableImage as exc:
        if exc.reason == "format":
            raise Unreadable(gettext("Only PNG and JPEG images can be read.")) from None
        if exc.reason == "pixels":
            raise Unreadable(gettext("The image has too many pixels.")) from None
        if exc.reason == "no_code":
            raise Unreadable(gettext("No certificate QR code was found in the image.")) from None
        raise Unreadable(gettext("The image could not be read.")) from None


def _verify_page(
    status: int = 200, *, result: dict[str, Any] | None = None, error: str = "", payload: str = ""
) -> Response:
    return page("verify.html", status, result=result, error=error, payload=payload)


@bp.route("/verify", methods=["GET", "POST"])
@verify_limit()
@unit_of_work
def verify() -> Response:
    """Anyone may check a certificate: paste its QR payload or upload a photo of the QR code."""
    if request.method == "GET":
        return _verify_page()
    upload = request.files.get("image")
    payload = request.form.get("payload", "")
    if upload is not None and upload.filename:
        try:
            payload = read_qr(upload)
        except Unreadable as exc:
            return _verify_page(422, error=str(exc))
    try:
        data = load(VerifyIn(), {"payload": payload.strip()} if payload.strip() else {})
    except ValidationFailed as exc:
        flat = flatten_errors(exc.errors)
        text = " ".join(i18n.translate(m) for ms in flat.values() for m in ms)
        return _verify_page(422, error=text, payload=payload[:4000])
    result = certificates.verify(db_session(), data["payload"], settings())
    return _verify_page(result=result, payload=data["payload"])
