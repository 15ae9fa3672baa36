"""Drawing certificates on a reportlab canvas, and the one-certificate entry points.

Per document, everything that is the same on every page (guilloche, frame, header, labels) is
drawn once into a PDF form XObject and reused by each page, so that a page costs only its
values, its QR code and, for copies, the watermark.
"""

from __future__ import annotations

import functools
import hashlib
import io
import math
import re
from dataclasses import dataclass
from typing import Any, cast

import zxingcpp
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from ._pdf import add_prebuilt_form, serialise_form
from .errors import InvalidCertificateData
from .labels import label_table
from .models import BirthRecord, DeathRecord, Issue, RenderOptions, Sex
from .signing import CertificateFacts, Signer
from .text import TextEngine

Record = BirthRecord | DeathRecord

_INK = (0.10, 0.12, 0.16)
_LABEL_INK = (0.33, 0.36, 0.42)
_GUILLOCHE_INK = (0.55, 0.72, 0.66)
_ROSETTE_INK = (0.70, 0.80, 0.88)
_FRAME_INK = (0.20, 0.36, 0.32)
_WATERMARK_INK = (0.80, 0.10, 0.10)
_MARGIN = 48.0
_ROW = 46.0
_QR_SIZE = 112.0
_SEAL_SIZE = 100.0
_MAX_SEAL_PIXELS = 4000

_ENGINES: dict[tuple[str, ...], TextEngine] = {}


def engine_for(font_dirs: tuple[str, ...]) -> TextEngine:
    """Return the shared text engine (fonts, shaping cache) for a set of font directories."""
    engine = _ENGINES.get(font_dirs)
    if engine is None:
        engine = _ENGINES[font_dirs] = TextEngine(font_dirs)
    return engine


def facts_of(record: Record, issue: Issue) -> CertificateFacts:
    """Return the facts of a certificate that go into its signed QR payload.

    Args:
        record: The registered birth or death.
        issue: The issuance (serial, date, copy number).

    Returns:
        Kind, registration number, serial, name, event date, issue date, the parents' names
        (birth) or date of birth (death), and the copy number.
    """
    if isinstance(record, BirthRecord):
        return CertificateFacts(
            kind="birth",
            registration_number=record.registration_number,
            serial=issue.serial,
            name=record.child_name,
            event_date=record.date_of_birth,
            issue_date=issue.issue_date,
            mother_name=record.mother_name,
            father_name=record.father_name,
            copy_number=issue.copy_number,
        )
    return CertificateFacts(
        kind="death",
        registration_number=record.registration_number,
        serial=issue.serial,
        name=record.deceased_name,
        event_date=record.date_of_death,
        issue_date=issue.issue_date,
        date_of_birth=record.date_of_birth,
        copy_number=issue.copy_number,
    )


def _fmt(points: list[tuple[float, float]]) -> str:
    parts = [f"{points[0][0]:.1f} {points[0][1]:.1f} m"]
    parts.extend(f"{x:.1f} {y:.1f} l" for x, y in points[1:])
    return " ".join(parts)


@functools.lru_cache(maxsize=8)
def guilloche_ops(width: float, height: float) -> str:
    """Return PDF operators for the guilloche background of a page: a border and a rosette.

    The border is four phase-shifted waves riding on a rounded rectangle (a superellipse); the
    rosette is a set of phase-shifted wavy rings. Both are computed, not drawn from a file.
    """
    ops = [f"{_GUILLOCHE_INK[0]} {_GUILLOCHE_INK[1]} {_GUILLOCHE_INK[2]} RG 0.35 w"]
    cx, cy = width / 2, height / 2
    half_w, half_h = width / 2 - 25, height / 2 - 25
    exponent = 2 / 14
    samples = 2400
    base = []
    for i in range(samples):
        t = 2 * math.pi * i / samples
        c, s = math.cos(t), math.sin(t)
        base.append(
            (
                cx + half_w * math.copysign(abs(c) ** exponent, c),
                cy + half_h * math.copysign(abs(s) ** exponent, s),
            )
        )
    waves = 180
    for phase in (0.0, 0.5 * math.pi, math.pi, 1.5 * math.pi):
        curve = []
        for i in range(samples):
            (x0, y0), (x1, y1) = base[i - 1], base[(i + 1) % samples]
            length = math.hypot(x1 - x0, y1 - y0) or 1.0
            nx, ny = (y1 - y0) / length, -(x1 - x0) / length
            offset = 5.0 * math.sin(waves * 2 * math.pi * i / samples + phase)
            x, y = base[i]
            curve.append((x + nx * offset, y + ny * offset))
        ops.append(_fmt(curve) + " h S")
    ops.append(f"{_ROSETTE_INK[0]} {_ROSETTE_INK[1]} {_ROSETTE_INK[2]} RG 0.3 w")
    rcx, rcy = cx, cy - 20
    for radius, amplitude, lobes, copies in ((150.0, 22.0, 18, 9), (75.0, 14.0, 12, 6)):
        for j in range(copies):
            phase = 2 * math.pi * j / copies / lobes
            ring = []
            points = 16 * lobes
            for i in range(points):
                t = 2 * math.pi * i / points
                rho = radius + amplitude * math.sin(lobes * t + phase * lobes)
                rho += 0.35 * amplitude * math.sin(3 * lobes * t - phase * lobes)
                ring.append((rcx + rho * math.cos(t), rcy + rho * math.sin(t)))
            ops.append(_fmt(ring) + " h S")
    return "\n".join(ops)


def add_guilloche_form(canvas: Any, width: float, height: float) -> str:
    """Add the guilloche as a form XObject to the canvas's document once; return its name.

    The form is serialised and compressed once per process: re-encoding the same ~100 kB of
    path operators for every document would cost more than all the rest of a certificate.
    """
    name = f"crvs-guilloche-{round(width)}x{round(height)}"
    if canvas.hasForm(name):
        return name
    content = guilloche_ops(width, height).encode("ascii")
    return add_prebuilt_form(canvas, name, serialise_form(content, (0, 0, width, height)))


_MAX_TEXT = 200


def _check_text(*items: object) -> None:
    """Refuse text that cannot be encoded or would not fit on the page and in the QR code."""
    for item in items:
        for name, value in vars(item).items():
            if not isinstance(value, str):
                continue
            if len(value) > _MAX_TEXT:
                raise InvalidCertificateData(f"{name} is longer than {_MAX_TEXT} characters")
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise InvalidCertificateData(f"{name} is not valid Unicode text") from None


def qr_matrix(payload: str) -> tuple[int, bytes]:
    """Return ``(n, modules)`` of the QR code (error correction M) of ``payload``.

    ``modules`` holds n * n bytes, row by row from the top, 0 for a dark module. zxing-cpp's
    C++ encoder is used because it is four times faster than a pure-Python one (segno takes
    6-15 ms per code even with a fixed mask, more than all the rest of a page).
    """
    try:
        symbol = zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    except Exception as exc:  # zxing-cpp raises plain errors, e.g. for too much data
        raise InvalidCertificateData(f"the QR code cannot be made: {exc}") from None
    image = symbol.to_image(scale=1, add_quiet_zones=False)
    height, width = image.shape[:2]
    modules = bytes(memoryview(cast(Any, image)))  # the stubs omit its buffer protocol
    if height != width or len(modules) != width * height:
        raise InvalidCertificateData("unexpected QR code layout")
    return width, modules


_DARK_RUN = re.compile(b"\x00+")


def qr_ops(payload: str, x: float, y: float, size: float) -> str:
    """Return PDF operators drawing the QR code of ``payload`` as one filled path.

    Dark modules of each row are merged into runs and drawn as rectangles in module units
    under one transformation; ``(x, y)`` is the lower-left corner, ``size`` the side of the
    code without its quiet zone.
    """
    count, modules = qr_matrix(payload)
    module = size / count
    rects = [
        f"{match.start() - row * count} {row} {match.end() - match.start()} 1 re"
        for row in range(count)
        for match in _DARK_RUN.finditer(modules, row * count, (row + 1) * count)
    ]
    top = y + size
    return f"q 0 0 0 rg {module:.5f} 0 0 {-module:.5f} {x:.3f} {top:.3f} cm {' '.join(rects)} f Q"


def _seal_reader(seal: bytes) -> ImageReader:
    if not seal.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")):
        raise InvalidCertificateData("the seal image must be PNG or JPEG bytes")
    try:
        from PIL import Image

        with Image.open(io.BytesIO(seal)) as image:
            if max(image.size) > _MAX_SEAL_PIXELS:
                raise InvalidCertificateData("the seal image is larger than 4000 pixels")
            image.load()
            converted = image.convert("RGBA")
    except InvalidCertificateData:
        raise
    except Exception as exc:
        raise InvalidCertificateData(
            f"the seal image cannot be read ({type(exc).__name__})"
        ) from None
    return ImageReader(converted)


@dataclass
class _Cell:
    key: str
    value: str
    span: int = 2  # 2 = full width, 1 = half width


class PageRenderer:
    """Draws certificate pages on a canvas; one per document, reusing its forms.

    Args:
        canvas: The reportlab canvas of the document.
        signer: Signs each page's QR payload.
        options: Paper, languages, authority and fonts.
    """

    def __init__(self, canvas: Any, signer: Signer, options: RenderOptions) -> None:
        self.canvas = canvas
        self.signer = signer
        self.options = options
        self.width, self.height = options.paper.value
        self.engine = engine_for(options.font_dirs)
        first, second = options.languages
        self.labels = (label_table(first), label_table(second))
        self.bilingual = first != second
        self._seals: set[str] = set()

    # -- helpers -------------------------------------------------------------------------

    def _label_pair(self, key: str) -> tuple[str, str | None]:
        first, second = self.labels
        if not self.bilingual or first[key] == second[key]:
            return first[key], None
        return first[key], second[key]

    def _both(self, key: str, sep: str = " / ") -> str:
        first, second = self._label_pair(key)
        return first if second is None else f"{first}{sep}{second}"

    def _label(self, *args: Any, **kwargs: Any) -> float:
        """Draw fixed text (labels, titles): shaped once per process, one form per line."""
        return self.engine.draw(*args, fixed=True, **kwargs)

    def _color(self, rgb: tuple[float, float, float]) -> None:
        self.canvas.setFillColorRGB(*rgb)

    def _cells(self, record: Record, issue: Issue) -> list[list[_Cell]]:
        dash = self.labels[0]["not_recorded"]
        sex = self._both(f"sex_{record.sex.value}") if isinstance(record.sex, Sex) else dash
        tail = [
            [
                _Cell("registration_number", record.registration_number, 1),
                _Cell("registration_date", record.registration_date.isoformat(), 1),
            ],
            [_Cell("office", issue.office)],
            [
                _Cell("issue_date", issue.issue_date.isoformat(), 1),
                _Cell("serial", issue.serial, 1),
            ],
        ]
        if isinstance(record, BirthRecord):
            return [
                [_Cell("child_name", record.child_name)],
                [
                    _Cell("sex", sex, 1),
                    _Cell("date_of_birth", record.date_of_birth.isoformat(), 1),
                ],
                [_Cell("place_of_birth", record.place_of_birth)],
                [_Cell("mother_name", record.mother_name)],
                [_Cell("father_name", record.father_name or dash)],
                *tail,
            ]
        age = dash if record.age_years is None else str(record.age_years)
        born = record.date_of_birth.isoformat() if record.date_of_birth else dash
        return [
            [_Cell("deceased_name", record.deceased_name)],
            [_Cell("sex", sex, 1), _Cell("age", age, 1)],
            [
                _Cell("date_of_death", record.date_of_death.isoformat(), 1),
                _Cell("date_of_birth", born, 1),
            ],
            [_Cell("place_of_death", record.place_of_death)],
            [_Cell("cause_of_death", record.cause_of_death or dash)],
            *tail,
        ]

    def _cell_boxes(self, rows: list[list[_Cell]]) -> list[tuple[_Cell, float, float, float]]:
        """Return (cell, x, top, width) for every cell."""
        content = self.width - 2 * _MARGIN
        gap = 8.0
        top = self.height - 170
        boxes = []
        for row in rows:
            x = _MARGIN
            for cell in row:
                width = content if cell.span == 2 else (content - gap) / 2
                boxes.append((cell, x, top, width))
                x += width + gap
            top -= _ROW
        return boxes

    # -- the template form ------------------------------------------------------------------

    def _template(self, kind: str, rows: list[list[_Cell]]) -> str:
        name = f"crvs-{kind}"
        if self.canvas.hasForm(name):
            return name
        c, label = self.canvas, self._label
        c.beginForm(name)
        c.doForm(add_guilloche_form(c, self.width, self.height))
        c.setStrokeColorRGB(*_FRAME_INK)
        c.setLineWidth(1.2)
        c.rect(34, 34, self.width - 68, self.height - 68, stroke=1, fill=0)
        c.setLineWidth(0.4)
        c.rect(38, 38, self.width - 76, self.height - 76, stroke=1, fill=0)
        mid = self.width / 2
        self._color(_FRAME_INK)
        label(
            c,
            self.options.authority,
            mid,
            self.height - 70,
            12,
            bold=True,
            align="center",
            max_width=self.width - 2 * _MARGIN,
        )
        first, second = self._label_pair(f"title_{kind}")
        self._color(_INK)
        label(c, first, mid, self.height - 100, 22, bold=True, align="center")
        if second is not None:
            label(c, second, mid, self.height - 126, 19, bold=True, align="center")
        for cell, x, top, width in self._cell_boxes(rows):
            c.setStrokeColorRGB(*_GUILLOCHE_INK)
            c.setLineWidth(0.5)
            c.roundRect(x, top - _ROW + 4, width, _ROW - 4, 3, stroke=1, fill=0)
            self._color(_LABEL_INK)
            text, other = self._label_pair(cell.key)
            label(c, text, x + 6, top - 14, 7.5, max_width=width / 2 - 8)
            if other is not None:
                label(
                    c, other, x + width - 6, top - 14, 7.5, align="right", max_width=width / 2 - 8
                )
        # Footer: seal place, signature line, QR caption.
        self._color(_LABEL_INK)
        label(
            c,
            self._both("seal"),
            _MARGIN + 8 + _SEAL_SIZE / 2,
            52,
            7,
            align="center",
            max_width=_SEAL_SIZE + 20,
        )
        c.setStrokeColorRGB(*_INK)
        c.setLineWidth(0.7)
        c.line(mid - 95, 110, mid + 95, 110)
        label(c, self._both("signature"), mid, 100, 7, align="center", max_width=190)
        label(c, self._both("registrar"), mid, 72, 7, align="center", max_width=190)
        qr_x = self.width - _MARGIN - _QR_SIZE
        label(
            c,
            self._both("verify"),
            qr_x + _QR_SIZE / 2,
            52,
            7,
            align="center",
            max_width=_QR_SIZE + 20,
        )
        c.endForm()
        return name

    def _seal_form(self, seal: bytes) -> str:
        name = "crvs-seal-" + hashlib.sha256(seal).hexdigest()[:16]
        if name not in self._seals and not self.canvas.hasForm(name):
            reader = _seal_reader(seal)
            c = self.canvas
            c.beginForm(name)
            c.drawImage(
                reader,
                _MARGIN + 8,
                62,
                _SEAL_SIZE,
                _SEAL_SIZE,
                mask="auto",
                preserveAspectRatio=True,
                anchor="c",
            )
            c.endForm()
        self._seals.add(name)
        return name

    # -- one page -------------------------------------------------------------------------------

    def draw_page(self, record: Record, issue: Issue) -> None:
        """Draw one certificate as the current page and finish the page."""
        if not isinstance(record, BirthRecord | DeathRecord):
            raise InvalidCertificateData("record must be a BirthRecord or a DeathRecord")
        kind = "birth" if isinstance(record, BirthRecord) else "death"
        _check_text(record, issue)
        rows = self._cells(record, issue)
        template = self._template(kind, rows)
        seal = self._seal_form(issue.seal_image) if issue.seal_image else None
        payload = self.signer.sign(facts_of(record, issue))
        c, engine = self.canvas, self.engine
        c.doForm(template)
        if seal is not None:
            c.doForm(seal)
        if issue.copy_number is not None:
            self._watermark(issue.copy_number)
        mid = self.width / 2
        self._status_line(issue.copy_number)
        self._color(_INK)
        for cell, x, top, width in self._cell_boxes(rows):
            size = 13.0 if cell.span == 2 else 12.0
            engine.draw(
                c,
                cell.value,
                x + 8,
                top - 34,
                size,
                bold=cell.key.endswith("_name"),
                align="start",
                max_width=width - 16,
            )
        engine.draw(c, issue.registrar_name, mid, 84, 10.5, align="center", max_width=190)
        c.addLiteral(qr_ops(payload, self.width - _MARGIN - _QR_SIZE, 62, _QR_SIZE))
        c.showPage()

    def _status_line(self, copy_number: int | None) -> None:
        """Print "Original", or "CERTIFIED COPY — Copy no. N", in each language."""
        texts = []
        for table in self.labels:
            if copy_number is None:
                texts.append(table["original"])
            else:
                texts.append(f"{table['certified_copy']} — {table['copy_number']} {copy_number}")
        texts = list(dict.fromkeys(texts))  # one text when both languages say the same
        self._color(_LABEL_INK if copy_number is None else _WATERMARK_INK)
        c, engine, mid, y = self.canvas, self.engine, self.width / 2, self.height - 148
        room = self.width / 2 - _MARGIN - 10
        if len(texts) == 1:
            engine.draw(c, texts[0], mid, y, 10, align="center", max_width=2 * room)
            return
        engine.draw(c, texts[0], mid - 10, y, 10, align="right", max_width=room)
        engine.draw(c, "·", mid, y, 10, align="center")
        engine.draw(c, texts[1], mid + 10, y, 10, align="left", max_width=room)

    def _watermark(self, copy_number: int) -> None:
        c, label = self.canvas, self._label
        first, second = self._label_pair("certified_copy")
        diagonal = math.hypot(self.width, self.height)
        c.saveState()
        c.translate(self.width / 2, self.height / 2)
        c.rotate(math.degrees(math.atan2(self.height, self.width)))
        c.setFillColorRGB(*_WATERMARK_INK)
        c.setFillAlpha(0.13)
        label(c, first, 0, 4, 54, bold=True, align="center", max_width=diagonal * 0.62)
        line2 = f"{second} — {copy_number}" if second is not None else f"№ {copy_number}"
        label(c, line2, 0, -52, 40, bold=True, align="center", max_width=diagonal * 0.55)
        c.restoreState()


def new_canvas(out: Any, options: RenderOptions) -> Any:
    """Return a reportlab canvas writing to ``out`` with the certificate's page settings."""
    canvas = Canvas(out, pagesize=options.paper.value, pageCompression=1, invariant=1)
    canvas.setTitle("Civil registration certificate")
    canvas.setCreator("crvs certificates")
    return canvas


def _render_one(record: Record, issue: Issue, signer: Signer, options: RenderOptions) -> bytes:
    buffer = io.BytesIO()
    canvas = new_canvas(buffer, options)
    PageRenderer(canvas, signer, options).draw_page(record, issue)
    canvas.save()
    return buffer.getvalue()


def render_birth_certificate(
    record: BirthRecord,
    issue: Issue,
    signer: Signer,
    *,
    options: RenderOptions | None = None,
) -> bytes:
    """Render a birth certificate as a one-page PDF.

    Args:
        record: The registered birth.
        issue: Serial, office, date, registrar, copy number and seal of this issuance.
        signer: Signs the QR payload.
        options: Languages, paper (A4 by default) and fonts.

    Returns:
        The PDF bytes.

    Raises:
        FontNotFound: If a script in the data or the labels has no installed font.
        InvalidCertificateData: If the seal image or the language choice is unusable.
    """
    if not isinstance(record, BirthRecord):
        raise InvalidCertificateData("render_birth_certificate needs a BirthRecord")
    return _render_one(record, issue, signer, options or RenderOptions())


def render_death_certificate(
    record: DeathRecord,
    issue: Issue,
    signer: Signer,
    *,
    options: RenderOptions | None = None,
) -> bytes:
    """Render a death certificate as a one-page PDF.

    Args:
        record: The registered death.
        issue: Serial, office, date, registrar, copy number and seal of this issuance.
        signer: Signs the QR payload.
        options: Languages, paper (A4 by default) and fonts.

    Returns:
        The PDF bytes.

    Raises:
        FontNotFound: If a script in the data or the labels has no installed font.
        InvalidCertificateData: If the seal image or the language choice is unusable.
    """
    if not isinstance(record, DeathRecord):
        raise InvalidCertificateData("render_death_certificate needs a DeathRecord")
    return _render_one(record, issue, signer, options or RenderOptions())
