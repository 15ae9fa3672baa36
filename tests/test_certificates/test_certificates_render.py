"""Rendered certificates, checked as images made by poppler's pdftoppm."""

from __future__ import annotations

import io
import math
from pathlib import Path

import pytest
import zxingcpp
from certhelpers import (
    NAMES,
    birth,
    components,
    dark_mask,
    death,
    diff_box,
    issue,
    pdf_to_images,
    save_artifact,
)
from PIL import Image
from pypdf import PdfReader

from certificates import (
    LABELS,
    FontNotFound,
    InvalidCertificateData,
    Paper,
    RenderOptions,
    Signer,
    render_birth_certificate,
    render_death_certificate,
    verify_payload,
)
from certificates.fonts import Script
from certificates.render import engine_for

DPI = 150
A4_PIXELS = (math.ceil(595.2756 / 72 * DPI), math.ceil(841.8898 / 72 * DPI))
LETTER_PIXELS = (round(8.5 * DPI), round(11 * DPI))
# The child's / deceased's name box on the page, in pixels at 150 dpi (from the layout: the
# rows start 174 pt from the top of a bilingual page without emblem; a row is at most 84 pt).
NAME_BOX = (48 * DPI / 72, (174 - 4) * DPI / 72, (595 - 48) * DPI / 72, (174 + 84) * DPI / 72)


def _engine():  # type: ignore[no-untyped-def]
    return engine_for(RenderOptions().font_dirs)


def _inside(box: tuple[int, int, int, int], outer: tuple[float, ...]) -> bool:
    left, top, right, bottom = box
    return left >= outer[0] and top >= outer[1] and right <= outer[2] and bottom <= outer[3]


@pytest.fixture(scope="module")
def blank_birth(signer: Signer, tmp_path_factory: pytest.TempPathFactory) -> Image.Image:
    pdf = render_birth_certificate(birth(""), issue(), signer)
    return pdf_to_images(pdf, tmp_path_factory.mktemp("blank"))[0]


@pytest.mark.parametrize("script", sorted(NAMES))
def test_every_script_prints_in_the_name_box(
    script: str, signer: Signer, blank_birth: Image.Image, tmp_path: Path
) -> None:
    """It prints a name in each script with real glyphs, inside the name box."""
    name = NAMES[script]
    line = _engine().shape(name, True)
    assert not line.missing, f"{script} name has characters without a glyph"
    pdf = render_birth_certificate(birth(name), issue(), signer)
    page = pdf_to_images(pdf, tmp_path)[0]
    assert page.size == A4_PIXELS
    box = diff_box(page, blank_birth)
    assert box is not None, f"no ink for the {script} name"
    assert _inside(box, NAME_BOX), f"{script} ink at {box}, outside the name box {NAME_BOX}"
    if script in ("arabic", "devanagari", "chinese"):
        save_artifact(page, f"birth-{script}.png")


def test_arabic_letters_are_joined(
    signer: Signer, blank_birth: Image.Image, tmp_path: Path
) -> None:
    """It joins Arabic letters: a dotless word is one stroke, the letters apart are four."""
    counts = []
    # The same four letters, joined and kept apart by zero-width non-joiners.
    for index, name in enumerate(("محمد", "م\u200cح\u200cم\u200cد")):
        folder = tmp_path / str(index)
        folder.mkdir()
        page = pdf_to_images(render_birth_certificate(birth(name), issue(), signer), folder)[0]
        box = diff_box(page, blank_birth)
        assert box is not None
        counts.append(components(dark_mask(page.crop(box))))
    assert counts == [1, 4]


def test_arabic_shaping_uses_joining_forms_right_to_left() -> None:
    """It shapes Arabic into contextual forms, not the isolated letters, in visual order."""
    engine = _engine()
    word = "محمد"
    joined = [glyph.gid for glyph in engine.shape(word, False).glyphs]
    isolated = [engine.shape(letter, False).glyphs[0].gid for letter in word]
    assert len(joined) == 4
    assert joined != isolated
    assert joined != isolated[::-1]
    # Right to left: the first letter (meem, in its initial form) is the rightmost glyph.
    glyphs = engine.shape(word, False).glyphs
    assert glyphs[-1].x > glyphs[0].x
    assert glyphs[-1].gid != isolated[0]


@pytest.mark.parametrize(
    ("script", "conjunct", "explicit"),
    [
        ("devanagari", "क्ष", "क्\u200cष"),
        ("devanagari", "द्य", "द्\u200cय"),
        ("bengali", "ক্ষ", "ক্\u200cষ"),
        ("bengali", "ন্দ্র", "ন্\u200cদ্\u200cর"),
    ],
)
def test_indic_conjuncts_are_formed(script: str, conjunct: str, explicit: str) -> None:
    """It forms conjuncts: fewer glyphs than characters and no visible virama."""
    engine = _engine()
    font = engine.font(Script.DEVANAGARI if script == "devanagari" else Script.BENGALI, False)
    virama = font.font.get_nominal_glyph(0x094D if script == "devanagari" else 0x09CD)
    formed = engine.shape(conjunct, False)
    broken = engine.shape(explicit, False)
    assert len(formed.glyphs) < len(conjunct)
    assert virama not in [glyph.gid for glyph in formed.glyphs]
    assert virama in [glyph.gid for glyph in broken.glyphs]
    assert formed.width < broken.width


def test_conjunct_differs_on_the_page_from_explicit_virama(
    signer: Signer, blank_birth: Image.Image, tmp_path: Path
) -> None:
    """It draws a Devanagari conjunct narrower than the same letters with a visible virama."""
    widths = []
    for index, name in enumerate(("क्ष", "क्\u200cष")):
        folder = tmp_path / str(index)
        folder.mkdir()
        page = pdf_to_images(render_birth_certificate(birth(name), issue(), signer), folder)[0]
        box = diff_box(page, blank_birth)
        assert box is not None
        widths.append(box[2] - box[0])
    assert widths[0] < widths[1]


def test_qr_decodes_from_150_dpi_page_and_verifies(
    signer: Signer, keypair: tuple[bytes, bytes, str], tmp_path: Path
) -> None:
    """It prints a QR code that zxing-cpp reads from a 150 dpi render and that verifies."""
    record = birth(NAMES["devanagari"], mother_name=NAMES["bengali"], father_name=NAMES["arabic"])
    pdf = render_birth_certificate(record, issue(copy_number=3), signer)
    page = pdf_to_images(pdf, tmp_path, dpi=DPI)[0]
    results = zxingcpp.read_barcodes(page)
    assert len(results) == 1
    facts = verify_payload(results[0].text, [keypair[1]])
    assert facts.kind == "birth"
    assert facts.name == record.child_name
    assert facts.mother_name == record.mother_name
    assert facts.registration_number == record.registration_number
    assert facts.serial == "2024-00000123-4"
    assert facts.copy_number == 3


def test_death_certificate_in_english_and_arabic_on_letter(
    signer: Signer, keypair: tuple[bytes, bytes, str], tmp_path: Path
) -> None:
    """It renders a death certificate on Letter paper with Arabic labels and a readable QR."""
    options = RenderOptions(languages=("en", "ar"), paper=Paper.LETTER)
    pdf = render_death_certificate(death(NAMES["ethiopic"]), issue(), signer, options=options)
    reader = PdfReader(io.BytesIO(pdf))
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == (612, 792)
    page = pdf_to_images(pdf, tmp_path)[0]
    assert page.size == LETTER_PIXELS
    save_artifact(page, "death-en-ar-letter.png")
    facts = verify_payload(zxingcpp.read_barcodes(page)[0].text, [keypair[1]])
    assert (facts.kind, facts.name, facts.date_of_birth) == (
        "death",
        NAMES["ethiopic"],
        death().date_of_birth,
    )


def _red_pixels(image: Image.Image) -> int:
    data = image.tobytes()
    count = 0
    for i in range(0, len(data), 3):
        r, g, b = data[i], data[i + 1], data[i + 2]
        if r - g > 15 and r - b > 15:
            count += 1
    return count


def test_certified_copy_carries_watermark_and_number(
    signer: Signer, seal_png: bytes, tmp_path: Path
) -> None:
    """It marks a certified copy with a red watermark and prints its copy number."""
    original = render_birth_certificate(birth(), issue(seal_image=seal_png), signer)
    copy = render_birth_certificate(birth(), issue(copy_number=7, seal_image=seal_png), signer)
    (tmp_path / "o").mkdir()
    (tmp_path / "c").mkdir()
    original_page = pdf_to_images(original, tmp_path / "o")[0]
    copy_page = pdf_to_images(copy, tmp_path / "c")[0]
    save_artifact(copy_page, "birth-certified-copy.png")
    # The watermark tints a large diagonal area; the seal alone is a small dark red ring.
    assert _red_pixels(copy_page) > _red_pixels(original_page) + 20_000
    text = PdfReader(io.BytesIO(copy)).pages[0].extract_text()
    assert "CERTIFIED COPY — Copy no. 7" in text
    assert "COPIE CERTIFIÉE CONFORME — Copie n° 7" in text
    assert "Original" in PdfReader(io.BytesIO(original)).pages[0].extract_text()


def test_input_is_never_markup(signer: Signer) -> None:
    """It prints markup-like and path-like input literally and opens nothing it names."""
    hostile = '<font color="red">x</font> <img src="/etc/passwd"/> & http://example.invalid/a.png'
    pdf = render_birth_certificate(
        birth("<b>Jean</b>", place_of_birth=hostile),
        issue(office="/etc/passwd", registrar_name="Jean <b>Dupont</b>"),
        signer,
    )
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Jean <b>Dupont</b>" in text
    assert "/etc/passwd" in text
    assert hostile in text
    assert b"root:" not in pdf


def test_jpeg_seal_is_accepted(signer: Signer, seal_png: bytes) -> None:
    """It accepts a JPEG seal as well as a PNG one."""
    buffer = io.BytesIO()
    Image.open(io.BytesIO(seal_png)).convert("RGB").save(buffer, "JPEG")
    pdf = render_birth_certificate(birth(), issue(seal_image=buffer.getvalue()), signer)
    assert b"/Subtype /Image" in pdf


def test_bad_seal_bytes_are_refused(signer: Signer) -> None:
    """It refuses a seal that is not a PNG or JPEG image, or not a readable one."""
    with pytest.raises(InvalidCertificateData):
        render_birth_certificate(birth(), issue(seal_image=b"/etc/passwd"), signer)
    with pytest.raises(InvalidCertificateData):
        render_birth_certificate(birth(), issue(seal_image=b"\x89PNG\r\n\x1a\nbroken"), signer)


def test_missing_font_names_the_debian_package(signer: Signer, tmp_path: Path) -> None:
    """It fails with an error naming the Debian package when a script's font is missing."""
    options = RenderOptions(font_dirs=(str(tmp_path),))
    with pytest.raises(FontNotFound, match="fonts-noto-core"):
        render_birth_certificate(birth(), issue(), signer, options=options)
    noto_only = RenderOptions(font_dirs=("/usr/share/fonts/truetype/noto",))
    with pytest.raises(FontNotFound, match="fonts-wqy-zenhei"):
        render_birth_certificate(birth(NAMES["chinese"]), issue(), signer, options=noto_only)


def test_unknown_language_is_refused(signer: Signer) -> None:
    """It refuses a label language it has no table for."""
    with pytest.raises(InvalidCertificateData, match="no labels"):
        render_birth_certificate(
            birth(), issue(), signer, options=RenderOptions(languages=("en", "xx"))
        )


def test_wrong_record_type_is_refused(signer: Signer) -> None:
    """It refuses a death record given to the birth renderer and the reverse."""
    with pytest.raises(InvalidCertificateData):
        render_birth_certificate(death(), issue(), signer)  # type: ignore[arg-type]
    with pytest.raises(InvalidCertificateData):
        render_death_certificate(birth(), issue(), signer)  # type: ignore[arg-type]


def test_label_tables_are_complete() -> None:
    """It ships English, French and Arabic labels with the same keys."""
    assert {"en", "fr", "ar"} <= LABELS.keys()
    for table in LABELS.values():
        assert table.keys() == LABELS["en"].keys()
