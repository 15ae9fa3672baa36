"""Every error leaves the API in one JSON envelope: ``{code, status, message, error_code,
errors?}`` (``registry.schemas.common.ErrorSchema``, the documented error body).

``code`` is the HTTP status; ``error_code`` the stable machine code of the error
("changed_meanwhile", "not_found", "validation_failed", ...: ``registry.messages``), which a
client acts on instead of the English ``message``. Registry errors carry their own status and
code; integrity errors become 409; anything unexpected is a 500 with a generic message (the
driver's text is logged, never sent).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask import Flask, current_app, jsonify, make_response, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, ProgrammingError
from werkzeug.exceptions import HTTPException

from registry import messages
from registry.db import lock_timed_out, schema_missing
from registry.errors import Busy, RegistryError

#: The error codes of answers that are not registry errors (werkzeug's, flask-smorest's), by
#: status; written out so that they never change with Python's names for the statuses.
HTTP_ERROR_CODES = {
    400: "bad_request",
    401: "authentication_failed",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    412: "precondition_failed",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    428: "precondition_required",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}

#: Set by the web package: renders an error page for requests outside /api/.
HTML_RENDERER = "crvs.html_error"


def envelope(
    code: int, message: str | None = None, errors: Any = None, error_code: str | None = None
) -> ResponseReturnValue:
    """The error answer: an HTML page outside /api/ (the message translated by its code), else
    the JSON body. ``error_code`` defaults to the message's code, then to the status's."""
    renderer = current_app.extensions.get(HTML_RENDERER)
    if renderer is not None and not request.path.startswith("/api/"):
        return renderer(code, message, errors)  # type: ignore[no-any-return]
    status = HTTPStatus(code)
    body: dict[str, Any] = {"code": code, "status": status.phrase}
    body["message"] = message or status.description or status.phrase
    carried = getattr(message, "code", None)
    if error_code is None:
        error_code = carried if isinstance(carried, str) else HTTP_ERROR_CODES.get(code)
    body["error_code"] = error_code or f"http_{code}"
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = code
    return response


def _registry_error(exc: RegistryError) -> ResponseReturnValue:
    response = envelope(exc.status_code, exc.message, exc.errors, exc.code)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after:
        response = make_response(response)
        response.headers["Retry-After"] = str(retry_after)
    return response


def _http_error(exc: HTTPException) -> ResponseReturnValue:
    code = exc.code or 500
    data = getattr(exc, "data", None) or {}
    errors = data.get("messages") if isinstance(data, dict) else None
    message = data.get("message") if isinstance(data, dict) else None
    if code == 422 and errors:
        message = messages.VALIDATION_FAILED  # webargs' field errors: as a ValidationFailed
    response = envelope(code, message or exc.description, errors)
    valid_methods = getattr(exc, "valid_methods", None)
    if code == 405 and valid_methods:
        response.headers["Allow"] = ", ".join(valid_methods)  # type: ignore[union-attr]
    return response


def _integrity_error(exc: IntegrityError) -> ResponseReturnValue:
    current_app.logger.warning("integrity error on %s %s: %s", request.method, request.path, exc)
    return envelope(409, messages.ALREADY_STORED)


def _unavailable(exc: OperationalError) -> ResponseReturnValue:
    if lock_timed_out(exc):  # busy, not broken: the client may retry
        current_app.logger.warning(
            "database timeout on %s %s: %s", request.method, request.path, exc.orig
        )
        return _registry_error(Busy())
    current_app.logger.error("database unavailable: %s", exc)
    if schema_missing(exc):
        return envelope(503, messages.NOT_MIGRATED)
    return envelope(503, messages.DATABASE_UNAVAILABLE)


def _programming_error(exc: ProgrammingError) -> ResponseReturnValue:
    """A missing table means an unmigrated database (503); anything else is a bug (500)."""
    if schema_missing(exc):
        current_app.logger.error("database not migrated: %s", exc)
        return envelope(503, messages.NOT_MIGRATED)
    return _unexpected(exc)


def _data_error(exc: DataError) -> ResponseReturnValue:
    """A value the database refuses to hold (PostgreSQL: a NUL character in text) is bad input:
    a 422 like any other invalid value, with nothing stored."""
    current_app.logger.warning("data error on %s %s: %s", request.method, request.path, exc)
    return envelope(422, messages.NOT_STORABLE)


def _unexpected(exc: Exception) -> ResponseReturnValue:
    if isinstance(exc, HTTPException):
        return _http_error(exc)
    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    return envelope(500, messages.INTERNAL_ERROR)


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(RegistryError, _registry_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(IntegrityError, _integrity_error)
    app.register_error_handler(OperationalError, _unavailable)
    app.register_error_handler(ProgrammingError, _programming_error)
    app.register_error_handler(DataError, _data_error)
    app.register_error_handler(Exception, _unexpected)
