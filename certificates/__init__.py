"""Civil registration certificates as PDF: a pure library (stdlib, reportlab and helpers only).

Public API
----------
Rendering (all return or write PDF; A4 by default, Letter with ``RenderOptions(paper=...)``)::

    render_certificate(record: BirthRecord | DeathRecord, issue: Issue, signer: Signer, *,
                       options: RenderOptions | None = None) -> bytes
    render_birth_certificate(...), render_death_certificate(...)  # the same, for one type only
    render_batch(items: Iterable[tuple[BirthRecord | DeathRecord, Issue]], out: BinaryIO,
                 signer: Signer, *, options: RenderOptions | None = None,
                 chunk_size: int = 200, progress: Callable[[int], None] | None = None) -> int

Inputs are frozen dataclasses of plain values: :class:`BirthRecord`, :class:`DeathRecord`,
:class:`Issue` (serial, office, date, registrar, copy number, seal image bytes) and
:class:`RenderOptions` (label languages, paper, authority, country, emblem image, signer's
title, font directories). Label tables exist for ``en``, ``fr`` and ``ar`` (:data:`LABELS`).
Names and places print in the script they were recorded in: Latin, Arabic, Ethiopic,
Devanagari, Bengali and Chinese, shaped with HarfBuzz and drawn as glyph outlines; every string
on the page (labels included) also carries its Unicode text (``/ActualText`` and invisible text
over the outlines), so ``pdftotext``, search and screen readers read it in its own script.
Values up to 1000 characters print whole: a long value wraps onto more lines, never below 7 pt,
and the rows share the page's height between the header and the footer. A death certificate
prints the underlying cause as certified and, if given, the Part 1 sequence. Fonts come from the
Debian packages fonts-noto-core and fonts-wqy-zenhei. Nothing in the input is interpreted as
markup, and no file or URL named by input is opened (seal and emblem are given as bytes).

Serials::

    make_serial(number: int, *, year: int | None = None, width: int = 8) -> str
    check_serial(serial: str) -> bool

Signed QR payloads (CBOR claims in COSE_Sign1, Ed25519, zlib, base45, prefix ``CRVS1:``)::

    generate_signing_key() -> tuple[bytes, bytes, str]   # private PEM, public PEM, key id
    Signer(private_pem: bytes, password: bytes | None = None)  # .key_id, .public_pem, .sign()
    verify_payload(payload: str, public_keys: Mapping[str, bytes] | Sequence[bytes])
        -> VerifiedCertificate
    facts_of(record, issue) -> CertificateFacts     # what the QR of a certificate carries
                                                    # (names over 100 characters shortened, "…")
    signer.sign(facts) -> str                       # the QR payload text
    PREFIX                                          # "CRVS1:", what every payload starts with
    read_qr(image: bytes, *, max_pixels: int | None = None) -> str
                                                    # the payload of the QR code in PNG or
                                                    # JPEG bytes (raises UnreadableImage)

The command line ``python -m certificates verify PAYLOAD_OR_IMAGE --public-key KEY.pem``
checks a payload offline (see :mod:`certificates.cli`).

Exceptions
----------
::

    CertificateError
    ├── FontNotFound            a script's font is not installed (names the Debian package)
    ├── InvalidCertificateData  a value cannot be printed (bad seal image, unknown language)
    ├── UnreadableImage         no certificate QR code can be read from an image (.reason)
    └── VerificationError       a QR payload cannot be trusted
        ├── MalformedPayload    not a payload of ours
        ├── UnknownKey          signed with a key id not among the public keys given
        └── BadSignature        the signature does not match (tampered or forged)
"""

from __future__ import annotations

from .batch import render_batch
from .errors import (
    BadSignature,
    CertificateError,
    FontNotFound,
    InvalidCertificateData,
    MalformedPayload,
    UnknownKey,
    UnreadableImage,
    VerificationError,
)
from .labels import LABELS
from .models import BirthRecord, DeathRecord, Issue, Paper, RenderOptions, Sex
from .qr import read_qr
from .render import (
    facts_of,
    render_birth_certificate,
    render_certificate,
    render_death_certificate,
)
from .serial import check_serial, make_serial
from .signing import (
    PREFIX,
    CertificateFacts,
    Signer,
    VerifiedCertificate,
    generate_signing_key,
    verify_payload,
)

__all__ = [
    "LABELS",
    "PREFIX",
    "BadSignature",
    "BirthRecord",
    "CertificateError",
    "CertificateFacts",
    "DeathRecord",
    "FontNotFound",
    "InvalidCertificateData",
    "Issue",
    "MalformedPayload",
    "Paper",
    "RenderOptions",
    "Sex",
    "Signer",
    "UnknownKey",
    "UnreadableImage",
    "VerificationError",
    "VerifiedCertificate",
    "check_serial",
    "facts_of",
    "generate_signing_key",
    "make_serial",
    "read_qr",
    "render_batch",
    "render_birth_certificate",
    "render_certificate",
    "render_death_certificate",
    "verify_payload",
]
