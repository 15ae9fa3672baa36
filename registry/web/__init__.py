"""Server-rendered pages for clerks and registrars: sign-in, work queue, forms, records, search.

The pages call the same services as the JSON API (parse -> service -> commit -> render) and keep
to the same rules: every record query is scoped to the user's area by the services, forms are
validated by the API's marshmallow schemas, every form carries a CSRF token, and pages are sent
with ``Cache-Control: no-store`` by ``registry.security``.

``register_web(app)`` is the one entry point, called from ``create_app``; it also lists, in one
place, what each capability adds to the shared pages (``hooks.plug``).
"""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_wtf.csrf import CSRFError, CSRFProtect

from registry import messages
from registry.domain import Role
from registry.errors import BadRequest

# Importing a module of pages adds its views to ``bp``; admin_pages, offline_pages, pages,
# record_pages and stats_pages are imported for that alone.
from registry.web import (  # noqa: F401
    admin_pages,
    approval_pages,
    certificate_pages,
    duplicate_pages,
    hooks,
    i18n,
    offline_pages,
    pages,
    record_pages,
    stats_pages,
)
from registry.web.blueprint import bp
from registry.web.errors import render_error

csrf = CSRFProtect()

HTML_RENDERER = "crvs.html_error"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def _protect_forms() -> None:
    """CSRF on every state-changing request outside the bearer-token API under /api/."""
    if request.method not in SAFE_METHODS and not request.path.startswith("/api/"):
        try:
            csrf.protect()
        except CSRFError as exc:  # one coded message for the page; flask-wtf's reason in the log
            current_app.logger.info("CSRF refused on %s: %s", request.path, exc.description)
            raise BadRequest(messages.CSRF_REFUSED) from None


def _plug_capabilities() -> None:
    """What the capabilities add to the shared pages, in the order the pages show it."""
    hooks.plug(
        queue=[duplicate_pages.queue_rows],
        actions=[approval_pages.record_actions, duplicate_pages.record_actions],
        context=[
            approval_pages.record_context,
            certificate_pages.record_context,
            duplicate_pages.record_context,
        ],
        homes={Role.STATISTICIAN.value: "web.statistics"},
    )


def register_web(app: Flask) -> None:
    # The API authenticates with bearer tokens (no ambient cookie), so only pages need CSRF;
    # the check runs from our own hook so API blueprints added later are exempt by their path.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # the token lives as long as the session
    csrf.init_app(app)
    app.before_request(_protect_forms)
    i18n.init_app(app)
    _plug_capabilities()
    app.register_blueprint(bp)
    app.extensions[HTML_RENDERER] = render_error
