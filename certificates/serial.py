"""Certificate serials with a Damm check digit.

The Damm algorithm (a quasigroup of order 10 without weak totally anti-symmetric pairs) detects
every single-digit substitution and every transposition of two adjacent digits, which are the
two commonest errors when a clerk types a serial back in.
"""

from __future__ import annotations

from .errors import InvalidCertificateData

_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)
_SEPARATORS = frozenset("- ")


def damm_digit(digits: str) -> int:
    """Return the Damm check digit of a string of ASCII digits.

    Args:
        digits: The digits to protect, e.g. ``"2024000123"``.

    Returns:
        The check digit, 0 to 9. Appending it gives a string whose interim digit is 0.

    Raises:
        InvalidCertificateData: If ``digits`` holds anything but ASCII digits.
    """
    interim = 0
    for char in digits:
        if not ("0" <= char <= "9"):
            raise InvalidCertificateData(f"serial digits must be 0-9, got {char!r}")
        interim = _DAMM[interim][ord(char) - 48]
    return interim


def make_serial(number: int, *, year: int | None = None, width: int = 8) -> str:
    """Build a certificate serial with a trailing check digit.

    Args:
        number: The certificate's sequence number (0 or more), unique in its year or series.
        year: An optional four-digit year placed in front, e.g. ``2024``.
        width: The number is zero-padded to at least this many digits.

    Returns:
        ``"YYYY-NNNNNNNN-C"`` (or ``"NNNNNNNN-C"`` without a year); the check digit ``C``
        covers every digit before it, the year included.

    Raises:
        InvalidCertificateData: If ``number`` is negative or ``year`` is not 1000-9999.

    Example:
        >>> make_serial(123, year=2024)
        '2024-00000123-4'
    """
    if number < 0:
        raise InvalidCertificateData("serial number must not be negative")
    body = f"{number:0{width}d}"
    if year is not None:
        if not 1000 <= year <= 9999:
            raise InvalidCertificateData("serial year must have four digits")
        body = f"{year}-{body}"
    return f"{body}-{damm_digit(body.replace('-', ''))}"


def check_serial(serial: str) -> bool:
    """Tell whether a serial's check digit matches its other digits.

    Hyphens and spaces are ignored, so ``"2024 00000123 9"`` is accepted.

    Args:
        serial: A serial as printed or as typed back in.

    Returns:
        True if the serial holds at least two digits, only digits besides the separators,
        and its check digit is right.
    """
    digits = "".join(char for char in serial if char not in _SEPARATORS)
    if len(digits) < 2 or not all("0" <= char <= "9" for char in digits):
        return False
    return damm_digit(digits) == 0
