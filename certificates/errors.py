"""The exception tree of :mod:`certificates`.

::

    CertificateError
    ├── FontNotFound          a script's font is not installed (names the Debian package)
    ├── InvalidCertificateData  a value cannot be printed (bad seal image, bad serial, ...)
    ├── UnreadableImage       no certificate QR code can be read from an image (``reason``)
    └── VerificationError     a QR payload cannot be trusted
        ├── MalformedPayload  not a payload of ours (prefix, base45, zlib, CBOR, COSE shape)
        ├── UnknownKey        signed with a key id that is not among the public keys given
        └── BadSignature      the signature does not match the content (tampered or forged)
"""

from __future__ import annotations


class CertificateError(Exception):
    """Base class of every error raised by this package."""


class FontNotFound(CertificateError):
    """No font file for a script was found at the standard Debian paths."""


class InvalidCertificateData(CertificateError):
    """A value given for a certificate cannot be printed."""


class UnreadableImage(CertificateError):
    """:func:`certificates.read_qr` found no certificate QR code in the image it was given.

    ``reason`` says why, for callers that word it their own way: ``format`` (not PNG or JPEG
    bytes), ``pixels`` (more pixels than allowed), ``damaged`` (the image cannot be decoded)
    or ``no_code`` (no QR code starting with the payload prefix). The message is a short
    English text.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class VerificationError(CertificateError):
    """A payload could not be verified; ``reason`` is a short human text."""

    reason = "verification failed"


class MalformedPayload(VerificationError):
    """The text is not a well-formed certificate payload."""

    reason = "malformed payload"


class UnknownKey(VerificationError):
    """The payload names a key id for which no public key was given."""

    reason = "unknown key"


class BadSignature(VerificationError):
    """The signature does not match the payload content."""

    reason = "bad signature"
