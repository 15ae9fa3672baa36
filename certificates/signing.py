"""Signed QR payloads: CBOR claims in a COSE_Sign1 envelope, Ed25519, zlib, base45.

The design follows the EU Digital COVID Certificate: the claims are a small CBOR map with
integer keys, wrapped in a COSE_Sign1 structure (RFC 9052, algorithm EdDSA, key id in the
protected header), compressed with zlib, encoded in base45 (RFC 9285, which fits the QR
alphanumeric mode) and prefixed with ``CRVS1:``. A verifier needs only the issuer's public keys;
the key id in the payload selects the key, so keys can be rotated while old certificates stay
verifiable for as long as the old public key is kept.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .errors import BadSignature, MalformedPayload, UnknownKey

PREFIX = "CRVS1:"
_COSE_SIGN1_TAG = 18
_ALG_EDDSA = -8
_HDR_ALG = 1
_HDR_KID = 4
_MAX_PAYLOAD_CHARS = 4096
_MAX_INFLATED = 8192
_B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_B45_INDEX = {char: i for i, char in enumerate(_B45)}

# Claim keys: small integers keep the CBOR short.
_KIND, _REG, _SERIAL, _NAME, _EVENT, _ISSUED, _MOTHER, _FATHER, _BORN, _COPY = range(1, 11)
_KIND_CODES = {"birth": "B", "death": "D"}
_KIND_NAMES = {code: kind for kind, code in _KIND_CODES.items()}


@dataclass(frozen=True)
class CertificateFacts:
    """The key facts of a certificate, as carried in its QR code.

    Attributes:
        kind: ``"birth"`` or ``"death"``.
        registration_number: The registration number of the event.
        serial: The certificate serial (with its check digit).
        name: The child's or the deceased's name, in the script it was recorded in.
        event_date: The date of birth or of death.
        issue_date: The date the certificate was issued.
        mother_name: For a birth, the mother's name.
        father_name: For a birth, the father's name if recorded.
        date_of_birth: For a death, the deceased's date of birth if known.
        copy_number: The copy number of a certified copy; None for an original.
    """

    kind: str
    registration_number: str
    serial: str
    name: str
    event_date: date
    issue_date: date
    mother_name: str | None = None
    father_name: str | None = None
    date_of_birth: date | None = None
    copy_number: int | None = None


@dataclass(frozen=True)
class VerifiedCertificate(CertificateFacts):
    """Facts read from a payload whose signature was checked.

    Attributes:
        key_id: The id of the public key that verified the signature.
    """

    key_id: str = ""


def key_id_of(public_key: Ed25519PublicKey) -> str:
    """Return the key id of a public key: the first 8 bytes of SHA-256 of its raw form, in hex."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).digest()[:8].hex()


def generate_signing_key() -> tuple[bytes, bytes, str]:
    """Create a new Ed25519 signing key.

    Returns:
        ``(private_pem, public_pem, key_id)``: the private key as unencrypted PKCS#8 PEM (store
        it as a secret), the public key as SubjectPublicKeyInfo PEM (publish it to verifiers and
        keep it after rotation), and the key id derived from the public key.
    """
    private = Ed25519PrivateKey.generate()
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = private.public_key()
    public_pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_pem, public_pem, key_id_of(public)


def load_public_key(public_pem: bytes) -> Ed25519PublicKey:
    """Load an Ed25519 public key from PEM.

    Raises:
        ValueError: If the PEM is not an Ed25519 public key.
    """
    key = serialization.load_pem_public_key(public_pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


class Signer:
    """Signs certificate facts with one Ed25519 private key.

    Args:
        private_pem: The private key in PEM (PKCS#8), as made by :func:`generate_signing_key`.
        password: The PEM's password, if it is encrypted.

    Raises:
        ValueError: If the PEM is not an Ed25519 private key.
    """

    def __init__(self, private_pem: bytes, password: bytes | None = None) -> None:
        key = serialization.load_pem_private_key(private_pem, password=password)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("not an Ed25519 private key")
        self._key = key
        self.key_id: str = key_id_of(key.public_key())
        self._protected = cbor2.dumps({_HDR_ALG: _ALG_EDDSA, _HDR_KID: bytes.fromhex(self.key_id)})

    @property
    def public_pem(self) -> bytes:
        """The matching public key as SubjectPublicKeyInfo PEM."""
        return self._key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def sign(self, facts: CertificateFacts) -> str:
        """Sign certificate facts into a QR payload.

        Args:
            facts: The facts to carry, e.g. from :func:`certificates.facts_of`.

        Returns:
            ``CRVS1:`` followed by base45 of the zlib-compressed COSE_Sign1 structure.

        Raises:
            ValueError: If ``facts.kind`` is not ``"birth"`` or ``"death"``.
        """
        claims = cbor2.dumps(_claims_of(facts))
        to_sign = cbor2.dumps(["Signature1", self._protected, b"", claims])
        signature = self._key.sign(to_sign)
        envelope = cbor2.dumps(
            cbor2.CBORTag(_COSE_SIGN1_TAG, [self._protected, {}, claims, signature])
        )
        return PREFIX + b45encode(zlib.compress(envelope, 9))


def _claims_of(facts: CertificateFacts) -> dict[int, Any]:
    if facts.kind not in _KIND_CODES:
        raise ValueError(f"unknown certificate kind {facts.kind!r}")
    claims: dict[int, Any] = {
        _KIND: _KIND_CODES[facts.kind],
        _REG: facts.registration_number,
        _SERIAL: facts.serial,
        _NAME: facts.name,
        _EVENT: facts.event_date.isoformat(),
        _ISSUED: facts.issue_date.isoformat(),
    }
    optional = {
        _MOTHER: facts.mother_name,
        _FATHER: facts.father_name,
        _BORN: facts.date_of_birth.isoformat() if facts.date_of_birth else None,
        _COPY: facts.copy_number,
    }
    claims.update({key: value for key, value in optional.items() if value is not None})
    return claims


def b45encode(data: bytes) -> str:
    """Encode bytes in base45 (RFC 9285)."""
    out = []
    for i in range(0, len(data) - 1, 2):
        value = data[i] * 256 + data[i + 1]
        value, c = divmod(value, 45)
        e, d = divmod(value, 45)
        out.append(_B45[c] + _B45[d] + _B45[e])
    if len(data) % 2:
        d, c = divmod(data[-1], 45)
        out.append(_B45[c] + _B45[d])
    return "".join(out)


def b45decode(text: str) -> bytes:
    """Decode base45 (RFC 9285).

    Raises:
        ValueError: If the text is not valid base45.
    """
    try:
        values = [_B45_INDEX[char] for char in text]
    except KeyError:
        raise ValueError("invalid base45 character") from None
    if len(values) % 3 == 1:
        raise ValueError("invalid base45 length")
    out = bytearray()
    for i in range(0, len(values), 3):
        chunk = values[i : i + 3]
        number = sum(v * 45**k for k, v in enumerate(chunk))
        if len(chunk) == 3:
            if number > 0xFFFF:
                raise ValueError("invalid base45 triple")
            out += number.to_bytes(2, "big")
        else:
            if number > 0xFF:
                raise ValueError("invalid base45 pair")
            out.append(number)
    return bytes(out)


def _public_key_table(
    public_keys: Mapping[str, bytes] | Sequence[bytes],
) -> dict[str, Ed25519PublicKey]:
    if isinstance(public_keys, bytes | str):
        raise ValueError("public_keys must be a list or mapping of PEMs, not one PEM")
    pems = list(public_keys.values()) if isinstance(public_keys, Mapping) else list(public_keys)
    table = {}
    for pem in pems:
        key = load_public_key(pem)
        table[key_id_of(key)] = key
    if isinstance(public_keys, Mapping):
        for stated, pem in public_keys.items():
            if key_id_of(load_public_key(pem)) != stated:
                raise ValueError(f"key id {stated!r} does not match its public key")
    return table


def _unwrap(payload: str) -> tuple[bytes, bytes, bytes, bytes]:
    """Return (protected, kid, claims, signature) or raise MalformedPayload."""
    text = payload.strip()
    if len(text) > _MAX_PAYLOAD_CHARS or not text.startswith(PREFIX):
        raise MalformedPayload(f"not a certificate payload (expected prefix {PREFIX})")
    try:
        compressed = b45decode(text[len(PREFIX) :])
        inflater = zlib.decompressobj()
        raw = inflater.decompress(compressed, _MAX_INFLATED)
        if inflater.unconsumed_tail or not inflater.eof:
            raise ValueError("truncated or oversized zlib stream")
        envelope = cbor2.loads(raw)
    except Exception as exc:  # any decoding failure means the same thing: not our payload
        raise MalformedPayload(f"payload cannot be decoded ({type(exc).__name__})") from None
    if not (
        isinstance(envelope, cbor2.CBORTag)
        and envelope.tag == _COSE_SIGN1_TAG
        and isinstance(envelope.value, (list, tuple))
        and len(envelope.value) == 4
        and all(isinstance(envelope.value[i], bytes) for i in (0, 2, 3))
    ):
        raise MalformedPayload("payload is not a COSE_Sign1 structure")
    protected, _unprotected, claims, signature = envelope.value
    try:
        header = cbor2.loads(protected)
    except Exception:
        raise MalformedPayload("protected header cannot be decoded") from None
    if not isinstance(header, Mapping) or header.get(_HDR_ALG) != _ALG_EDDSA:
        raise MalformedPayload("payload is not signed with EdDSA")
    kid = header.get(_HDR_KID)
    if not isinstance(kid, bytes) or len(kid) != 8:
        raise MalformedPayload("payload has no valid key id")
    return protected, kid, claims, signature


def verify_payload(
    payload: str, public_keys: Mapping[str, bytes] | Sequence[bytes]
) -> VerifiedCertificate:
    """Check a QR payload's signature and return the facts it carries.

    Args:
        payload: The QR text, ``CRVS1:`` followed by base45.
        public_keys: The issuer's public keys in PEM, either a list or a mapping of key id to
            PEM; keep retired keys here so that certificates signed with them still verify.

    Returns:
        The verified facts and the id of the key that signed them.

    Raises:
        MalformedPayload: If the text is not a well-formed payload.
        UnknownKey: If the payload's key id matches none of ``public_keys``.
        BadSignature: If the signature does not match (the payload was altered or forged).
        ValueError: If a given public key is not an Ed25519 PEM or its stated id is wrong.
    """
    protected, kid, claims_bytes, signature = _unwrap(payload)
    keys = _public_key_table(public_keys)
    key = keys.get(kid.hex())
    if key is None:
        raise UnknownKey(f"payload is signed with key {kid.hex()}, which is not known")
    try:
        key.verify(signature, cbor2.dumps(["Signature1", protected, b"", claims_bytes]))
    except InvalidSignature:
        raise BadSignature("signature does not match the payload") from None
    return _facts_from_claims(claims_bytes, kid.hex())


def _facts_from_claims(claims_bytes: bytes, key_id: str) -> VerifiedCertificate:
    try:
        claims = cbor2.loads(claims_bytes)
        if not isinstance(claims, Mapping):
            raise TypeError("claims must be a map")
        kind = _KIND_NAMES[claims[_KIND]]
        for key in (_REG, _SERIAL, _NAME):
            if not isinstance(claims[key], str):
                raise TypeError("text claim expected")
        copy = claims.get(_COPY)
        if copy is not None and not isinstance(copy, int):
            raise TypeError("copy number must be an integer")
        return VerifiedCertificate(
            kind=kind,
            registration_number=claims[_REG],
            serial=claims[_SERIAL],
            name=claims[_NAME],
            event_date=date.fromisoformat(claims[_EVENT]),
            issue_date=date.fromisoformat(claims[_ISSUED]),
            mother_name=_optional_text(claims.get(_MOTHER)),
            father_name=_optional_text(claims.get(_FATHER)),
            date_of_birth=date.fromisoformat(claims[_BORN]) if _BORN in claims else None,
            copy_number=copy,
            key_id=key_id,
        )
    except Exception as exc:
        raise MalformedPayload(f"signed claims are not valid ({type(exc).__name__})") from None


def _optional_text(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise TypeError("text claim expected")
