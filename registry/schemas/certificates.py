"""Certificates: issuing (collector, copy), the ledger, revocation and verification."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from registry.schemas.common import IsoDate


class CollectorSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    relationship = fields.String(required=True, validate=validate.Length(min=1, max=60))
    id_document = fields.String(validate=validate.Length(max=100), allow_none=True)


class CertificateIn(Schema):
    collector = fields.Nested(CollectorSchema, required=True)
    copy = fields.Boolean(load_default=False)


class IssuedOut(Schema):
    serial = fields.String(required=True)
    record_version = fields.Integer(required=True)
    template = fields.String(required=True)
    copy_number = fields.Integer(allow_none=True)
    reprint = fields.Integer(required=True)
    issued_by = fields.String(required=True)
    collector_name = fields.String(required=True)
    collector_relationship = fields.String(required=True)
    issued_at = fields.DateTime(required=True)
    pdf_sha256 = fields.String(required=True)
    key_id = fields.String(required=True)
    revoked_at = fields.DateTime(allow_none=True)
    revocation_reason = fields.String(allow_none=True)
    revocation_category = fields.String(allow_none=True)


REVOCATION_CATEGORIES = [
    "lost_or_stolen", "damaged", "printed_in_error", "cancelled_registration", "other"
]  # fmt: skip


class RevokeIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    # What the public is told on /verify; the reason stays in the ledger.
    category = fields.String(load_default="other", validate=validate.OneOf(REVOCATION_CATEGORIES))


class VerifyIn(Schema):
    payload = fields.String(required=True, validate=validate.Length(min=1, max=4000))


class PrintedFacts(Schema):
    kind = fields.String()
    registration_number = fields.String()
    serial = fields.String()
    name = fields.String()
    event_date = IsoDate()
    issue_date = IsoDate()
    mother_name = fields.String(allow_none=True)
    father_name = fields.String(allow_none=True)
    date_of_birth = IsoDate(allow_none=True)
    copy_number = fields.Integer(allow_none=True)
    key_id = fields.String()


#: Besides a revocation's: why a certificate is superseded or invalid.
VERIFY_CATEGORIES = ["corrected", "malformed", "unknown_key", "bad_signature", "not_in_ledger"]


class VerifyOut(Schema):
    status = fields.String(
        required=True, validate=validate.OneOf(["valid", "superseded", "revoked", "invalid"])
    )
    reason = fields.String(allow_none=True)
    reason_category = fields.String(
        allow_none=True, validate=validate.OneOf([*REVOCATION_CATEGORIES, *VERIFY_CATEGORIES])
    )
    revoked_at = fields.DateTime(allow_none=True)
    superseded_at = IsoDate(allow_none=True)
    facts = fields.Nested(PrintedFacts, allow_none=True)
