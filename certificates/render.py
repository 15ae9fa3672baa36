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
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import zxingcpp
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from ._pdf import add_prebuilt_form, serialise_form
from .errors import InvalidCertificateData
from .labels import LABELS, label_table
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
_PAD = 8.0  # between a cell's border and its value
_LABEL_BAND = 18.0  # the top of a cell that holds its labels
_LEADING = 1.22  # line height, in font sizes
_MIN_SIZE = 7.0  # no value is printed smaller
_MAX_ROW_GROWTH = 40.0  # rows grow by at most this to fill the page
_FOOTER_TOP = 182.0  # the rows end above the seal, the signature and the QR code
_QR_SIZE = 112.0
_SEAL_SIZE = 100.0
_EMBLEM_SIZE = 52.0
_SCALES = (1.0, 0.93, 0.86, 0.8, 0.74, 0.68, 0.62, 0.56, 0.5)
_MAX_IMAGE_PIXELS = 4000

_ENGINES: dict[tuple[str, ...], TextEngine] = {}


def engine_for(font_dirs: tuple[str, ...]) -> TextEngine:
    """Return the shared text engine (fonts, shaping cache) for a set of font directories."""
    engine = _ENGINES.get(font_dirs)
    if engine is None:
        engine = _ENGINES[font_dirs] = TextEngine(font_dirs)
    return engine


QR_NAME_CHARS = 100
"""Names longer than this are carried in the QR code shortened, ending with "…"."""


def qr_name(name: str) -> str:
    """Return a name as the QR code carries it: whole, or its first characters and "…".

    The QR code must stay small enough to scan from paper, whatever the names' length and
    script; the certificate prints the whole name and the verifier compares the beginning.
    """
    if len(name) <= QR_NAME_CHARS:
        return name
    cut = QR_NAME_CHARS - 1
    while cut > 0 and unicodedata.combining(name[cut]):
        cut -= 1  # never separate a mark from its letter
    return name[:cut].rstrip() + "…"


def _birth_claims(record: BirthRecord) -> dict[str, Any]:
    return {
        "name": qr_name(record.child_name),
        "event_date": record.date_of_birth,
        "mother_name": qr_name(record.mother_name),
        "father_name": qr_name(record.father_name) if record.father_name else None,
    }


def _death_claims(record: DeathRecord) -> dict[str, Any]:
    return {
        "name": qr_name(record.deceased_name),
        "event_date": record.date_of_death,
        "date_of_birth": record.date_of_birth,
    }


def facts_of(record: Record, issue: Issue) -> CertificateFacts:
    """Return the facts of a certificate that go into its signed QR payload.

    Args:
        record: The registered birth or death.
        issue: The issuance (serial, date, copy number).

    Returns:
        Kind, registration number, serial, name, event date, issue date, the parents' names
        (birth) or date of birth (death), and the copy number. Names are as printed (case and
        script kept), shortened by :func:`qr_name` when very long.

    Raises:
        InvalidCertificateData: If the record is neither a birth nor a death.
    """
    return _event_of(record).facts(record, issue)


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


_MAX_TEXT = 1000
_FIELD_WORDS = {
    "registrar_name": "The registrar's name",
    "office": "The issuing office",
    "serial": "The certificate serial",
    "registration_number": "The registration number",
}


def _field_in_words(name: str) -> str:
    words = _FIELD_WORDS.get(name) or LABELS["en"].get(name)
    return words or name.replace("_", " ").capitalize()


def _check_text(*items: object) -> None:
    """Refuse text that cannot be encoded or would not fit on a page; name the field in words."""
    for item in items:
        for name, value in vars(item).items():
            texts = value if isinstance(value, tuple) else (value,)
            for text in texts:
                if not isinstance(text, str):
                    continue
                if len(text) > _MAX_TEXT:
                    raise InvalidCertificateData(
                        f"{_field_in_words(name)} is longer than {_MAX_TEXT} characters"
                    )
                try:
                    text.encode("utf-8")
                except UnicodeEncodeError:
                    raise InvalidCertificateData(
                        f"{_field_in_words(name)} is not valid Unicode text"
                    ) from None


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


def _image_reader(image: bytes, what: str) -> ImageReader:
    """Read a seal or emblem given as bytes (never a path): PNG or JPEG, at most 4000 pixels."""
    if not image.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")):
        raise InvalidCertificateData(f"the {what} image must be PNG or JPEG bytes")
    try:
        from PIL import Image

        with Image.open(io.BytesIO(image)) as opened:
            if max(opened.size) > _MAX_IMAGE_PIXELS:
                raise InvalidCertificateData(f"the {what} image is larger than 4000 pixels")
            opened.load()
            converted = opened.convert("RGBA")
    except InvalidCertificateData:
        raise
    except Exception as exc:
        raise InvalidCertificateData(
            f"the {what} image cannot be read ({type(exc).__name__})"
        ) from None
    return ImageReader(converted)


@dataclass
class _Cell:
    key: str
    values: tuple[str, ...]  # paragraphs, each fitted on its own lines
    span: int = 2  # 2 = full width, 1 = half width
    lines: tuple[str, ...] = ()
    size: float = 0.0


def _cell(key: str, value: str, span: int = 2) -> _Cell:
    return _Cell(key, (value,), span)


@dataclass(frozen=True)
class _Box:
    cell: _Cell
    x: float
    top: float
    width: float
    height: float


def _birth_cells(record: BirthRecord, sex: str, dash: str) -> list[list[_Cell]]:
    return [
        [_cell("child_name", record.child_name)],
        [_cell("sex", sex, 1), _cell("date_of_birth", record.date_of_birth.isoformat(), 1)],
        [_cell("place_of_birth", record.place_of_birth)],
        [_cell("mother_name", record.mother_name)],
        [_cell("father_name", record.father_name or dash)],
    ]


def _death_cells(record: DeathRecord, sex: str, dash: str) -> list[list[_Cell]]:
    age = dash if record.age_years is None else str(record.age_years)
    born = record.date_of_birth.isoformat() if record.date_of_birth else dash
    cause = [[_cell("cause_of_death", record.cause_of_death or dash)]]
    if record.cause_sequence:
        cause.append([_Cell("cause_sequence", tuple(record.cause_sequence))])
    return [
        [_cell("deceased_name", record.deceased_name)],
        [_cell("sex", sex, 1), _cell("age", age, 1)],
        [
            _cell("date_of_death", record.date_of_death.isoformat(), 1),
            _cell("date_of_birth", born, 1),
        ],
        [_cell("place_of_death", record.place_of_death)],
        *cause,
    ]


@dataclass(frozen=True)
class _Event:
    """What differs between a birth and a death certificate, decided once per record.

    Attributes:
        kind: ``birth`` or ``death``: the title's label and the QR payload's claim.
        cells: The rows of the event's own facts (before the registration rows), given the
            record, the printed sex and the "not recorded" dash.
        claims: The event's own facts signed into the QR payload (name, event date, the
            parents' names or the date of birth).
    """

    kind: str
    cells: Callable[[Any, str, str], list[list[_Cell]]]
    claims: Callable[[Any], dict[str, Any]]

    def facts(self, record: Record, issue: Issue) -> CertificateFacts:
        """The facts signed into the QR payload: the issue's, and the event's own claims."""
        return CertificateFacts(
            kind=self.kind,
            registration_number=record.registration_number,
            serial=issue.serial,
            issue_date=issue.issue_date,
            copy_number=issue.copy_number,
            **self.claims(record),
        )


_EVENTS: tuple[tuple[type, _Event], ...] = (
    (BirthRecord, _Event("birth", _birth_cells, _birth_claims)),
    (DeathRecord, _Event("death", _death_cells, _death_claims)),
)


def _event_of(record: object) -> _Event:
    """The event a record registers; the one place a certificate's type is decided."""
    for cls, event in _EVENTS:
        if isinstance(record, cls):
            return event
    raise InvalidCertificateData("record must be a BirthRecord or a DeathRecord")


class PageRenderer:
    """Draws certificate pages on a canvas; one per document, reusing its forms.

    The page is laid out from the top (emblem, country, authority, title, status) and the
    bottom (seal, signature, QR code); the rows of facts share the height between them, each
    row at least as tall as its longest value wrapped at a legible size.

    Args:
        canvas: The reportlab canvas of the document.
        signer: Signs each page's QR payload.
        options: Paper, languages, authority, emblem and fonts.
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
        self._images: set[str] = set()
        self._emblem = (
            self._image_form(options.emblem_image, "emblem") if options.emblem_image else None
        )

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

    def _cells(self, event: _Event, record: Record, issue: Issue) -> list[list[_Cell]]:
        dash = self.labels[0]["not_recorded"]
        sex = self._both(f"sex_{record.sex.value}") if isinstance(record.sex, Sex) else dash
        tail = [
            [
                _cell("registration_number", record.registration_number, 1),
                _cell("registration_date", record.registration_date.isoformat(), 1),
            ],
            [_cell("office", issue.office)],
            [
                _cell("issue_date", issue.issue_date.isoformat(), 1),
                _cell("serial", issue.serial, 1),
            ],
        ]
        return [*event.cells(record, sex, dash), *tail]

    def _fit(self, cell: _Cell, width: float, scale: float) -> None:
        """Choose the cell's size and lines: names larger, nothing below 7 pt."""
        bold = cell.key.endswith("_name")
        base = 15.0 if bold else (13.5 if cell.span == 2 else 12.5)
        if cell.key == "cause_sequence":
            base = 11.0
        base = max(_MIN_SIZE, base * scale)
        lines: list[str] = []
        size = base
        for value in cell.values:
            chosen, wrapped = self.engine.fit(value, base, width, bold=bold, min_size=_MIN_SIZE)
            size = min(size, chosen)
            lines.extend(wrapped)
        if len(cell.values) > 1:  # one size for every line of a list
            lines = []
            for value in cell.values:
                lines.extend(self.engine.wrap(value, size, width, bold=bold))
        cell.size, cell.lines = size, tuple(lines)

    def _header_height(self) -> float:
        height = 56.0 + (_EMBLEM_SIZE + 6 if self._emblem else 0.0)
        height += 16 if self.options.country else 0.0
        height += 44 if self._label_pair("title_birth")[1] is None else 70
        return height

    def _layout(self, rows: list[list[_Cell]]) -> list[_Box]:
        """Fit every value, then share the page's height between the rows.

        Values start at their full size; if the rows would not fit between the header and the
        footer, all sizes step down together (never below 7 pt). Rows that fit with room to
        spare grow, each by the same height, so the page is used to its foot.
        """
        content = self.width - 2 * _MARGIN
        gap = 8.0
        top = self.height - _MARGIN - self._header_height()
        room = top - _FOOTER_TOP
        for scale in _SCALES:
            needed = []
            for row in rows:
                tallest = 0.0
                for cell in row:
                    width = content if cell.span == 2 else (content - gap) / 2
                    self._fit(cell, width - 2 * _PAD, scale)
                    tallest = max(tallest, len(cell.lines) * cell.size * _LEADING)
                needed.append(_LABEL_BAND + tallest + 8)
            if sum(needed) <= room:
                break
        extra = max(0.0, room - sum(needed)) / len(rows)
        boxes = []
        for row, height in zip(rows, needed, strict=True):
            height += min(extra, _MAX_ROW_GROWTH)
            x = _MARGIN
            for cell in row:
                width = content if cell.span == 2 else (content - gap) / 2
                boxes.append(_Box(cell, x, top, width, height))
                x += width + gap
            top -= height
        return boxes

    # -- the template form ------------------------------------------------------------------

    def _template(self, kind: str, boxes: list[_Box]) -> str:
        shape = ",".join(f"{b.cell.key}:{b.top:.1f}:{b.height:.1f}" for b in boxes)
        name = f"crvs-{kind}-" + hashlib.sha256(shape.encode()).hexdigest()[:12]
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
        y = self.height - _MARGIN - 12
        if self._emblem:
            c.doForm(self._emblem)
            y -= _EMBLEM_SIZE + 6
        self._color(_FRAME_INK)
        if self.options.country:
            label(c, self.options.country, mid, y - 4, 11, align="center",
                  max_width=self.width - 2 * _MARGIN)  # fmt: skip
            y -= 16
        label(c, self.options.authority, mid, y - 8, 13, bold=True, align="center",
              max_width=self.width - 2 * _MARGIN)  # fmt: skip
        first, second = self._label_pair(f"title_{kind}")
        self._color(_INK)
        label(c, first, mid, y - 38, 23, bold=True, align="center")
        if second is not None:
            label(c, second, mid, y - 64, 20, bold=True, align="center")
        for box in boxes:
            c.setStrokeColorRGB(*_GUILLOCHE_INK)
            c.setLineWidth(0.5)
            c.roundRect(box.x, box.top - box.height + 4, box.width, box.height - 4, 3,
                        stroke=1, fill=0)  # fmt: skip
            self._color(_LABEL_INK)
            text, other = self._label_pair(box.cell.key)
            half = box.width / 2 - 8 if other is not None else box.width - 12
            label(c, text, box.x + 6, box.top - 13, 7.5, max_width=half)
            if other is not None:
                label(c, other, box.x + box.width - 6, box.top - 13, 7.5, align="right",
                      max_width=half)  # fmt: skip
        # Footer: seal place, signature line, signer's title, QR caption.
        self._color(_LABEL_INK)
        label(c, self._both("seal"), _MARGIN + 8 + _SEAL_SIZE / 2, 52, 7, align="center",
              max_width=_SEAL_SIZE + 20)  # fmt: skip
        c.setStrokeColorRGB(*_INK)
        c.setLineWidth(0.7)
        c.line(mid - 95, 120, mid + 95, 120)
        label(c, self._both("signature"), mid, 110, 7, align="center", max_width=190)
        title = self.options.signer_title or self._both("registrar")
        label(c, title, mid, 76, 8, align="center", max_width=200)
        qr_x = self.width - _MARGIN - _QR_SIZE
        label(c, self._both("verify"), qr_x + _QR_SIZE / 2, 52, 7, align="center",
              max_width=_QR_SIZE + 20)  # fmt: skip
        c.endForm()
        return name

    def _image_form(self, image: bytes, what: str) -> str:
        """A seal or emblem image as a form drawn in its place; once per document."""
        name = f"crvs-{what}-" + hashlib.sha256(image).hexdigest()[:16]
        if name not in self._images and not self.canvas.hasForm(name):
            reader = _image_reader(image, what)
            c = self.canvas
            c.beginForm(name)
            if what == "seal":
                box: tuple[float, ...] = (_MARGIN + 8, 62.0, _SEAL_SIZE, _SEAL_SIZE)
            else:
                top = self.height - _MARGIN - 8
                box = (self.width / 2 - _EMBLEM_SIZE / 2, top - _EMBLEM_SIZE, _EMBLEM_SIZE,
                       _EMBLEM_SIZE)  # fmt: skip
            c.drawImage(reader, *box, mask="auto", preserveAspectRatio=True, anchor="c")
            c.endForm()
        self._images.add(name)
        return name

    # -- one page -------------------------------------------------------------------------------

    def draw_page(self, record: Record, issue: Issue) -> None:
        """Draw one certificate as the current page and finish the page."""
        event = _event_of(record)
        _check_text(record, issue)
        boxes = self._layout(self._cells(event, record, issue))
        template = self._template(event.kind, boxes)
        seal = self._image_form(issue.seal_image, "seal") if issue.seal_image else None
        payload = self.signer.sign(event.facts(record, issue))
        c, engine = self.canvas, self.engine
        c.doForm(template)
        if seal is not None:
            c.doForm(seal)
        if issue.copy_number is not None:
            self._watermark(issue.copy_number)
        mid = self.width / 2
        self._status_line(issue.copy_number)
        self._color(_INK)
        for box in boxes:
            cell = box.cell
            leading = cell.size * _LEADING
            block = len(cell.lines) * leading
            area_top = box.top - _LABEL_BAND
            area = box.height - _LABEL_BAND - 4
            baseline = area_top - max(0.0, (area - block) / 2) - cell.size * 0.95
            for line in cell.lines:
                engine.draw(c, line, box.x + _PAD, baseline, cell.size,
                            bold=cell.key.endswith("_name"), align="start",
                            max_width=box.width - 2 * _PAD, min_size=_MIN_SIZE)  # fmt: skip
                baseline -= leading
        engine.draw(c, issue.registrar_name, mid, 92, 11, align="center", max_width=200,
                    min_size=_MIN_SIZE)  # fmt: skip
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
        c, engine, mid = self.canvas, self.engine, self.width / 2
        y = self.height - _MARGIN - self._header_height() + 10
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


def render_certificate(
    record: Record,
    issue: Issue,
    signer: Signer,
    *,
    options: RenderOptions | None = None,
) -> bytes:
    """Render a birth or death certificate as a one-page PDF (the record's type decides which).

    Args:
        record: The registered birth or death.
        issue: Serial, office, date, registrar, copy number and seal of this issuance.
        signer: Signs the QR payload.
        options: Languages, paper (A4 by default) and fonts.

    Returns:
        The PDF bytes.

    Raises:
        FontNotFound: If a script in the data or the labels has no installed font.
        InvalidCertificateData: If the record is neither a birth nor a death, or the seal image
            or the language choice is unusable.
    """
    options = options or RenderOptions()
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
    """:func:`render_certificate` for a caller that means a birth (anything else is refused)."""
    return _render_as(BirthRecord, "render_birth_certificate", record, issue, signer, options)


def render_death_certificate(
    record: DeathRecord,
    issue: Issue,
    signer: Signer,
    *,
    options: RenderOptions | None = None,
) -> bytes:
    """:func:`render_certificate` for a caller that means a death (anything else is refused)."""
    return _render_as(DeathRecord, "render_death_certificate", record, issue, signer, options)


def _render_as(
    cls: type,
    caller: str,
    record: Record,
    issue: Issue,
    signer: Signer,
    options: RenderOptions | None,
) -> bytes:
    if not isinstance(record, cls):
        raise InvalidCertificateData(f"{caller} needs a {cls.__name__}")
    return render_certificate(record, issue, signer, options=options)
