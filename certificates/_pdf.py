"""Prebuilt form XObjects: serialised once per process, shared by every document.

reportlab formats, compresses and encodes a form's content and resource dictionary for every
document it is saved in, at a cost of about half a millisecond per form. For content that never
changes (the guilloche, glyph outlines) that is wasted work, so such a form is serialised here
once, already compressed, and reportlab writes the bytes as they are.
"""

from __future__ import annotations

import functools
import zlib
from typing import Any

from reportlab.pdfbase import pdfdoc


class _SerialisedObject(pdfdoc.PDFObject):  # type: ignore[misc]
    """A PDF object whose body (between ``obj`` and ``endobj``) is already serialised."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def format(self, document: Any) -> bytes:
        return self.body


@functools.lru_cache(maxsize=65536)
def serialise_form(content: bytes, bbox: tuple[float, float, float, float]) -> bytes:
    """Return the body of a form XObject drawing ``content`` (PDF operators) in ``bbox``.

    The content may use only path, colour and state operators: the form has no resources.
    """
    compressed = zlib.compress(content, 6)
    box = " ".join(f"{value:.2f}" for value in bbox)
    header = (
        f"<< /Type /XObject /Subtype /Form /FormType 1 /BBox [ {box} ] "
        f"/Resources << >> /Filter /FlateDecode /Length {len(compressed)} >>"
    )
    return header.encode("ascii") + b"\nstream\n" + compressed + b"\nendstream\n"


def add_prebuilt_form(canvas: Any, name: str, body: bytes) -> str:
    """Add a form serialised by :func:`serialise_form` to the canvas's document once.

    Args:
        canvas: The reportlab canvas.
        name: The form's name, unique per content.
        body: The serialised form.

    Returns:
        ``name``, for ``canvas.doForm``.
    """
    if not canvas.hasForm(name):
        # reportlab has no public call to add an object it did not build itself.
        canvas._doc.Reference(_SerialisedObject(body), canvas._doc.getXObjectName(name))
    return name
