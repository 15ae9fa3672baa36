"""Typed SQLAlchemy models, one module per aggregate; importing this registers them all."""

from registry.models.approvals import CorrectionRequest, DelayedApproval
from registry.models.areas import Area, Denominator, Facility
from registry.models.audit import AuditEvent, AuditHead
from registry.models.certificates import CertificateCounter, IssuedCertificate, SigningKey
from registry.models.duplicates import DedupeKey, DuplicateCandidate
from registry.models.match_models import MatchModel
from registry.models.records import IdempotencyKey, Record, RecordVersion, RegistrationCounter
from registry.models.users import ApiToken, LoginThrottle, User, WebSession

__all__ = [
    "ApiToken",
    "Area",
    "AuditEvent",
    "AuditHead",
    "CertificateCounter",
    "CorrectionRequest",
    "DedupeKey",
    "DelayedApproval",
    "Denominator",
    "DuplicateCandidate",
    "Facility",
    "IdempotencyKey",
    "IssuedCertificate",
    "LoginThrottle",
    "MatchModel",
    "Record",
    "RecordVersion",
    "RegistrationCounter",
    "SigningKey",
    "User",
    "WebSession",
]
