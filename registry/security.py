"""Security headers on every response (HSTS in production); ``no-store`` wherever personal data
may appear; bad input (unparseable JSON, NUL characters, lone surrogates, numbers no column
holds) is refused at the edge with a 4xx, before any view runs."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, request

from registry.errors import BadRequest, ValidationFailed

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; "
    "worker-src 'self'; manifest-src 'self'"
)


#: Set on every response unless a view set its own.
DEFAULT_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def _headers(response: Response) -> Response:
    headers = response.headers
    # One pass over what the view set (``setdefault`` would scan them, and raise inside, per
    # header): this runs on every response.
    present = {name.lower() for name, _ in headers.items()}
    defaults = dict(DEFAULT_HEADERS)
    hsts = current_app.config.get("HSTS_SECONDS", 0)
    if hsts:
        defaults["Strict-Transport-Security"] = f"max-age={int(hsts)}; includeSubDomains"
    for name, value in defaults.items():
        if name.lower() not in present:
            headers.add(name, value)
    if not (request.endpoint or "").endswith(("asset", "static")):
        headers["Cache-Control"] = "no-store"
    return response


def register_security_headers(app: Flask) -> None:
    app.after_request(_headers)


NUL_MESSAGE = "Text must not contain NUL characters."
SURROGATE_MESSAGE = "Text must be valid Unicode (a lone surrogate such as \\ud800 is not)."
NUMBER_MESSAGE = "A number is too large."
JSON_MESSAGE = "The body is not valid JSON."
#: Beyond a signed 64-bit integer no database column can hold the number.
LARGEST_NUMBER = 2**63 - 1


def _holds(value: Any, bad: Callable[[str], bool]) -> bool:
    if isinstance(value, str):
        return bad(value)
    if isinstance(value, dict):
        return any(_holds(k, bad) or _holds(v, bad) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds(v, bad) for v in value)
    return False


def _holds_nul(value: Any) -> bool:
    return _holds(value, lambda text: "\x00" in text)


def _lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


class _NumberTooLarge(ValueError):
    pass


def _bounded_int(digits: str) -> int:
    """An integer of the body, refused before conversion when no column could hold it (and a
    number of thousands of digits is not converted at all)."""
    if len(digits) > 20:
        raise _NumberTooLarge
    value = int(digits)
    if abs(value) > LARGEST_NUMBER:
        raise _NumberTooLarge
    return value


#: How a NUL can be written in a query string, a URL-encoded form or a JSON body: where none of
#: these bytes is found, no value parsed from it holds one (most requests stop here).
_NUL_SPELLINGS = (b"\x00", b"%00", b"\\u0000")
#: A lone surrogate can reach Python only through a JSON escape (undecodable bytes are refused
#: or replaced when decoded).
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _may_hold_nul(raw: bytes) -> bool:
    return any(spelling in raw for spelling in _NUL_SPELLINGS)


def _json_body() -> tuple[Any, bytes]:
    """The JSON body parsed once here, where parsing cannot fail deeper in: nesting too deep
    for the parser or bytes that are not UTF-8 JSON are a 400, an integer that no column can
    hold (thousands of digits included) a 422."""
    raw = request.get_data(cache=True)
    if not raw:
        return None, raw
    try:
        return json.loads(raw.decode("utf-8"), parse_int=_bounded_int), raw
    except _NumberTooLarge:
        raise ValidationFailed(NUMBER_MESSAGE, errors={"json": [NUMBER_MESSAGE]}) from None
    except (ValueError, RecursionError):
        raise BadRequest(JSON_MESSAGE, errors={"json": [JSON_MESSAGE]}) from None


def _check_input() -> None:
    """Bad input stops here, before any view runs, the same on every database and with no
    traceback: a JSON body that cannot be parsed (400); a NUL character in the query, a form or
    a JSON body, a lone surrogate or an integer too large for any column in a JSON body (422).
    PostgreSQL cannot store a NUL nor encode a surrogate; SQLite would store the one and fail
    on the other."""
    errors: dict[str, list[str]] = {}
    if _may_hold_nul(request.query_string) and any(
        _holds_nul(k) or _holds_nul(v) for k, v in request.args.items(multi=True)
    ):
        errors["query"] = [NUL_MESSAGE]
    is_json = request.is_json or request.mimetype.endswith("+json")
    body, raw = _json_body() if is_json else (None, b"")
    plain = request.mimetype == "application/x-www-form-urlencoded" or is_json
    if not plain or _may_hold_nul(request.get_data(cache=True)):
        if any(_holds_nul(k) or _holds_nul(v) for k, v in request.form.items(multi=True)):
            errors["form"] = [NUL_MESSAGE]
        if _holds_nul(body):
            errors["json"] = [NUL_MESSAGE]
    if body is not None and _SURROGATE_ESCAPE.search(raw) and _holds(body, _lone_surrogate):
        errors.setdefault("json", []).append(SURROGATE_MESSAGE)
    if errors:
        message = next(iter(errors.values()))[0]
        raise ValidationFailed(message, errors=errors)


def register_input_checks(app: Flask) -> None:
    """Run after the API's token check (registered later), so a bad token is still a 401."""
    app.before_request(_check_input)
