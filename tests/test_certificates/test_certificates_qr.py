"""``render_certificate`` (one entry point for births and deaths) and ``read_qr``."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from certhelpers import birth, death, issue, pdf_to_images
from PIL import Image

from certificates import (
    PREFIX,
    InvalidCertificateData,
    Signer,
    UnreadableImage,
    read_qr,
    render_certificate,
    verify_payload,
)


def _png(image: Image.Image, kind: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, kind, quality=85)
    return buffer.getvalue()


@pytest.mark.parametrize(("record", "kind"), [(birth(), "birth"), (death(), "death")])
def test_render_certificate_decides_the_event_from_the_record(
    signer: Signer, keypair: tuple[bytes, bytes, str], tmp_path: Path, record: object, kind: str
) -> None:
    """It renders a birth or a death from the record alone, and the page's QR code, read back
    from a PNG and a JPEG of the page, carries that event signed."""
    pdf = render_certificate(record, issue(), signer)  # type: ignore[arg-type]
    page = pdf_to_images(pdf, tmp_path)[0]
    for image in (_png(page), _png(page.convert("RGB"), "JPEG")):
        payload = read_qr(image)
        assert payload.startswith(PREFIX)
        assert verify_payload(payload, [keypair[1]]).kind == kind


def test_render_certificate_refuses_other_records(signer: Signer) -> None:
    """It refuses anything that is neither a birth nor a death."""
    with pytest.raises(InvalidCertificateData, match="BirthRecord or a DeathRecord"):
        render_certificate(issue(), issue(), signer)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"%PDF-1.7 not an image", "format"),
        (b"GIF89a" + b"\x00" * 32, "format"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "damaged"),
        (b"\xff\xd8\xff" + b"\x00" * 64, "damaged"),
        (_png(Image.new("L", (120, 120), 255)), "no_code"),
    ],
)
def test_read_qr_says_why_an_image_has_no_payload(data: bytes, reason: str) -> None:
    """It raises UnreadableImage with a reason for non-images, broken files and blank pages."""
    with pytest.raises(UnreadableImage) as caught:
        read_qr(data)
    assert caught.value.reason == reason


def test_read_qr_bounds_the_pixels_before_decoding() -> None:
    """It refuses an image with more pixels than the caller allows."""
    data = _png(Image.new("L", (300, 300), 255))
    with pytest.raises(UnreadableImage) as caught:
        read_qr(data, max_pixels=300 * 300 - 1)
    assert caught.value.reason == "pixels"
    with pytest.raises(UnreadableImage) as caught:
        read_qr(data, max_pixels=300 * 300)
    assert caught.value.reason == "no_code"
