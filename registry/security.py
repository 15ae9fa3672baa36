"""Security headers on every response; ``no-store`` wherever personal data may appear; no NUL
character gets in."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, request

from registry.errors import ValidationFailed

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; "
    "worker-src 'self'; manifest-src 'self'"
)


def _headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if not (request.endpoint or "").endswith(("asset", "static")):
        response.headers["Cache-Control"] = "no-store"
    return response


def register_security_headers(app: Flask) -> None:
    app.after_request(_headers)


NUL_MESSAGE = "Text must not contain NUL characters."


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


#: How a NUL can be written in a query string, a URL-encoded form or a JSON body: where none of
#: these bytes is found, no value parsed from it holds one (most requests stop here).
_NUL_SPELLINGS = (b"\x00", b"%00", b"\\u0000")


def _may_hold_nul(raw: bytes) -> bool:
    return any(spelling in raw for spelling in _NUL_SPELLINGS)


def _refuse_nul() -> None:
    """A NUL character in the query, a form or a JSON body is refused (422) before any view
    runs, the same on every database: PostgreSQL cannot store one in text, SQLite would."""
    errors: dict[str, list[str]] = {}
    if _may_hold_nul(request.query_string) and any(
        _holds_nul(k) or _holds_nul(v) for k, v in request.args.items(multi=True)
    ):
        errors["query"] = [NUL_MESSAGE]
    plain = request.mimetype == "application/x-www-form-urlencoded" or request.is_json
    if not plain or _may_hold_nul(request.get_data(cache=True)):
        if any(_holds_nul(k) or _holds_nul(v) for k, v in request.form.items(multi=True)):
            errors["form"] = [NUL_MESSAGE]
        if request.is_json and _holds_nul(request.get_json(silent=True)):
            errors["json"] = [NUL_MESSAGE]
    if errors:
        raise ValidationFailed(NUL_MESSAGE, errors=errors)


def register_input_checks(app: Flask) -> None:
    """Run after the API's token check (registered later), so a bad token is still a 401."""
    app.before_request(_refuse_nul)
