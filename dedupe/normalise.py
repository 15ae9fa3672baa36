"""Normalisation of names, free text and dates into comparable values.

Names are transliterated to Latin (so that an Arabic-script name meets its Latin spelling),
case- and accent-folded, stripped of punctuation and of name particles, and squeezed to single
spaces. A consonant *skeleton* of a name groups common spelling families (Mohamed, Muhammad,
Mohammed and محمد all give ``mhmd``); it serves both as a blocking key and as a comparison level.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from anyascii import anyascii

__all__ = [
    "DEFAULT_PARTICLES",
    "ParsedDate",
    "name_skeleton",
    "normalise_name",
    "normalise_text",
    "parse_date",
]

#: Particles dropped from names unless they are the whole name ("al", "van", "bin", ...).
DEFAULT_PARTICLES: frozenset[str] = frozenset(
    {
        "al", "el", "bin", "ben", "ibn", "bint", "binti", "abu", "de", "da", "das", "do", "dos",
        "di", "du", "del", "della", "der", "den", "van", "von", "la", "le", "y", "mc", "st",
    }
)  # fmt: skip

_NOT_NAME = re.compile(r"[^a-z ]+")
_NOT_TEXT = re.compile(r"[^a-z0-9 ]+")
_APOSTROPHES = re.compile(r"['`\u2019\u02bc\u02bf\u02be]")
_DIGRAPHS = (("ph", "f"), ("ck", "k"), ("kh", "k"), ("gh", "g"), ("dh", "d"), ("th", "t"))
_LETTER_MAP = str.maketrans({"c": "k", "q": "k", "z": "s", "v": "f"})
_VOWELS = re.compile(r"[aeiou]+")
_DOUBLES = re.compile(r"(.)\1+")


def _fold(text: str) -> str:
    return anyascii(text).casefold()


@lru_cache(maxsize=65536)  # pure, and names repeat: a registry scores the same ones all day
def normalise_name(text: str | None, particles: frozenset[str] = DEFAULT_PARTICLES) -> str:
    """Return a comparable form of a person's name.

    The name is transliterated to Latin, case- and accent-folded, stripped of punctuation and
    digits, and its particles ("al", "van", "bin", ...) are dropped unless nothing else is left.
    The function is idempotent: ``normalise_name(normalise_name(x)) == normalise_name(x)``.

    Args:
        text: The name as written, in any script; ``None`` counts as empty.
        particles: Lower-case particles to drop.

    Returns:
        Lower-case ASCII words separated by single spaces, or ``""`` when nothing is left.

    Example:
        >>> normalise_name("  Al-Hassan, Müller ")
        'hassan muller'
    """
    if not text:
        return ""
    folded = _APOSTROPHES.sub("", _fold(text))
    words = _NOT_NAME.sub(" ", folded).split()
    kept = [word for word in words if word not in particles]
    return " ".join(kept or words)


def normalise_text(text: str | None) -> str:
    """Return a comparable form of free text or a code: folded ASCII letters and digits.

    Args:
        text: Any text; ``None`` counts as empty.

    Returns:
        Lower-case ASCII letters and digits in words separated by single spaces.
    """
    if not text:
        return ""
    folded = _APOSTROPHES.sub("", _fold(text))
    return " ".join(_NOT_TEXT.sub(" ", folded).split())


@lru_cache(maxsize=65536)
def _word_skeleton(word: str) -> str:
    for old, new in _DIGRAPHS:
        word = word.replace(old, new)
    word = word.translate(_LETTER_MAP)
    head, tail = word[:1], word[1:]
    # y and w are consonants only at the start of a word (Yusuf, Walid); elsewhere they are
    # vowel glides that transliteration renders inconsistently (Husayn / Hussein / حسين).
    if head in "aeiou":
        head = ""
    tail = _VOWELS.sub("", tail.replace("y", "").replace("w", ""))
    skeleton = _DOUBLES.sub(r"\1", head + tail)
    # A final h is often only a written vowel (Fatimah, فاطمة -> ftmh).
    if len(skeleton) > 2 and skeleton.endswith("h"):
        skeleton = skeleton[:-1]
    return skeleton


@lru_cache(maxsize=65536)
def name_skeleton(normalised: str) -> str:
    """Return the consonant skeleton of an already normalised name.

    Vowels are dropped, double letters squeezed and a few letters merged (c/k/q, z/s, ph/f), so
    that transliteration and spelling variants meet: ``mohamed``, ``muhammad``, ``mohammed`` and
    the transliterated Arabic ``mhmd`` all give ``mhmd``.

    Args:
        normalised: The output of :func:`normalise_name`.

    Returns:
        The skeleton of each word, in order, separated by spaces (``""`` for an empty name).
    """
    return " ".join(s for s in map(_word_skeleton, normalised.split()) if s)


@dataclass(frozen=True, slots=True)
class ParsedDate:
    """A date read leniently from text.

    Attributes:
        year: The year, or 0 when unknown.
        month: The month 1-12, or 0 when unknown (a month above 12 is kept when the day could be
            the month, to allow a day/month swap to be recognised).
        day: The day 1-31, or 0 when unknown.
        digits: The date as ``YYYYMMDD`` digits, used to recognise one-digit typos.
        ordinal: Proleptic Gregorian ordinal when the date is valid, else -1.
    """

    year: int
    month: int
    day: int
    digits: str
    ordinal: int


MISSING_DATE = ParsedDate(0, 0, 0, "", -1)
_DIGITS = re.compile(r"\d+")
_QUICK_FORMATS = {
    "%Y-%m-%d": re.compile(r"(\d{4})-(\d{2})-(\d{2})\Z", re.ASCII),
    "%Y%m%d": re.compile(r"(\d{4})(\d{2})(\d{2})\Z", re.ASCII),
}


def _from_parts(year: int, month: int, day: int) -> ParsedDate:
    if not 1 <= year <= 9999:
        return MISSING_DATE
    digits = f"{year:04d}{month:02d}{day:02d}"
    try:
        ordinal = date(year, month, day).toordinal()
    except ValueError:
        ordinal = -1
    if not (0 <= month <= 31 and 0 <= day <= 31):
        return ParsedDate(year, 0, 0, digits, -1)
    return ParsedDate(year, month, day, digits, ordinal)


@lru_cache(maxsize=262144)
def parse_date(text: str | None, fmt: str | None = None) -> ParsedDate:
    """Read a date leniently; never raises.

    The given ``strptime`` format is tried first, then ISO ``YYYY-MM-DD``, then any run of
    eight digits as ``YYYYMMDD`` and three numbers as year-month-day or day-month-year. An
    impossible date such as 2019-13-05 keeps its parts (a swapped day and month can still be
    recognised) but has no ordinal.

    Args:
        text: The date as written; ``None`` or blank gives :data:`MISSING_DATE`.
        fmt: A ``datetime.strptime`` format such as ``"%Y%m%d"``.

    Returns:
        The parsed date, or :data:`MISSING_DATE` when nothing usable is found.
    """
    if not text or not text.strip():
        return MISSING_DATE
    text = text.strip()
    for pattern in (fmt, "%Y-%m-%d"):
        if pattern:
            quick = _QUICK_FORMATS.get(pattern)
            found = quick.match(text) if quick else None
            if found:
                # The common zero-padded forms, read without strptime when the date exists
                # (strptime gives the same result on them, only slower).
                year, month, day = (int(x) for x in found.groups())
                try:
                    date(year, month, day)
                except ValueError:
                    pass
                else:
                    return _from_parts(year, month, day)
            try:
                parsed = datetime.strptime(text, pattern)
            except ValueError:
                continue
            return _from_parts(parsed.year, parsed.month, parsed.day)
    numbers = _DIGITS.findall(text)
    if len(numbers) == 1 and len(numbers[0]) == 8:
        run = numbers[0]
        return _from_parts(int(run[:4]), int(run[4:6]), int(run[6:]))
    if len(numbers) == 3:
        first, second, third = numbers
        if len(first) == 4:
            return _from_parts(int(first), int(second), int(third))
        if len(third) == 4:
            return _from_parts(int(third), int(second), int(first))
    if len(numbers) == 1 and len(numbers[0]) == 4:
        return ParsedDate(int(numbers[0]), 0, 0, "", -1)
    return MISSING_DATE
