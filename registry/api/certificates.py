"""Certificates: issue a PDF, list the ledger, revoke, and verify a QR payload (public)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from registry.api.common import current_actor, unit_of_work
from registry.domain import EventType
from registry.extensions import db_session, settings
from registry.limits import verify_limit
from registry.models import IssuedCertificate
from registry.schemas.certificates import CertificateIn, IssuedOut, RevokeIn, VerifyIn, VerifyOut
from registry.services import certificates

blp = Blueprint(
    "certificates",
    __name__,
    url_prefix="/api/v1",
    description="Certificates: issue, ledger, revoke, verify offline-signed QR payloads",
)

PDF_RESPONSE = {
    "201": {
        "description": "The certificate as a PDF",
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
    }
}


def _ledger_out(row: IssuedCertificate) -> dict[str, Any]:
    return {
        "serial": row.serial,
        "record_version": row.record_version,
        "template": row.template,
        "copy_number": row.copy_number,
        "reprint": row.reprint,
        "issued_by": row.issued_by.username,
        "collector_name": row.collector_name,
        "collector_relationship": row.collector_relationship,
        "issued_at": row.issued_at,
        "pdf_sha256": row.pdf_sha256,
        "key_id": row.key_id,
        "revoked_at": row.revoked_at,
        "revocation_reason": row.revocation_reason,
        "revocation_category": row.revocation_category,
    }


def _routes(event_type: EventType, plural: str) -> None:
    @blp.route(f"/{plural}/<uuid:record_id>/certificates", endpoint=f"{plural}_certificates")
    class Certificates(MethodView):
        @unit_of_work
        @blp.arguments(CertificateIn())
        @blp.doc(responses=PDF_RESPONSE)
        def post(self, data: dict[str, Any], record_id: UUID) -> Response:
            """Issue a certificate (or a certified copy) of a registered record, as a PDF."""
            collector = certificates.Collector(**data["collector"])
            pdf, row = certificates.issue(
                db_session(), settings(), current_actor(), event_type, str(record_id),
                collector, copy=data["copy"],
            )  # fmt: skip
            response = Response(pdf, status=201, content_type="application/pdf")
            response.headers["Content-Disposition"] = f'attachment; filename="{row.serial}.pdf"'
            response.headers["X-Certificate-Serial"] = row.serial
            return response

        @unit_of_work
        @blp.response(200, IssuedOut(many=True))
        def get(self, record_id: UUID) -> list[dict[str, Any]]:
            """The issuance ledger of a record: every print, copy and revocation."""
            rows = certificates.ledger(db_session(), current_actor(), str(record_id))
            return [_ledger_out(row) for row in rows]


_routes(EventType.BIRTH, "births")
_routes(EventType.DEATH, "deaths")


@blp.route("/certificates/<string:serial>/revoke")
class Revoke(MethodView):
    @unit_of_work
    @blp.arguments(RevokeIn())
    @blp.response(200, IssuedOut)
    def post(self, data: dict[str, Any], serial: str) -> dict[str, Any]:
        """Revoke a certificate; verification reports it revoked, with the category only."""
        row = certificates.revoke(
            db_session(), current_actor(), serial, data["reason"],
            certificates.RevocationCategory(data["category"]),
        )  # fmt: skip
        return _ledger_out(row)


@blp.route("/certificates/verify")
class Verify(MethodView):
    @verify_limit()
    @unit_of_work
    @blp.arguments(VerifyIn())
    @blp.response(200, VerifyOut)
    @blp.alt_response(429, description="Too many verifications from this address; try later.")
    @blp.doc(security=[])
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Check a certificate's QR payload: valid, superseded, revoked or invalid (public)."""
        return certificates.verify(db_session(), data["payload"], settings())
