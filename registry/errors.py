"""One exception tree for the registry, mapped to HTTP in one place (``registry.api.errors``).

RegistryError (500)           code "internal_error"
 ├── ValidationFailed (422)   "validation_failed"; field messages in ``errors``:
 │    │                       {"child": {"date_of_birth": [...]}}
 │    └── ImportFailed        "import_failed": bad CSV rows, each with its line number
 ├── BadRequest (400)         "bad_request"
 ├── AuthenticationFailed (401)  "authentication_failed"
 ├── TooManyAttempts (429)    "too_many_attempts"
 ├── PermissionDenied (403)   "permission_denied"
 │    └── PasswordChangeRequired (403)  "password_change_required": a reset password; a new one
 │                             is chosen on the pages before the API gives a token
 ├── NotFound (404)           "not_found"
 ├── Conflict (409)           "conflict": a state that does not allow the action, a duplicate key
 ├── Busy (503)               "busy": a lock not granted in time (the audit head); Retry-After
 └── Unavailable (503)        "unavailable": a part missing on this server (a certificate font,
                              the signing key); nothing was stored

Every error has a stable machine ``code``: its class's, or the code of the ``Text`` it is raised
with where one class has several meanings (``Conflict(messages.CHANGED_MEANWHILE)`` is
"changed_meanwhile", ``Conflict(messages.DUPLICATE_PENDING)`` "duplicate_pending"). Callers and
pages branch and translate on ``code``, never on ``message``; the codes are listed in
``registry.messages``.
"""

from __future__ import annotations

from typing import Any

from registry import messages
from registry.messages import Text
from registry.paths import branch


class RegistryError(Exception):
    status_code = 500
    default_message: Text = messages.INTERNAL_ERROR

    def __init__(self, message: str | None = None, *, errors: dict[str, Any] | None = None):
        self.message: str = message or self.default_message
        code = getattr(self.message, "code", None)
        #: "changed_meanwhile", "not_found", ...: stable, for clients and pages to act on
        self.code: str = code if isinstance(code, str) else self.default_message.code
        self.errors = errors
        super().__init__(self.message)


class ValidationFailed(RegistryError):
    status_code = 422
    default_message = messages.VALIDATION_FAILED


class BadRequest(RegistryError):
    status_code = 400
    default_message = messages.BAD_REQUEST


class AuthenticationFailed(RegistryError):
    status_code = 401
    default_message = messages.AUTHENTICATION_FAILED


class TooManyAttempts(RegistryError):
    status_code = 429
    default_message = messages.TOO_MANY_ATTEMPTS


class PermissionDenied(RegistryError):
    status_code = 403
    default_message = messages.PERMISSION_DENIED


class PasswordChangeRequired(PermissionDenied):
    """The password was reset by an administrator: the user chooses a new one (on the sign-in
    page) before the API gives them a token."""

    default_message = messages.PASSWORD_CHANGE_REQUIRED

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, errors={"password": ["password_change_required"]})


class NotFound(RegistryError):
    status_code = 404
    default_message = messages.NOT_FOUND


class Conflict(RegistryError):
    status_code = 409
    default_message = messages.CONFLICT


class Busy(RegistryError):
    """The database could not give a lock in time (``DB_LOCK_TIMEOUT_MS``): nothing was stored,
    and the same request may be sent again after ``retry_after`` seconds."""

    status_code = 503
    default_message = messages.BUSY
    retry_after = 2


class Unavailable(RegistryError):
    """Something this server needs for the request is missing (a certificate font, the signing
    key, a configured image): an administrator's matter; nothing was stored."""

    status_code = 503
    default_message = messages.UNAVAILABLE


def field_error(path: str, message: str) -> ValidationFailed:
    """A 422 naming one (dotted) field: ``field_error("child.date_of_birth", "...")``."""
    errors: dict[str, Any] = {}
    node, leaf = branch(errors, path)
    node[leaf] = [message]
    return ValidationFailed(errors=errors)


class ImportFailed(ValidationFailed):
    """A CSV file had bad rows; nothing of it was stored. ``rows`` is [(line, reason), ...]."""

    default_message = messages.IMPORT_FAILED

    def __init__(self, rows: list[tuple[int, str]], message: str | None = None):
        self.rows = rows
        super().__init__(message, errors={"rows": [f"line {n}: {why}" for n, why in rows]})
