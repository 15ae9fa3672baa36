"""Error pages: ``render_error`` is installed as the registry's HTML error renderer.

``registry.api.errors.envelope`` calls it for every error outside ``/api/``, so a 403 from a
service, a 404, a refused CSRF token or a 429 reach the user as a page in their language (the
message translated by the code it carries, ``i18n.translate``).
"""

from __future__ import annotations

from typing import Any

from flask import Response, make_response, render_template

from registry.web.i18n import DEFAULT, current_locale, gettext, translate
from registry.web.i18n import lazy_gettext as _l

TITLES = {
    400: _l("The request could not be used"),
    401: _l("Sign in first"),
    403: _l("Not allowed"),
    404: _l("Page not found"),
    405: _l("Not allowed here"),
    409: _l("The record has changed"),
    413: _l("Too large"),
    422: _l("Some fields are not valid"),
    429: _l("Too many attempts"),
    500: _l("Something went wrong"),
    503: _l("The registry is unavailable"),
}
#: What a page says when the catalogue has no translation of the error's own message.
DETAILS = {
    400: _l("The request could not be read. Go back and try again."),
    401: _l("Sign in to open this page."),
    403: _l("Your role or area does not allow this."),
    404: _l(
        "There is no such page or record. Check the address or start again from the start page."
    ),
    405: _l("This address does not accept this kind of request."),
    409: _l("This record was changed meanwhile; reload it and try again."),
    413: _l("What was sent is too large."),
    422: _l("Some fields are not valid."),
    429: _l("Too many attempts; wait a few minutes and try again."),
}


def render_error(code: int, message: str | None, errors: Any) -> Response:
    title = TITLES.get(code) or TITLES[500 if code >= 500 else 400]
    if code >= 500:
        text = gettext("The registry could not complete the request. Please try again shortly.")
        if code == 503:
            text = gettext("The registry database is unavailable; try again shortly.")
    else:
        text = translate(message) if message else ""
        untranslated = text == message and current_locale() != DEFAULT
        if not text or untranslated:  # never an English sentence on a French page
            text = str(DETAILS.get(code, title))
    return make_response(render_template("error.html", code=code, title=title, message=text), code)
