"""What a certificate gives a machine and a reader: extractable text, long names, the page used.

Text is read back with poppler's ``pdftotext`` (the real tool, not a parser of our own); sizes
with pypdf's text visitor; the QR code with zxing-cpp from a 150 dpi render.
"""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pytest
import zxingcpp
from certhelpers import NAMES, birth, death, diff_box, issue, pdf_to_images, save_artifact
from PIL import Image, ImageDraw
from pypdf import PdfReader

from certificates import (
    LABELS,
    InvalidCertificateData,
    RenderOptions,
    Signer,
    render_birth_certificate,
    render_death_certificate,
    verify_payload,
)
from certificates.render import QR_NAME_CHARS

A4_HEIGHT = 841.8898
_RTL_RUN = re.compile("\u202b([^\u202c]*)\u202c")


def pdftotext(pdf: bytes, tmp_path: Path, *extra: str) -> str:
    """Text as poppler extracts it, right-to-left runs put back in logical order.

    poppler prints a right-to-left run in visual order between U+202B and U+202C (for every
    PDF, whatever order its producer used); reversing those runs gives the logical order.
    """
    source = tmp_path / "extract.pdf"
    source.write_bytes(pdf)
    done = subprocess.run(
        ["pdftotext", *extra, str(source), "-"], check=True, capture_output=True, timeout=60
    )
    text = done.stdout.decode("utf-8")
    return _RTL_RUN.sub(lambda match: match.group(1)[::-1], text)


def words(text: str) -> str:
    """Whitespace (line breaks included) collapsed to single spaces."""
    return " ".join(text.split())


@pytest.mark.parametrize("script", sorted(NAMES))
def test_every_name_and_label_is_extractable_in_its_script(
    script: str, signer: Signer, tmp_path: Path
) -> None:
    """It prints each script's names as text pdftotext extracts, with the labels of both
    languages, the bold and the shaped ones included."""
    name = NAMES[script]
    languages = ("en", "ar") if script == "arabic" else ("en", "fr")
    record = birth(name, mother_name=f"{name} {name}", place_of_birth=name)
    pdf = render_birth_certificate(
        record, issue(), signer, options=RenderOptions(languages=languages)
    )
    text = words(pdftotext(pdf, tmp_path))
    assert name in text
    assert f"{name} {name}" in text  # the mother, as one string
    for language in languages:
        labels = LABELS[language]
        for key in ("title_birth", "child_name", "mother_name", "serial", "registrar", "verify"):
            assert labels[key] in text, f"{language} label {key!r} not extractable"


def test_death_labels_and_cause_lines_are_extractable(signer: Signer, tmp_path: Path) -> None:
    """It prints the underlying cause and each Part 1 line as extractable text."""
    sequence = (
        "a) Acute myocardial infarction (I21.9)",
        "b) Chronic ischaemic heart disease (I25.1)",
        "c) Essential hypertension (I10)",
    )
    record = death(
        NAMES["ethiopic"],
        cause_of_death="Chronic ischaemic heart disease (I25.1)",
        cause_sequence=sequence,
    )
    pdf = render_death_certificate(record, issue(), signer)
    text = pdftotext(pdf, tmp_path)
    lines = [line.strip() for line in text.splitlines()]
    assert NAMES["ethiopic"] in words(text)
    assert "Chronic ischaemic heart disease (I25.1)" in lines
    for line in sequence:
        assert line in lines
    for key in ("cause_of_death", "cause_sequence", "deceased_name"):
        assert LABELS["en"][key] in words(text)
        assert LABELS["fr"][key] in words(text)


def _sizes_of(pdf: bytes) -> list[float]:
    """The font sizes (scaled by the text and transformation matrices) of all text pieces.

    Every string on a certificate is text (visible, or invisible over its outlines), so these
    are the sizes of everything printed.
    """
    sizes: list[float] = []

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        if text.strip():
            sizes.append(size * abs(tm[3]) * abs(cm[3]))

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    return sizes


def _word_boxes(pdf: bytes, tmp_path: Path) -> list[tuple[str, float, float, float, float]]:
    """(word, xMin, yMin, xMax, yMax) of every word, from ``pdftotext -bbox`` (y from the top)."""
    html = pdftotext(pdf, tmp_path, "-bbox")
    found = re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
        html,
    )
    return [(w, float(a), float(b), float(c), float(d)) for a, b, c, d, w in found]


@pytest.mark.parametrize(
    ("script", "given", "family"),
    [
        ("latin", "Wanjiru " * 24 + "Akinyi", "Kamau-" + "Nyambura" * 24),  # 199 + 197
        ("chinese", "王小明" * 66 + "王", "欧阳" * 100),  # 199 + 200, no spaces at all
        ("arabic", ("محمد " * 40)[:199], "عبد الله" * 25),
    ],
)
def test_the_longest_names_the_registry_accepts_wrap_at_a_legible_size(
    script: str, given: str, family: str, signer: Signer, tmp_path: Path
) -> None:
    """It prints a 400-character name whole, wrapped on lines of at least 7 pt inside the
    content area, and keeps the QR code small enough to scan, carrying the name shortened."""
    name = f"{given} {family}"
    assert len(given) <= 200 and len(family) <= 200
    record = birth(name, mother_name=name, father_name=name)
    pdf = render_birth_certificate(record, issue(), signer)
    text = pdftotext(pdf, tmp_path)
    joined = "".join(text.split())
    assert "".join(name.split()) in joined  # every character, across the line breaks
    sizes = _sizes_of(pdf)
    assert len(sizes) > 20 and min(sizes) >= 7.0 - 1e-6, sorted(sizes)[:5]
    name_words = [box for box in _word_boxes(pdf, tmp_path) if box[0].strip() in name]
    assert name_words
    for word, x_min, _y_min, x_max, _y_max in name_words:
        assert x_min >= 48 - 1 and x_max <= 595.2756 - 48 + 1, f"{word!r} leaves its box"
    page = pdf_to_images(pdf, tmp_path, dpi=150)[0]
    save_artifact(page, f"long-name-{script}.png")
    found = [r for r in zxingcpp.read_barcodes(page) if r.format == zxingcpp.BarcodeFormat.QRCode]
    assert len(found) == 1
    facts = verify_payload(found[0].text, [signer.public_pem])
    assert len(facts.name) == QR_NAME_CHARS or len(facts.name) < QR_NAME_CHARS
    assert facts.name.endswith("…")
    assert name.startswith(facts.name[:-1].rstrip())


def test_a_short_name_is_carried_whole_in_the_qr_code(signer: Signer, tmp_path: Path) -> None:
    """It signs the name exactly as printed (case and accents kept) when it is not long."""
    record = birth("Grace Wanjiru KAMAU-Adébáyọ̀")
    pdf = render_birth_certificate(record, issue(), signer)
    page = pdf_to_images(pdf, tmp_path, dpi=150)[0]
    facts = verify_payload(zxingcpp.read_barcodes(page)[0].text, [signer.public_pem])
    assert facts.name == "Grace Wanjiru KAMAU-Adébáyọ̀"


def _emblem() -> bytes:
    image = Image.new("RGBA", (300, 300), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((10, 10, 290, 290), outline=(10, 70, 40, 255), width=14)
    draw.polygon([(150, 40), (250, 240), (50, 240)], fill=(10, 10, 10, 255))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def test_the_authority_country_emblem_and_signer_title_come_from_the_options(
    signer: Signer, seal_png: bytes, tmp_path: Path
) -> None:
    """It prints the configured country, authority, emblem and signer's title, and fills the
    page down to the footer (no half-empty A4)."""
    plain = render_birth_certificate(birth(), issue(), signer)
    options = RenderOptions(
        authority="Ministry of the Interior, Civil Status Directorate",
        country="Republic of Amani",
        emblem_image=_emblem(),
        signer_title="Chief Registrar of Births and Deaths",
    )
    pdf = render_birth_certificate(birth(), issue(seal_image=seal_png), signer, options=options)
    text = words(pdftotext(pdf, tmp_path))
    for printed in (options.authority, options.country, options.signer_title):
        assert printed in text
    assert "Civil Registration Authority" not in text
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    page = pdf_to_images(pdf, tmp_path / "a", dpi=72)[0]
    before = pdf_to_images(plain, tmp_path / "b", dpi=72)[0]
    save_artifact(page, "birth-authority.png")
    emblem_ink = diff_box(page, before, top_fraction=0.12)
    assert emblem_ink is not None  # the emblem, at the head of the page
    left, _top, right, _bottom = emblem_ink
    assert abs((left + right) / 2 - page.width / 2) < 20  # centred
    boxes = _word_boxes(pdf, tmp_path)
    serial_top = next(y_min for word, _x, y_min, _x2, _y in boxes if word == "2024-00000123-4")
    assert serial_top > 0.70 * A4_HEIGHT  # the last row sits just above the footer


def test_an_emblem_that_is_not_an_image_is_refused(signer: Signer) -> None:
    """It refuses emblem bytes that are not PNG or JPEG, naming the emblem."""
    with pytest.raises(InvalidCertificateData, match="emblem image must be PNG or JPEG"):
        render_birth_certificate(
            birth(), issue(), signer, options=RenderOptions(emblem_image=b"<svg/>")
        )
