"""Command line: verify a certificate's QR payload offline, make a signing key.

::

    python -m certificates verify PAYLOAD_OR_IMAGE --public-key KEY.pem [--public-key OLD.pem]
    python -m certificates keygen --out-dir DIR

``verify`` takes the payload text (``CRVS1:...``) or the path of a PNG or JPEG showing the QR
code (read by :func:`certificates.read_qr`), prints the facts and exits 0, or prints one line
giving the reason and exits 1. No traceback is ever printed. Offline it cannot know the register: a
genuine signature says the certificate was issued as printed; whether it was since revoked or
superseded by a correction is only known online, and the output says so (``current: ...``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from .errors import MalformedPayload, UnreadableImage, VerificationError
from .qr import read_qr
from .signing import PREFIX, generate_signing_key, verify_payload

_MAX_IMAGE_BYTES = 20 * 1024 * 1024


OFFLINE_STATUS = (
    "not known offline: the signature shows the certificate was issued as printed, not "
    "whether it has since been revoked or superseded by a correction of the record; the "
    "registry's /verify page tells"
)


class _Failure(Exception):
    """A failure reported as one line and exit status 1."""


def _read_qr(path: str) -> str:
    try:
        if os.path.getsize(path) > _MAX_IMAGE_BYTES:
            raise _Failure(f"image too large: {path}")
        with open(path, "rb") as handle:
            image = handle.read(_MAX_IMAGE_BYTES + 1)
    except OSError as exc:
        raise _Failure(f"cannot read image {path}: {exc.strerror or type(exc).__name__}") from None
    try:
        return read_qr(image)
    except UnreadableImage as exc:
        if exc.reason == "no_code":
            raise _Failure(f"malformed payload: no certificate QR code found in {path}") from None
        raise _Failure(f"cannot read image {path}: {exc}") from None


def _read_keys(paths: Sequence[str]) -> list[bytes]:
    keys = []
    for path in paths:
        try:
            with open(path, "rb") as handle:
                keys.append(handle.read(64 * 1024))
        except OSError as exc:
            raise _Failure(f"cannot read public key {path}: {exc.strerror}") from None
    return keys


def _verify(args: argparse.Namespace) -> int:
    source: str = args.payload
    payload = source if source.strip().startswith(PREFIX) else None
    if payload is None:
        if not os.path.isfile(source):
            raise _Failure("malformed payload: neither a CRVS1: payload nor an image file")
        payload = _read_qr(source)
    keys = _read_keys(args.public_key)
    try:
        facts = verify_payload(payload, keys)
    except ValueError as exc:
        raise _Failure(f"bad public key: {exc}") from None
    except MalformedPayload as exc:
        raise _Failure(f"malformed payload: {exc}") from None
    except VerificationError as exc:
        raise _Failure(f"{exc.reason}: {exc}") from None
    print("valid signature")
    rows = [
        ("type", facts.kind),
        ("registration number", facts.registration_number),
        ("serial", facts.serial),
        ("name", facts.name),
        ("date of " + facts.kind, facts.event_date.isoformat()),
        ("mother", facts.mother_name),
        ("father", facts.father_name),
        ("date of birth", facts.date_of_birth.isoformat() if facts.date_of_birth else None),
        ("issued", facts.issue_date.isoformat()),
        ("copy number", None if facts.copy_number is None else str(facts.copy_number)),
        ("key id", facts.key_id),
    ]
    for label, value in rows:
        if value is not None:
            print(f"{label}: {value}")
    shortened = [
        label
        for label, value in rows[3:7]
        if value is not None and label != "date of " + facts.kind and value.endswith("…")
    ]
    if shortened:
        print(
            f"note: the {' and '.join(shortened)} "
            f"{'is' if len(shortened) == 1 else 'are'} shortened in the QR code (…): "
            "compare the beginning with the paper"
        )
    print(f"current: {OFFLINE_STATUS}")
    return 0


def _keygen(args: argparse.Namespace) -> int:
    private_pem, public_pem, key_id = generate_signing_key()
    directory: str = args.out_dir
    private_path = os.path.join(directory, f"{key_id}.key.pem")
    public_path = os.path.join(directory, f"{key_id}.pub.pem")
    try:
        os.makedirs(directory, exist_ok=True)
        descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(private_pem)
        with open(public_path, "wb") as handle:
            handle.write(public_pem)
    except OSError as exc:
        raise _Failure(f"cannot write key files: {exc.strerror}") from None
    print(f"key id: {key_id}")
    print(f"private key: {private_path}")
    print(f"public key: {public_path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``python -m certificates``."""
    parser = argparse.ArgumentParser(
        prog="python -m certificates", description="Civil registration certificates."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser("verify", help="verify a certificate QR payload offline")
    verify.add_argument("payload", help="the payload text, or a PNG/JPEG image of the QR code")
    verify.add_argument(
        "--public-key",
        action="append",
        required=True,
        metavar="KEY.pem",
        help="an issuer public key (PEM); repeat for retired keys",
    )
    verify.set_defaults(handler=_verify)
    keygen = commands.add_parser("keygen", help="make a new Ed25519 signing key pair")
    keygen.add_argument("--out-dir", required=True, help="directory for the two PEM files")
    keygen.set_defaults(handler=_keygen)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = build_parser().parse_args(argv)
    try:
        status: int = args.handler(args)
    except _Failure as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # the promise is one line, never a traceback
        print(f"error: unexpected {type(exc).__name__}", file=sys.stderr)
        return 1
    return status
