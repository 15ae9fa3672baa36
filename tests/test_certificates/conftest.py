"""Fixtures for the certificates tests: signing keys and a seal image."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw

from certificates import Signer, generate_signing_key


@pytest.fixture(scope="session")
def keypair() -> tuple[bytes, bytes, str]:
    return generate_signing_key()


@pytest.fixture(scope="session")
def signer(keypair: tuple[bytes, bytes, str]) -> Signer:
    return Signer(keypair[0])


@pytest.fixture(scope="session")
def seal_png() -> bytes:
    image = Image.new("RGBA", (240, 240), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, 232, 232), outline=(140, 20, 20, 255), width=10)
    draw.ellipse((50, 50, 190, 190), outline=(140, 20, 20, 255), width=5)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()
