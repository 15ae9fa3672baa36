"""Reading a certificate's QR payload back from a photo or scan of it."""

from __future__ import annotations

import io

import zxingcpp
from PIL import Image

from .errors import UnreadableImage
from .signing import PREFIX

__all__ = ["read_qr"]

_FORMATS = {b"\x89PNG\r\n\x1a\n": "PNG", b"\xff\xd8\xff": "JPEG"}


def read_qr(image: bytes, *, max_pixels: int | None = None) -> str:
    """Return the certificate payload (``CRVS1:...``) of the QR code in a PNG or JPEG image.

    The image is given as bytes (never a path); only PNG and JPEG are decoded (told by their
    first bytes, so no other decoder of Pillow's is reached), with zxing-cpp. The caller bounds
    the number of bytes it reads.

    Args:
        image: The PNG or JPEG bytes of a photo or scan showing the QR code.
        max_pixels: Refuse an image with more pixels than this (before decoding it); ``None``
            leaves only Pillow's own decompression-bomb limit.

    Returns:
        The text of the first QR code in the image starting with :data:`PREFIX`.

    Raises:
        UnreadableImage: With ``reason`` ``format``, ``pixels``, ``damaged`` or ``no_code``.
    """
    kind = next((k for magic, k in _FORMATS.items() if image.startswith(magic)), None)
    if kind is None:
        raise UnreadableImage("format", "not a PNG or JPEG image")
    try:
        with Image.open(io.BytesIO(image), formats=[kind]) as opened:
            width, height = opened.size
            if max_pixels is not None and width * height > max_pixels:
                raise UnreadableImage("pixels", f"the image has more than {max_pixels} pixels")
            opened.load()
            results = zxingcpp.read_barcodes(opened.convert("L"))
    except UnreadableImage:
        raise
    except Exception as exc:  # a broken or hostile file: say so, never a traceback
        raise UnreadableImage("damaged", type(exc).__name__) from None
    texts = [str(result.text) for result in results if str(result.text).startswith(PREFIX)]
    if not texts:
        raise UnreadableImage("no_code", "no certificate QR code found")
    return texts[0]
