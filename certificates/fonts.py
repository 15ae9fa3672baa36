"""Font lookup by script at the standard Debian paths.

Fonts are chosen by the script of the text, never named by input. Each script maps to a list of
file names tried in order in each font directory; a missing script font raises
:class:`~certificates.errors.FontNotFound` naming the Debian package that provides it.
"""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass

from .errors import FontNotFound

DEFAULT_FONT_DIRS: tuple[str, ...] = (
    "/usr/share/fonts/truetype/noto",
    "/usr/share/fonts/opentype/noto",
    "/usr/share/fonts/truetype/wqy",
    "/usr/share/fonts/truetype/dejavu",
)


class Script(enum.Enum):
    """The writing systems the certificates can print."""

    LATIN = "Latin"
    ARABIC = "Arabic"
    ETHIOPIC = "Ethiopic"
    DEVANAGARI = "Devanagari"
    BENGALI = "Bengali"
    CJK = "Han"
    HEBREW = "Hebrew"
    THAI = "Thai"


@dataclass(frozen=True)
class FontFile:
    """A font file found on disk: path and index inside a collection (.ttc)."""

    path: str
    index: int = 0


# (file name, index in a collection) candidates per (script, bold), and the Debian package.
_CANDIDATES: dict[Script, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    Script.LATIN: (("NotoSans-Regular.ttf",), ("NotoSans-Bold.ttf",), "fonts-noto-core"),
    Script.ARABIC: (
        ("NotoNaskhArabic-Regular.ttf", "NotoSansArabic-Regular.ttf"),
        ("NotoNaskhArabic-Bold.ttf", "NotoSansArabic-Bold.ttf"),
        "fonts-noto-core",
    ),
    Script.ETHIOPIC: (
        ("NotoSansEthiopic-Regular.ttf", "NotoSerifEthiopic-Regular.ttf"),
        ("NotoSansEthiopic-Bold.ttf", "NotoSerifEthiopic-Bold.ttf"),
        "fonts-noto-core",
    ),
    Script.DEVANAGARI: (
        ("NotoSansDevanagari-Regular.ttf",),
        ("NotoSansDevanagari-Bold.ttf",),
        "fonts-noto-core",
    ),
    Script.BENGALI: (
        ("NotoSansBengali-Regular.ttf",),
        ("NotoSansBengali-Bold.ttf",),
        "fonts-noto-core",
    ),
    Script.HEBREW: (
        ("NotoSansHebrew-Regular.ttf",),
        ("NotoSansHebrew-Bold.ttf",),
        "fonts-noto-core",
    ),
    Script.THAI: (("NotoSansThai-Regular.ttf",), ("NotoSansThai-Bold.ttf",), "fonts-noto-core"),
    # reportlab cannot embed CFF-outline CJK fonts, but glyphs here are drawn as outlines, so
    # either works; WenQuanYi Zen Hei (TrueType outlines) is the smaller package.
    Script.CJK: (
        ("wqy-zenhei.ttc", "NotoSansCJK-Regular.ttc"),
        ("wqy-zenhei.ttc", "NotoSansCJK-Bold.ttc"),
        "fonts-wqy-zenhei",
    ),
}


def find_font(script: Script, *, bold: bool = False, font_dirs: tuple[str, ...]) -> FontFile:
    """Find the font file for a script.

    Args:
        script: The script to print.
        bold: Prefer the bold face; falls back to the regular face if there is none.
        font_dirs: Directories searched in order.

    Returns:
        The first matching file.

    Raises:
        FontNotFound: If no candidate exists; the message names the Debian package.
    """
    regular, bold_names, package = _CANDIDATES[script]
    names = (*bold_names, *regular) if bold else regular
    for name in names:
        for directory in font_dirs:
            path = os.path.join(directory, name)
            if os.path.isfile(path):
                return FontFile(path)
    raise FontNotFound(
        f"no font for {script.value} script: install the Debian package {package} "
        f"(looked for {', '.join(regular)} in {', '.join(font_dirs)})"
    )
