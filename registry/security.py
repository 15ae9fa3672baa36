"""Security headers on every response; ``no-store`` wherever personal data may appear."""

from __future__ import annotations

from flask import Flask, Response, request

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
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
