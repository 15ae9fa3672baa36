"""Text in any supported script: bidi ordering, HarfBuzz shaping and glyph-outline drawing.

reportlab draws a string by mapping each character to one glyph, which is right for Latin but
wrong for scripts whose glyphs depend on their neighbours (Arabic joining, Indic conjuncts). So
each string is:

1. given bidi embedding levels (a compact implementation of the Unicode Bidirectional
   Algorithm rules W1-W7, N1-N2, I1-I2 and L1; explicit embeddings are not interpreted),
2. cut into runs of one level and one script,
3. shaped run by run with HarfBuzz in the font chosen for that script,
4. put in visual order (rule L2), and
5. drawn as glyph outlines (one form XObject per glyph, built once per process and shared by
   every page of a document), filled with the current colour, so that what is on the page is
   exactly what the shaper produced.

Plain Latin strings in the regular weight take a fast path through reportlab's own TrueType
text. Every other string is drawn as outlines inside a marked-content span whose
``/ActualText`` is the string in logical order, with the same string laid over it as invisible
text (render mode 3): so every string on a certificate can be extracted, searched and read by a
screen reader in its own script. (poppler's ``pdftotext`` prints right-to-left runs in visual
order between U+202B and U+202C, as it does for every PDF.)

Long values are wrapped (:meth:`TextEngine.fit`) rather than shrunk below a legible size.
"""

from __future__ import annotations

import functools
import hashlib
import unicodedata
from dataclasses import dataclass
from typing import Any

import uharfbuzz as hb
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from ._pdf import add_prebuilt_form, serialise_form
from .fonts import FontFile, Script, find_font

_RANGES: tuple[tuple[int, int, Script], ...] = (
    (0x0600, 0x06FF, Script.ARABIC),
    (0x0750, 0x077F, Script.ARABIC),
    (0x0870, 0x08FF, Script.ARABIC),
    (0xFB50, 0xFDFF, Script.ARABIC),
    (0xFE70, 0xFEFF, Script.ARABIC),
    (0x0590, 0x05FF, Script.HEBREW),
    (0xFB1D, 0xFB4F, Script.HEBREW),
    (0x0E00, 0x0E7F, Script.THAI),
    (0x0900, 0x097F, Script.DEVANAGARI),
    (0xA8E0, 0xA8FF, Script.DEVANAGARI),
    (0x0980, 0x09FF, Script.BENGALI),
    (0x1200, 0x139F, Script.ETHIOPIC),
    (0x2D80, 0x2DDF, Script.ETHIOPIC),
    (0xAB00, 0xAB2F, Script.ETHIOPIC),
    (0x2E80, 0x2FDF, Script.CJK),
    (0x3000, 0x303F, Script.CJK),
    (0x3040, 0x30FF, Script.CJK),
    (0x3100, 0x312F, Script.CJK),
    (0x31A0, 0x31FF, Script.CJK),
    (0x3400, 0x4DBF, Script.CJK),
    (0x4E00, 0x9FFF, Script.CJK),
    (0xF900, 0xFAFF, Script.CJK),
    (0xFF00, 0xFFEF, Script.CJK),
    (0x20000, 0x323AF, Script.CJK),
)
_HB_SCRIPT = {
    Script.LATIN: "Latn",
    Script.ARABIC: "Arab",
    Script.ETHIOPIC: "Ethi",
    Script.DEVANAGARI: "Deva",
    Script.BENGALI: "Beng",
    Script.CJK: "Hani",
    Script.HEBREW: "Hebr",
    Script.THAI: "Thai",
}
_SHAPE_CACHE_SIZE = 8192
_LINE_UNITS = 1000.0


def script_of(char: str) -> Script | None:
    """Return the script of a character, or None for neutral ones (digits, spaces, punctuation)."""
    code = ord(char)
    for low, high, script in _RANGES:
        if low <= code <= high:
            return script
    category = unicodedata.category(char)
    if category[0] == "L" or category == "Mn":
        return Script.LATIN
    return None


def clean_text(text: str) -> str:
    """Return one printable line: whitespace runs collapsed, control characters removed.

    Format characters (zero-width joiners, bidi marks) are kept for the shaper; controls
    (category Cc) and lone surrogates (Cs) are dropped.
    """
    line = " ".join(text.split())
    return "".join(char for char in line if unicodedata.category(char) not in ("Cc", "Cs"))


def bidi_levels(text: str, base: int) -> list[int]:
    """Return the resolved bidi embedding level of each character.

    Args:
        text: One line of text.
        base: The paragraph level, 0 (left-to-right) or 1 (right-to-left).

    Returns:
        One level per character; odd levels are right-to-left.
    """
    sos = "R" if base else "L"
    types = []
    for char in text:
        kind = unicodedata.bidirectional(char) or "L"
        if kind in ("LRE", "RLE", "PDF", "LRO", "RLO", "LRI", "RLI", "FSI", "PDI", "BN"):
            kind = "ON"
        types.append(kind)
    count = len(types)
    # W1: a non-spacing mark takes the type of the character before it.
    previous = sos
    for i in range(count):
        if types[i] == "NSM":
            types[i] = previous
        previous = types[i]
    # W2, W3: European numbers after Arabic letters are Arabic numbers; AL becomes R.
    last_strong = sos
    for i in range(count):
        kind = types[i]
        if kind in ("L", "R", "AL"):
            last_strong = kind
        elif kind == "EN" and last_strong == "AL":
            types[i] = "AN"
    types = ["R" if kind == "AL" else kind for kind in types]
    # W4: one separator between two numbers of the same kind joins them.
    for i in range(1, count - 1):
        before, after = types[i - 1], types[i + 1]
        if types[i] == "ES" and before == after == "EN":
            types[i] = "EN"
        elif types[i] == "CS" and before == after and before in ("EN", "AN"):
            types[i] = before
    # W5: terminators next to European numbers become European numbers.
    i = 0
    while i < count:
        if types[i] == "ET":
            end = i
            while end < count and types[end] == "ET":
                end += 1
            touches = (i > 0 and types[i - 1] == "EN") or (end < count and types[end] == "EN")
            if touches:
                types[i:end] = ["EN"] * (end - i)
            i = end
        else:
            i += 1
    # W6, W7.
    types = ["ON" if kind in ("ES", "ET", "CS") else kind for kind in types]
    last_strong = sos
    for i in range(count):
        kind = types[i]
        if kind in ("L", "R"):
            last_strong = kind
        elif kind == "EN" and last_strong == "L":
            types[i] = "L"
    # N1, N2: neutrals between two strong types of the same direction take it, else the base.
    strong = ["R" if kind in ("EN", "AN") else kind for kind in types]
    i = 0
    while i < count:
        if strong[i] in ("L", "R"):
            i += 1
            continue
        end = i
        while end < count and strong[end] not in ("L", "R"):
            end += 1
        before = strong[i - 1] if i > 0 else sos
        after = strong[end] if end < count else sos
        resolved = before if before == after else sos
        types[i:end] = [resolved] * (end - i)
        i = end
    # I1, I2.
    levels = []
    for kind in types:
        if base % 2 == 0:
            levels.append(base + (1 if kind == "R" else 2 if kind in ("AN", "EN") else 0))
        else:
            levels.append(base + (1 if kind in ("L", "EN", "AN") else 0))
    # L1: trailing whitespace goes back to the paragraph level.
    for i in range(count - 1, -1, -1):
        if unicodedata.bidirectional(text[i]) in ("WS", "S", "B"):
            levels[i] = base
        else:
            break
    return levels


def base_level(text: str) -> int:
    """Return 1 if the first strong character of ``text`` is right-to-left, else 0."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return 1
        if kind == "L":
            return 0
    return 0


def visual_order(levels: list[int]) -> list[int]:
    """Return the indices of items with the given levels in visual order (rule L2)."""
    order = list(range(len(levels)))
    if not levels:
        return order
    highest = max(levels)
    lowest_odd = min(level for level in levels) | 1
    for level in range(highest, lowest_odd - 1, -1):
        i = 0
        while i < len(order):
            if levels[order[i]] >= level:
                end = i
                while end < len(order) and levels[order[end]] >= level:
                    end += 1
                order[i:end] = order[i:end][::-1]
                i = end
            else:
                i += 1
    return order


def actual_text_hex(text: str) -> str:
    """Return text as a PDF hex string body in UTF-16BE with its byte order mark."""
    return "FEFF" + text.encode("utf-16-be", "surrogatepass").hex().upper()


def _clusters(word: str) -> list[str]:
    """Cut a word into characters, each with the combining marks and joiners that follow it."""
    out: list[str] = []
    for char in word:
        if out and (
            unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Mc", "Cf")
        ):
            out[-1] += char
        else:
            out.append(char)
    return out


class _PathPen:
    """Collects a glyph outline as PDF path operators in font units."""

    def __init__(self) -> None:
        self.ops: list[str] = []
        self.x = 0.0
        self.y = 0.0

    @staticmethod
    def _n(value: float) -> str:
        return str(round(value))

    def moveTo(self, point: tuple[float, float]) -> None:
        self.x, self.y = point
        self.ops.append(f"{self._n(self.x)} {self._n(self.y)} m")

    def lineTo(self, point: tuple[float, float]) -> None:
        self.x, self.y = point
        self.ops.append(f"{self._n(self.x)} {self._n(self.y)} l")

    def curveTo(self, *points: tuple[float, float]) -> None:
        (x1, y1), (x2, y2), (x3, y3) = points[-3:]
        n = self._n
        self.ops.append(f"{n(x1)} {n(y1)} {n(x2)} {n(y2)} {n(x3)} {n(y3)} c")
        self.x, self.y = x3, y3

    def qCurveTo(self, *points: tuple[float, float]) -> None:
        # HarfBuzz hands over one control point and the end point; raise to a cubic.
        for i in range(len(points) - 1):
            (cx, cy) = points[i]
            if i < len(points) - 2:
                nx, ny = points[i + 1]
                ex, ey = (cx + nx) / 2, (cy + ny) / 2
            else:
                ex, ey = points[-1]
            c1x, c1y = self.x + 2 / 3 * (cx - self.x), self.y + 2 / 3 * (cy - self.y)
            c2x, c2y = ex + 2 / 3 * (cx - ex), ey + 2 / 3 * (cy - ey)
            self.curveTo((c1x, c1y), (c2x, c2y), (ex, ey))

    def closePath(self) -> None:
        self.ops.append("h")

    def endPath(self) -> None:
        pass


class LoadedFont:
    """One font file opened for HarfBuzz, with a cache of glyph outlines."""

    def __init__(self, file: FontFile) -> None:
        with open(file.path, "rb") as handle:
            blob = hb.Blob(handle.read())
        self.file = file
        self.face = hb.Face(blob, file.index)
        self.font = hb.Font(self.face)
        self.upem: int = self.face.upem
        self._paths: dict[int, str] = {}
        self._forms: dict[int, bytes | None] = {}
        self.tag = hashlib.sha256(f"{file.path}#{file.index}".encode()).hexdigest()[:10]

    def has_char(self, char: str) -> bool:
        """Tell whether the font maps the character to a glyph."""
        return self.font.get_nominal_glyph(ord(char)) is not None

    def glyph_path(self, gid: int) -> str:
        """Return the glyph's outline as PDF path operators in font units (may be empty)."""
        path = self._paths.get(gid)
        if path is None:
            pen = _PathPen()
            self.font.draw_glyph_with_pen(gid, pen)
            path = self._paths[gid] = " ".join(pen.ops)
        return path

    def glyph_form(self, canvas: Any, gid: int) -> str | None:
        """Add the glyph's outline to the canvas's document as a form; None if it is blank.

        The form is in font units: scale by ``size / upem`` when drawing it.
        """
        if gid not in self._forms:
            path = self.glyph_path(gid)
            if not path:
                self._forms[gid] = None
            else:
                extents = self.font.get_glyph_extents(gid)
                left, top = extents.x_bearing, extents.y_bearing
                bbox = (left - 8, top + extents.height - 8, left + extents.width + 8, top + 8)
                self._forms[gid] = serialise_form((path + " f").encode("ascii"), bbox)
        body = self._forms[gid]
        if body is None:
            return None
        return add_prebuilt_form(canvas, f"g{self.tag}-{gid}", body)


@dataclass(frozen=True)
class Glyph:
    """A shaped glyph: font, glyph id, and position in em (multiply by the font size)."""

    font: LoadedFont
    gid: int
    x: float
    y: float


@dataclass(frozen=True)
class ShapedLine:
    """A line shaped and put in visual order; ``width`` is in em."""

    text: str
    glyphs: tuple[Glyph, ...]
    width: float
    rtl: bool
    simple: bool
    bold: bool = False

    @property
    def missing(self) -> bool:
        """True if any character had no glyph in its font (it would print as a box)."""
        return any(glyph.gid == 0 for glyph in self.glyphs)


class TextEngine:
    """Measures and draws text in every supported script with fonts from ``font_dirs``."""

    def __init__(self, font_dirs: tuple[str, ...]) -> None:
        self.font_dirs = font_dirs
        self._fonts: dict[tuple[Script, bool], LoadedFont] = {}
        self._rl_names: dict[bool, str] = {}
        self._line_bodies: dict[tuple[str, bool], bytes] = {}
        self.shape = functools.lru_cache(maxsize=_SHAPE_CACHE_SIZE)(self._shape)

    def font(self, script: Script, bold: bool) -> LoadedFont:
        """Return the loaded font for a script, loading it on first use."""
        key = (script, bold)
        loaded = self._fonts.get(key)
        if loaded is None:
            loaded = LoadedFont(find_font(script, bold=bold, font_dirs=self.font_dirs))
            self._fonts[key] = loaded
        return loaded

    def reportlab_font(self, bold: bool) -> str:
        """Return the reportlab name of a Latin TrueType font, registering it once."""
        name = self._rl_names.get(bold)
        if name is None:
            file = self.font(Script.LATIN, bold).file
            name = "CRVS-" + hashlib.sha256(file.path.encode()).hexdigest()[:12]
            if name not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(TTFont(name, file.path, subfontIndex=file.index))
            self._rl_names[bold] = name
        return name

    def _is_simple(self, text: str, bold: bool) -> bool:
        # Bold is always drawn as outlines: a second embedded TrueType subset per document
        # would cost more than the prebuilt glyph forms.
        if bold:
            return False
        latin = self.font(Script.LATIN, bold)
        for char in text:
            if script_of(char) not in (None, Script.LATIN) or unicodedata.combining(char):
                return False
            if unicodedata.bidirectional(char) in ("R", "AL", "AN") or not latin.has_char(char):
                return False
        return True

    def _itemize(self, text: str, bold: bool) -> list[tuple[int, int, int, Script]]:
        """Cut text into (start, end, level, script) runs."""
        levels = bidi_levels(text, base_level(text))
        scripts: list[Script | None] = [script_of(char) for char in text]
        # Neutral characters join the script before them (or after, at the start) if that
        # script's font has them; otherwise they are printed with the Latin font.
        resolved: list[Script] = []
        current: Script | None = next((s for s in scripts if s is not None), None)
        for char, script in zip(text, scripts, strict=True):
            if script is not None:
                current = script
                resolved.append(script)
            elif current is not None and self.font(current, bold).has_char(char):
                resolved.append(current)
            else:
                resolved.append(Script.LATIN)
        runs = []
        start = 0
        for i in range(1, len(text) + 1):
            if i == len(text) or levels[i] != levels[start] or resolved[i] != resolved[start]:
                runs.append((start, i, levels[start], resolved[start]))
                start = i
        return runs

    def _shape(self, text: str, bold: bool) -> ShapedLine:
        simple = self._is_simple(text, bold)
        runs = self._itemize(text, bold)
        order = visual_order([run[2] for run in runs])
        glyphs: list[Glyph] = []
        pen_x = 0.0
        for index in order:
            start, end, level, script = runs[index]
            font = self.font(script, bold)
            buffer = hb.Buffer()
            buffer.add_str(text[start:end])
            buffer.direction = "rtl" if level % 2 else "ltr"
            buffer.script = _HB_SCRIPT[script]
            hb.shape(font.font, buffer, {})
            scale = 1.0 / font.upem
            for info, position in zip(buffer.glyph_infos, buffer.glyph_positions, strict=True):
                glyphs.append(
                    Glyph(
                        font,
                        info.codepoint,
                        pen_x + position.x_offset * scale,
                        position.y_offset * scale,
                    )
                )
                pen_x += position.x_advance * scale
        return ShapedLine(text, tuple(glyphs), pen_x, base_level(text) == 1, simple, bold)

    def _line_form(self, canvas: Any, line: ShapedLine) -> str:
        """Add a whole shaped line as one form (units: 1/1000 em); return its name."""
        key = (line.text, line.bold)
        body = self._line_bodies.get(key)
        if body is None:
            parts = []
            for glyph in line.glyphs:
                path = glyph.font.glyph_path(glyph.gid)
                if path:
                    k = _LINE_UNITS / glyph.font.upem
                    gx, gy = glyph.x * _LINE_UNITS, glyph.y * _LINE_UNITS
                    parts.append(f"q {k:.6f} 0 0 {k:.6f} {gx:.1f} {gy:.1f} cm {path} f Q")
            right = line.width * _LINE_UNITS
            bbox = (-_LINE_UNITS, -_LINE_UNITS, right + _LINE_UNITS, 2 * _LINE_UNITS)
            body = serialise_form("\n".join(parts).encode("ascii"), bbox)
            if len(self._line_bodies) >= _SHAPE_CACHE_SIZE:
                self._line_bodies.clear()
            self._line_bodies[key] = body
        name = "l" + hashlib.sha256(body).hexdigest()[:20]
        return add_prebuilt_form(canvas, name, body)

    def width(self, text: str, size: float, *, bold: bool = False) -> float:
        """Return the printed width of ``text`` in points."""
        line = self.shape(text, bold)
        if line.simple:
            return float(pdfmetrics.stringWidth(text, self.reportlab_font(bold), size))
        return line.width * size

    def wrap(self, text: str, size: float, max_width: float, *, bold: bool = False) -> list[str]:
        """Break text into lines no wider than ``max_width`` at ``size``.

        Lines break between words; a word wider than a line (a name written without spaces,
        as Chinese names are) breaks between characters, never inside a character and its
        combining marks.
        """
        text = clean_text(text)
        if not text:
            return [""]
        space = self.width(" ", size, bold=bold)
        lines: list[str] = []
        current, current_width = "", 0.0
        for word in text.split(" "):
            word_width = self.width(word, size, bold=bold)
            if current and current_width + space + word_width <= max_width:
                current, current_width = f"{current} {word}", current_width + space + word_width
                continue
            if current:
                lines.append(current)
            current, current_width = word, word_width
            if word_width > max_width:
                pieces = self._break_word(word, size, max_width, bold)
                lines.extend(pieces[:-1])
                current = pieces[-1]
                current_width = self.width(current, size, bold=bold)
        lines.append(current)
        return lines

    def _break_word(self, word: str, size: float, max_width: float, bold: bool) -> list[str]:
        pieces: list[str] = []
        current = ""
        for cluster in _clusters(word):
            if current and self.width(current + cluster, size, bold=bold) > max_width:
                pieces.append(current)
                current = cluster
            else:
                current += cluster
        pieces.append(current)
        return pieces

    def fit(
        self,
        text: str,
        size: float,
        max_width: float,
        *,
        bold: bool = False,
        min_size: float = 7.0,
        shrink_to: float | None = None,
        max_lines: int = 3,
    ) -> tuple[float, list[str]]:
        """Choose a size and line breaks for a value in a box ``max_width`` wide.

        One line at ``size`` if it fits; else one line shrunk down to ``shrink_to`` (by default
        80 % of ``size``, never below ``min_size``); else the largest size from ``size`` down to
        ``min_size`` at which the text wraps into at most ``max_lines`` lines; else as many
        lines as it takes at ``min_size``. Nothing is ever drawn below ``min_size``.

        Returns:
            ``(size, lines)``.
        """
        text = clean_text(text)
        floor = max(min_size, shrink_to if shrink_to is not None else 0.8 * size)
        width = self.width(text, size, bold=bold)
        if width <= max_width:
            return size, [text]
        single = size * max_width / width
        if single >= floor:
            return single, [text]
        step = size
        while step >= min_size:
            lines = self.wrap(text, step, max_width, bold=bold)
            if len(lines) <= max_lines:
                return step, lines
            step -= 0.5
        return min_size, self.wrap(text, min_size, max_width, bold=bold)

    def _scaled(self, line: ShapedLine, as_text: bool, size: float) -> float:
        if as_text:
            return self.width(line.text, size, bold=line.bold)
        return line.width * size

    def draw(
        self,
        canvas: Any,
        text: str,
        x: float,
        y: float,
        size: float,
        *,
        bold: bool = False,
        align: str = "left",
        max_width: float | None = None,
        min_size: float = 5.0,
        fixed: bool = False,
    ) -> float:
        """Draw one line of text on a reportlab canvas in the current fill colour.

        Args:
            canvas: A ``reportlab.pdfgen.canvas.Canvas``.
            text: The text; no markup is interpreted.
            x: The anchor on the baseline; its meaning depends on ``align``.
            y: The baseline.
            size: The font size in points.
            bold: Use the bold face where the script has one.
            align: ``"left"``, ``"right"``, ``"center"``, or ``"start"`` (left for a
                left-to-right line, right for a right-to-left one, ``x`` being the left edge
                and ``x + max_width`` the right one).
            max_width: If given, the size shrinks (down to ``min_size``) until the text fits.
            min_size: The smallest size used when shrinking.
            fixed: The text is the same on many documents (a label): it is drawn as shaped
                outlines kept in one prebuilt form per process (Latin included) instead of
                one form per glyph or reportlab text.

        Text drawn as outlines is marked with its Unicode (``/ActualText``) and shadowed by
        invisible text, so every string can be extracted, searched and read aloud.

        Returns:
            The font size actually used.
        """
        text = clean_text(text)
        if not text:
            return size
        line = self.shape(text, bold)
        as_text = line.simple and not fixed
        width = self._scaled(line, as_text, size)
        if max_width is not None and width > max_width:
            size = max(min_size, size * max_width / width)
            width = self._scaled(line, as_text, size)
        if align == "start":
            align = "right" if line.rtl else "left"
            if line.rtl and max_width is not None:
                x += max_width
        if align == "right":
            x -= width
        elif align == "center":
            x -= width / 2
        if as_text:
            canvas.setFont(self.reportlab_font(bold), size)
            canvas.drawString(x, y, text)
            return size
        canvas.addLiteral(f"/Span <</ActualText <{actual_text_hex(text)}>>> BDC")
        self._draw_outlines(canvas, line, x, y, size, fixed)
        self._invisible_text(canvas, text, x, y, size, width)
        canvas.addLiteral("EMC")
        return size

    def _invisible_text(
        self, canvas: Any, text: str, x: float, y: float, size: float, width: float
    ) -> None:
        """Lay the text, unseen (render mode 3), over the outlines drawn for it.

        Text extraction (poppler's among them) uses the marked content's ActualText only where
        some text is shown inside it; this text is that, and it makes selections land on the
        drawn glyphs. Characters the Latin font lacks still carry no glyph of their own here:
        the ActualText gives their Unicode.
        """
        name = self.reportlab_font(False)
        font = pdfmetrics.getFont(name)
        natural = float(pdfmetrics.stringWidth(text, name, size))
        scale = 100.0 * width / natural if natural > 0 else 100.0
        document = canvas._doc  # reportlab keeps a font's subsets per document
        ops = [f"q BT 3 Tr {scale:.3f} Tz 1 0 0 1 {x:.2f} {y:.2f} Tm"]
        for subset, chunk in font.splitString(text, document):
            internal = font.getSubsetInternalName(subset, document)
            ops.append(f"{internal} {size:.2f} Tf <{chunk.hex()}> Tj")
        # The render mode and scaling are graphics state: q/Q keeps them from later text.
        ops.append("ET Q")
        canvas.addLiteral(" ".join(ops))

    def _draw_outlines(
        self, canvas: Any, line: ShapedLine, x: float, y: float, size: float, fixed: bool
    ) -> None:
        if fixed:
            k = size / _LINE_UNITS
            canvas.addLiteral(f"q {k:.6f} 0 0 {k:.6f} {x:.2f} {y:.2f} cm")
            canvas.doForm(self._line_form(canvas, line))
            canvas.addLiteral("Q")
            return
        for glyph in line.glyphs:
            form = glyph.font.glyph_form(canvas, glyph.gid)
            if form is None:
                continue
            k = size / glyph.font.upem
            gx, gy = x + glyph.x * size, y + glyph.y * size
            canvas.addLiteral(f"q {k:.6f} 0 0 {k:.6f} {gx:.2f} {gy:.2f} cm")
            canvas.doForm(form)
            canvas.addLiteral("Q")
