"""English and French through Flask-Babel; the chosen language is kept in the session.

Flask-Babel and Flask-WTF ship no type information; this module is the one place that imports
Flask-Babel and gives the rest of the package typed names for it.
"""

from __future__ import annotations

from typing import Any

import flask_babel
from flask import Flask, request, session

LANGUAGES = {"en": "English", "fr": "Français"}
DEFAULT = "en"

babel = flask_babel.Babel()


def gettext(message: str, **variables: Any) -> str:
    return str(flask_babel.gettext(message, **variables))


def lazy_gettext(message: str, **variables: Any) -> Any:
    """A string translated when it is rendered (for labels built at import time)."""
    return flask_babel.lazy_gettext(message, **variables)


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
