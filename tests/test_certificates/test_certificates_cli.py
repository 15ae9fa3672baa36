"""``python -m certificates``: run as a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from certhelpers import NAMES, birth, issue, pdf_to_images

from certificates import Signer, generate_signing_key, render_birth_certificate

REPO = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "certificates", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=REPO,
    )


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Signer, Path, Path]:
    """A signer, its public key file and an unrelated public key file."""
    folder = tmp_path_factory.mktemp("keys")
    private, public, _ = generate_signing_key()
    (folder / "current.pem").write_bytes(public)
    (folder / "other.pem").write_bytes(generate_signing_key()[1])
    return Signer(private), folder / "current.pem", folder / "other.pem"


@pytest.fixture(scope="module")
def payload(keys: tuple[Signer, Path, Path]) -> str:
    from certificates.render import facts_of

    return keys[0].sign(facts_of(birth(NAMES["arabic"]), issue()))


def _assert_one_line_failure(result: subprocess.CompletedProcess[str], reason: str) -> None:
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert reason in lines[0]
    assert "Traceback" not in result.stderr


def test_verify_payload_text(keys: tuple[Signer, Path, Path], payload: str) -> None:
    """It prints the facts of a valid payload and exits 0; an old key may sit beside it."""
    result = _run("verify", payload, "--public-key", str(keys[2]), "--public-key", str(keys[1]))
    assert result.returncode == 0, result.stderr
    assert "valid signature" in result.stdout
    assert f"name: {NAMES['arabic']}" in result.stdout
    assert "registration number: B-2024-000123" in result.stdout
    assert f"key id: {keys[0].key_id}" in result.stdout
    # Offline, the register cannot be consulted: it says so instead of claiming "in force".
    assert result.stdout.splitlines()[-1].startswith("current: not known offline")
    assert "revoked or superseded by a correction" in result.stdout
    assert "note:" not in result.stdout


def test_verify_says_which_names_the_qr_code_shortens(keys: tuple[Signer, Path, Path]) -> None:
    """It prints a long name as the QR code carries it and says that it is shortened."""
    from certificates.render import facts_of

    long_name = "Wanjiru " * 30 + "Kamau"
    payload = keys[0].sign(facts_of(birth(long_name), issue()))
    result = _run("verify", payload, "--public-key", str(keys[1]))
    assert result.returncode == 0, result.stderr
    name = next(line for line in result.stdout.splitlines() if line.startswith("name: "))
    assert name.endswith("…") and long_name.startswith(name[len("name: ") : -1])
    assert "note: the name is shortened in the QR code" in result.stdout


def test_verify_png_of_a_rendered_page(keys: tuple[Signer, Path, Path], tmp_path: Path) -> None:
    """It reads the QR code from a PNG and a JPEG of a 150 dpi page render and verifies it."""
    pdf = render_birth_certificate(birth(NAMES["chinese"]), issue(copy_number=1), keys[0])
    page = pdf_to_images(pdf, tmp_path)[0]
    for name in ("scan.png", "scan.jpg"):
        page.save(tmp_path / name, quality=85)
        result = _run("verify", str(tmp_path / name), "--public-key", str(keys[1]))
        assert result.returncode == 0, result.stderr
        assert f"name: {NAMES['chinese']}" in result.stdout
        assert "copy number: 1" in result.stdout


def test_tampered_payload(keys: tuple[Signer, Path, Path], payload: str) -> None:
    """It exits 1 with one line when a character of the payload was changed."""
    index = len(payload) - 5
    tampered = payload[:index] + ("A" if payload[index] != "A" else "B") + payload[index + 1 :]
    result = _run("verify", tampered, "--public-key", str(keys[1]))
    assert result.returncode == 1
    assert len(result.stderr.splitlines()) == 1


def test_bad_payload(keys: tuple[Signer, Path, Path]) -> None:
    """It exits 1 with one line for text that is not a payload."""
    _assert_one_line_failure(
        _run("verify", "CRVS1:not-base45", "--public-key", str(keys[1])), "malformed"
    )
    _assert_one_line_failure(_run("verify", "hello", "--public-key", str(keys[1])), "malformed")


def test_unknown_key(keys: tuple[Signer, Path, Path], payload: str) -> None:
    """It exits 1 naming an unknown key."""
    _assert_one_line_failure(_run("verify", payload, "--public-key", str(keys[2])), "unknown key")


def test_image_without_qr_and_missing_key_file(
    keys: tuple[Signer, Path, Path], payload: str, tmp_path: Path
) -> None:
    """It exits 1 with one line for an image without a QR code and an unreadable key file."""
    from PIL import Image

    blank = tmp_path / "blank.png"
    Image.new("RGB", (200, 200), "white").save(blank)
    _assert_one_line_failure(
        _run("verify", str(blank), "--public-key", str(keys[1])), "no certificate QR"
    )
    not_image = tmp_path / "notes.png"
    not_image.write_text("not an image")
    _assert_one_line_failure(
        _run("verify", str(not_image), "--public-key", str(keys[1])), "cannot read image"
    )
    missing = str(tmp_path / "missing.pem")
    _assert_one_line_failure(
        _run("verify", payload, "--public-key", missing), "cannot read public key"
    )
    _assert_one_line_failure(
        _run("verify", payload, "--public-key", str(not_image)), "bad public key"
    )


def test_keygen_writes_a_usable_pair(tmp_path: Path, payload: str) -> None:
    """It writes a private key readable only by its owner and a public key that verifies."""
    result = _run("keygen", "--out-dir", str(tmp_path / "k"))
    assert result.returncode == 0, result.stderr
    key_id = result.stdout.split("key id: ")[1].split()[0]
    private = tmp_path / "k" / f"{key_id}.key.pem"
    assert private.stat().st_mode & 0o077 == 0
    signer = Signer(private.read_bytes())
    from certificates.render import facts_of

    fresh = signer.sign(facts_of(birth(), issue()))
    public = tmp_path / "k" / f"{key_id}.pub.pem"
    assert _run("verify", fresh, "--public-key", str(public)).returncode == 0
