"""One exception tree for the registry, mapped to HTTP in one place (``registry.api.errors``).

RegistryError (500)
 ├── ValidationFailed (422)   field messages in ``errors``: {"child": {"date_of_birth": [...]}}
 │    └── ImportFailed        bad CSV rows, each with its line number; nothing stored
 ├── BadRequest (400)
 ├── AuthenticationFailed (401)
 ├── TooManyAttempts (429)
 ├── PermissionDenied (403)
 │    └── PasswordChangeRequired  a reset password: a new one is chosen before a token is given
 ├── NotFound (404)
 ├── Conflict (409)           a state that does not allow the action, a duplicate key
 └── Busy (503)               a lock not granted in time (the audit head); sent with Retry-After
"""

from __future__ import annotations

from typing import Any


class RegistryError(Exception):
    status_code = 500
    default_message = "The registry could not complete the request."

    def __init__(self, message: str | None = None, *, errors: dict[str, Any] | None = None):
        self.message = message or self.default_message
        self.errors = errors
        super().__init__(self.message)


class ValidationFailed(RegistryError):
    status_code = 422
    default_message = "Some fields are not valid."


class BadRequest(RegistryError):
    status_code = 400
    default_message = "The request is not valid."


class AuthenticationFailed(RegistryError):
    status_code = 401
    default_message = "Sign in first: the credentials or token are missing, wrong or expired."


class TooManyAttempts(RegistryError):
    status_code = 429
    default_message = "Too many failed sign-ins; wait a few minutes and try again."


class PermissionDenied(RegistryError):
    status_code = 403
    default_message = "Your role or area does not allow this."


class PasswordChangeRequired(PermissionDenied):
    """The password was reset by an administrator: the user chooses a new one (on the sign-in
    page) before the API gives them a token."""

    default_message = (
        "Your password was reset and must be changed before the API can be used: "
        "sign in on the registry's pages and choose a new password."
    )

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, errors={"password": ["password_change_required"]})


class NotFound(RegistryError):
    status_code = 404
    default_message = "No such resource."


class Conflict(RegistryError):
    status_code = 409
    default_message = "The request conflicts with the current state of the resource."


class Busy(RegistryError):
    """The database could not give a lock in time (``DB_LOCK_TIMEOUT_MS``): nothing was stored,
    and the same request may be sent again after ``retry_after`` seconds."""

    status_code = 503
    default_message = "The registry is busy; nothing was stored. Try again in a moment."
    retry_after = 2


def field_error(path: str, message: str) -> ValidationFailed:
    """A 422 naming one (dotted) field: ``field_error("child.date_of_birth", "...")``."""
    errors: dict[str, Any] = {}
    node = errors
    *parents, leaf = path.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = [message]
    return ValidationFailed(errors=errors)


class ImportFailed(ValidationFailed):
    """A CSV file had bad rows; nothing of it was stored. ``rows`` is [(line, reason), ...]."""

    default_message = "The file has errors; nothing was imported."

    def __init__(self, rows: list[tuple[int, str]], message: str | None = None):
        self.rows = rows
        super().__init__(message, errors={"rows": [f"line {n}: {why}" for n, why in rows]})
