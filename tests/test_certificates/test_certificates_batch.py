"""Many certificates in one PDF, written in chunks."""

from __future__ import annotations

import io
import itertools
import subprocess
from pathlib import Path

import pytest
import zxingcpp
from certhelpers import NAMES, birth, death, issue, pdf_to_images
from pypdf import PdfReader

from certificates import CertificateError, RenderOptions, Signer, render_batch, verify_payload
from certificates.batch import PdfConcatenator


def _items(count: int) -> list[tuple[object, object]]:
    scripts = itertools.cycle(sorted(NAMES))
    items: list[tuple[object, object]] = []
    for number in range(count):
        name = NAMES[next(scripts)]
        serial = f"2024-{number:08d}-0"
        if number % 3 == 2:
            items.append((death(name, registration_number=f"D-{number}"), issue(serial=serial)))
        else:
            items.append((birth(name, registration_number=f"B-{number}"), issue(serial=serial)))
    return items


def test_batch_is_one_valid_pdf_with_every_page(
    signer: Signer, keypair: tuple[bytes, bytes, str], tmp_path: Path
) -> None:
    """It writes one PDF, in chunks, whose pages come in order and each carry their own QR."""
    out = io.BytesIO()
    seen: list[int] = []
    pages = render_batch(
        iter(_items(11)),
        out,
        signer,
        chunk_size=4,
        progress=seen.append,
        options=RenderOptions(languages=("fr", "ar")),
    )
    assert pages == 11
    assert seen == [4, 8, 11]
    pdf = out.getvalue()
    reader = PdfReader(io.BytesIO(pdf), strict=True)
    assert len(reader.pages) == 11
    source = tmp_path / "batch.pdf"
    source.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(source)], capture_output=True, text=True, check=True)
    assert "Pages:           11" in info.stdout
    assert info.stderr == ""
    for number in (0, 5, 10):
        folder = tmp_path / str(number)
        folder.mkdir()
        image = pdf_to_images(pdf, folder, pages=(number + 1, number + 1))[0]
        facts = verify_payload(zxingcpp.read_barcodes(image)[0].text, [keypair[1]])
        assert facts.registration_number.endswith(f"-{number}")
        assert facts.kind == ("death" if number % 3 == 2 else "birth")


def test_empty_batch_is_a_valid_empty_document(signer: Signer) -> None:
    """It writes a PDF without pages for no items instead of failing."""
    out = io.BytesIO()
    assert render_batch([], out, signer) == 0
    assert len(PdfReader(io.BytesIO(out.getvalue())).pages) == 0


def test_bad_chunk_size_and_bad_chunk(signer: Signer) -> None:
    """It refuses a chunk size below one and bytes that are not a reportlab PDF."""
    with pytest.raises(ValueError):
        render_batch([], io.BytesIO(), signer, chunk_size=0)
    with pytest.raises(CertificateError):
        PdfConcatenator(io.BytesIO()).add(b"%PDF-1.4 nothing here")
