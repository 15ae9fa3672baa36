"""English and French through Flask-Babel; the chosen language is kept in the session.

Flask-Babel and Flask-WTF ship no type information; this module is the one place that imports
Flask-Babel and gives the rest of the package typed names for it.

Messages from the services and schemas (errors and field messages) are translated by their code:
``translate`` looks the code a message carries up in ``registry.messages`` and fills the page's
language's words with the message's values. Words without a code are shown as they come.
"""

from __future__ import annotations

from typing import Any

import flask_babel
from flask import Flask, request, session

from registry.messages import coded

LANGUAGES = {"en": "English", "fr": "Français"}
DEFAULT = "en"

babel = flask_babel.Babel()


def gettext(message: str, **variables: Any) -> str:
    return str(flask_babel.gettext(message, **variables))


def lazy_gettext(message: str, **variables: Any) -> Any:
    """A string translated when it is rendered (for labels built at import time)."""
    return flask_babel.lazy_gettext(message, **variables)


def translate(message: str) -> str:
    """A message in the page's language, found by the code it carries (else shown as it is)."""
    entry = coded(message)
    if entry is None:
        return str(message)
    try:
        return gettext(entry.template).format(**getattr(message, "values", {}))
    except (KeyError, IndexError, ValueError):  # a translation naming a value it does not get
        return str(message)


def translate_all(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """Field messages (``{"child.sex": [...]}``) in the page's language."""
    return {name: [translate(m) for m in found] for name, found in errors.items()}


def current_locale() -> str:
    return str(flask_babel.get_locale() or DEFAULT)


def select_locale() -> str:
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return str(chosen)
    return request.accept_languages.best_match(list(LANGUAGES)) or DEFAULT


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    babel.init_app(app, locale_selector=select_locale)
