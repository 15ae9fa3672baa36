"""Signed QR payloads: round trip, tampering, unknown and rotated keys, malformed input."""

from __future__ import annotations

import zlib
from datetime import date

import cbor2
import pytest

from certificates import (
    BadSignature,
    MalformedPayload,
    Signer,
    UnknownKey,
    VerificationError,
    generate_signing_key,
    verify_payload,
)
from certificates.signing import PREFIX, CertificateFacts, b45decode, b45encode

FACTS = CertificateFacts(
    kind="birth",
    registration_number="B-2024-000123",
    serial="2024-00000123-4",
    name="محمد بن عبد الله",
    event_date=date(2024, 2, 28),
    issue_date=date(2024, 6, 1),
    mother_name="Fatou Diallo",
    father_name=None,
    copy_number=2,
)


def _reencode(payload: str, change: object) -> str:
    """Decode a payload, let ``change`` edit the COSE array, and encode it again."""
    envelope = cbor2.loads(zlib.decompress(b45decode(payload[len(PREFIX) :])))
    parts = list(envelope.value)
    change(parts)  # type: ignore[operator]
    raw = cbor2.dumps(cbor2.CBORTag(18, parts))
    return PREFIX + b45encode(zlib.compress(raw))


def test_round_trip(signer: Signer, keypair: tuple[bytes, bytes, str]) -> None:
    """It verifies what it signed and returns every fact and the key id."""
    payload = signer.sign(FACTS)
    assert payload.startswith("CRVS1:")
    verified = verify_payload(payload, [keypair[1]])
    assert verified.key_id == keypair[2] == signer.key_id
    for field in ("kind", "registration_number", "serial", "name", "event_date", "issue_date"):
        assert getattr(verified, field) == getattr(FACTS, field)
    assert verified.mother_name == "Fatou Diallo"
    assert verified.father_name is None
    assert verified.copy_number == 2


def test_mapping_of_keys(signer: Signer, keypair: tuple[bytes, bytes, str]) -> None:
    """It accepts a mapping of key id to PEM and refuses an id that does not fit its key."""
    payload = signer.sign(FACTS)
    assert verify_payload(payload, {keypair[2]: keypair[1]}).key_id == keypair[2]
    with pytest.raises(ValueError, match="does not match"):
        verify_payload(payload, {"0000000000000000": keypair[1]})


def test_one_byte_of_the_claims_tampered(signer: Signer, keypair: tuple[bytes, bytes, str]) -> None:
    """It rejects a payload whose signed claims changed by one byte."""
    payload = signer.sign(FACTS)

    def flip(parts: list[object]) -> None:
        claims = bytearray(parts[2])  # type: ignore[arg-type]
        index = claims.index(b"B-2024")
        claims[index + 2] ^= 0x01  # "2024" becomes "3024": still valid CBOR text
        parts[2] = bytes(claims)

    with pytest.raises(BadSignature):
        verify_payload(_reencode(payload, flip), [keypair[1]])


def test_any_character_of_the_text_tampered(
    signer: Signer, keypair: tuple[bytes, bytes, str]
) -> None:
    """It never accepts a payload with any single character changed."""
    payload = signer.sign(FACTS)
    for index in range(len(PREFIX), len(payload), 7):
        char = "A" if payload[index] != "A" else "B"
        with pytest.raises(VerificationError):
            verify_payload(payload[:index] + char + payload[index + 1 :], [keypair[1]])


def test_unknown_key(signer: Signer) -> None:
    """It names an unknown key apart from a bad signature."""
    _, other_public, _ = generate_signing_key()
    with pytest.raises(UnknownKey):
        verify_payload(signer.sign(FACTS), [other_public])


def test_rotation_keeps_old_certificates_verifiable(keypair: tuple[bytes, bytes, str]) -> None:
    """It verifies payloads of the old and the new key while both public keys are kept."""
    old = Signer(keypair[0])
    new_private, new_public, new_id = generate_signing_key()
    new = Signer(new_private)
    keys = [keypair[1], new_public]
    assert verify_payload(old.sign(FACTS), keys).key_id == keypair[2]
    assert verify_payload(new.sign(FACTS), keys).key_id == new_id
    with pytest.raises(UnknownKey):
        verify_payload(old.sign(FACTS), [new_public])


def test_forged_signature_under_a_known_key_id(
    signer: Signer, keypair: tuple[bytes, bytes, str]
) -> None:
    """It rejects a payload that claims a known key id but was signed by another key."""
    forger = Signer(generate_signing_key()[0])
    forged = forger.sign(FACTS)

    def steal_header(parts: list[object]) -> None:
        parts[0] = cbor2.dumps({1: -8, 4: bytes.fromhex(signer.key_id)})

    with pytest.raises(BadSignature):
        verify_payload(_reencode(forged, steal_header), [keypair[1]])


@pytest.mark.parametrize(
    "payload",
    [
        "",
        "hello",
        "HC1:6BFOXN",
        PREFIX,
        PREFIX + "!!!",
        PREFIX + b45encode(b"not zlib"),
        PREFIX + b45encode(zlib.compress(b"\xff\x00garbage")),
        PREFIX + b45encode(zlib.compress(cbor2.dumps([1, 2, 3]))),
        PREFIX + b45encode(zlib.compress(cbor2.dumps(cbor2.CBORTag(18, [b"", {}, b"", b""])))),
        PREFIX + b45encode(zlib.compress(b"\x00" * 100_000)),
        PREFIX + "A" * 10_000,
    ],
)
def test_malformed_payloads(payload: str, keypair: tuple[bytes, bytes, str]) -> None:
    """It reports anything that is not a payload of ours as malformed."""
    with pytest.raises(MalformedPayload):
        verify_payload(payload, [keypair[1]])


def test_signed_but_invalid_claims_are_malformed(keypair: tuple[bytes, bytes, str]) -> None:
    """It reports validly signed claims of the wrong shape as malformed, not as facts."""
    signer = Signer(keypair[0])
    protected = cbor2.dumps({1: -8, 4: bytes.fromhex(signer.key_id)})
    claims = cbor2.dumps({1: "X"})
    signature = signer._key.sign(cbor2.dumps(["Signature1", protected, b"", claims]))
    raw = cbor2.dumps(cbor2.CBORTag(18, [protected, {}, claims, signature]))
    with pytest.raises(MalformedPayload):
        verify_payload(PREFIX + b45encode(zlib.compress(raw)), [keypair[1]])


def test_base45_matches_the_rfc_examples() -> None:
    """It encodes and decodes the RFC 9285 examples."""
    assert b45encode(b"AB") == "BB8"
    assert b45encode(b"Hello!!") == "%69 VD92EX0"
    assert b45encode(b"ietf!") == "QED8WEX0"
    assert b45decode("QED8WEX0") == b"ietf!"
    with pytest.raises(ValueError):
        b45decode("GGW")  # 65535 < value: not a valid triple
