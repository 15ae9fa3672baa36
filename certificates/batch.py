"""Many certificates into one PDF with flat memory.

reportlab keeps every page of a document in memory until ``save()``, so a 10,000-page document
made with one canvas grows to hundreds of megabytes. Here the certificates are drawn in chunks,
each chunk a small complete PDF made by reportlab, and the chunks are streamed into ``out`` as
one document: each chunk's objects are renumbered and written at once, and the chunk's page-tree
node is hung under one root page tree written at the end. Only the object offsets (a few bytes
per object) are kept until the cross-reference table is written.
"""

from __future__ import annotations

import io
import itertools
import os
import re
from collections.abc import Callable, Iterable
from typing import BinaryIO

from .errors import CertificateError
from .models import BirthRecord, DeathRecord, Issue, RenderOptions
from .render import PageRenderer, new_canvas
from .signing import Signer

_REF = re.compile(rb"(\d+) 0 R")
_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
_ROOT = re.compile(rb"/Root (\d+) 0 R")
_PAGES = re.compile(rb"/Pages (\d+) 0 R")
_COUNT = re.compile(rb"/Count (\d+)")


class PdfConcatenator:
    """Streams the pages of reportlab-made PDFs into one PDF.

    It understands the plain files reportlab writes (a classic cross-reference table, no
    object streams, no incremental updates), not PDF in general.

    Args:
        out: A binary stream; written sequentially, never sought.
    """

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._position = 0
        self._offsets: list[int] = [0, 0, 0]  # 0 free, 1 root page tree, 2 catalog
        self._kids: list[int] = []
        self._pages = 0
        self._write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")

    @property
    def pages(self) -> int:
        """Pages added so far."""
        return self._pages

    def _write(self, data: bytes) -> None:
        self._out.write(data)
        self._position += len(data)

    def _object(self, number: int, body: bytes) -> None:
        self._offsets[number] = self._position
        self._write(b"%d 0 obj\n" % number + body + b"endobj\n")

    def add(self, pdf: bytes) -> None:
        """Append all pages of a PDF made by reportlab.

        Raises:
            CertificateError: If the bytes are not a PDF of the expected shape.
        """
        objects, root = _read_objects(pdf)
        pages_match = _PAGES.search(_dictionary(objects[root]))
        if pages_match is None:
            raise CertificateError("chunk has no page tree")
        pages_node = int(pages_match.group(1))
        # Keep what the page tree reaches; the chunk's catalog, info and outlines are dropped.
        keep: dict[int, int] = {}
        todo = [pages_node]
        while todo:
            old = todo.pop()
            if old in keep or old not in objects:
                continue
            keep[old] = len(self._offsets) + len(keep)
            todo.extend(int(ref) for ref in _REF.findall(_dictionary(objects[old])))
        self._offsets.extend([0] * len(keep))

        def renumber(match: re.Match[bytes]) -> bytes:
            return b"%d 0 R" % keep[int(match.group(1))]

        for old, new in sorted(keep.items(), key=lambda item: item[1]):
            body = objects[old]
            head = _dictionary(body)
            rest = body[len(head) :]
            head = _REF.sub(renumber, head)
            if old == pages_node:
                count = _COUNT.search(head)
                self._pages += int(count.group(1)) if count else 0
                head = head.replace(b"<<", b"<< /Parent 1 0 R", 1)
            self._object(new, head + rest)
        self._kids.append(keep[pages_node])

    def close(self, title: str = "Civil registration certificates") -> None:
        """Write the root page tree, catalog, info, cross-reference table and trailer."""
        kids = b" ".join(b"%d 0 R" % kid for kid in self._kids)
        self._object(1, b"<< /Type /Pages /Count %d /Kids [ %s ] >>\n" % (self._pages, kids))
        self._object(2, b"<< /Type /Catalog /Pages 1 0 R >>\n")
        info = len(self._offsets)
        self._offsets.append(0)
        safe_title = title.encode("ascii", "replace").translate(None, b"()\\")
        self._object(info, b"<< /Producer (crvs certificates) /Title (%s) >>\n" % safe_title)
        xref = self._position
        lines = [b"xref\n0 %d\n" % len(self._offsets), b"0000000000 65535 f \n"]
        lines.extend(b"%010d 00000 n \n" % offset for offset in self._offsets[1:])
        file_id = os.urandom(16).hex().encode()
        lines.append(
            b"trailer\n<< /Size %d /Root 2 0 R /Info %d 0 R /ID [ <%s> <%s> ] >>\n"
            % (len(self._offsets), info, file_id, file_id)
        )
        lines.append(b"startxref\n%d\n%%%%EOF\n" % xref)
        self._write(b"".join(lines))


def _dictionary(body: bytes) -> bytes:
    """Return the part of an object body before its stream data (all of it if none)."""
    index = body.find(b"\nstream\n")
    return body if index < 0 else body[:index]


def _read_objects(pdf: bytes) -> tuple[dict[int, bytes], int]:
    """Return ({number: body between 'obj' and 'endobj'}, catalog number)."""
    match = _STARTXREF.search(pdf[-64:])
    if match is None or not pdf.startswith(b"%PDF-"):
        raise CertificateError("chunk is not a complete PDF")
    xref = int(match.group(1))
    lines = pdf[xref:].split(b"\n")
    if lines[0].strip() != b"xref":
        raise CertificateError("chunk has no classic cross-reference table")
    first, count = (int(part) for part in lines[1].split())
    offsets = {}
    for i, line in enumerate(lines[2 : 2 + count]):
        fields = line.split()
        if len(fields) >= 3 and fields[2] == b"n":
            offsets[first + i] = int(fields[0])
    bounds = [*sorted(offsets.values()), xref]
    after = dict(itertools.pairwise(bounds))
    objects = {}
    for number, start in offsets.items():
        chunk = pdf[start : after[start]]
        header = b"%d 0 obj\n" % number
        end = chunk.rfind(b"endobj")
        if not chunk.startswith(header) or end < 0:
            raise CertificateError(f"chunk object {number} is not where the xref says")
        objects[number] = chunk[len(header) : end]
    trailer = pdf[xref:]
    root = _ROOT.search(trailer)
    if root is None:
        raise CertificateError("chunk has no catalog")
    return objects, int(root.group(1))


def render_batch(
    items: Iterable[tuple[BirthRecord | DeathRecord, Issue]],
    out: BinaryIO,
    signer: Signer,
    *,
    options: RenderOptions | None = None,
    chunk_size: int = 200,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Render many certificates, one per page, into one PDF written to ``out``.

    Memory stays flat in the number of certificates: pages are drawn ``chunk_size`` at a time
    and each chunk is written out before the next is drawn. ``items`` is consumed lazily, so it
    may be a generator over a database cursor.

    Args:
        items: ``(record, issue)`` pairs; births and deaths may be mixed.
        out: A writable binary stream (a file opened ``"wb"``, a ``BytesIO``).
        signer: Signs each certificate's QR payload.
        options: Languages, paper and fonts, the same for every page.
        chunk_size: Pages drawn per chunk; larger is slightly faster and uses more memory.
        progress: Called with the number of pages written after each chunk.

    Returns:
        The number of pages written.

    Raises:
        FontNotFound: If a script in the data or the labels has no installed font.
        InvalidCertificateData: If an item cannot be printed; nothing is rolled back in
            ``out``, which then holds an incomplete file.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    options = options or RenderOptions()
    writer = PdfConcatenator(out)
    buffer: io.BytesIO | None = None
    canvas = renderer = None
    in_chunk = 0

    def flush() -> None:
        nonlocal buffer, canvas, renderer, in_chunk
        if canvas is None or buffer is None:
            return
        canvas.save()
        writer.add(buffer.getvalue())
        buffer = canvas = renderer = None
        in_chunk = 0
        if progress is not None:
            progress(writer.pages)

    for record, issue in items:
        if renderer is None:
            buffer = io.BytesIO()
            canvas = new_canvas(buffer, options)
            renderer = PageRenderer(canvas, signer, options)
        renderer.draw_page(record, issue)
        in_chunk += 1
        if in_chunk >= chunk_size:
            flush()
    flush()
    writer.close()
    return writer.pages
