"""English and French through Flask-Babel; the chosen language is kept in the session.

Flask-Babel and Flask-WTF ship no type information; this module is the one place that imports
Flask-Babel and gives the rest of the package typed names for it.

Messages from the services and schemas (errors and field messages) are translated by their code:
``translate`` looks the code a message carries up in ``registry.messages`` and fills the page's
language's words with the message's values. Words without a code are shown as they come.

It also holds what every page says the same way in both languages, as template filters:

- ``number`` and ``percent``: figures in the page's locale (``0,1 %`` in French, ``0.1 %`` in
  English), through Babel's number formats;
- ``day``: a date in the page's locale ("5 déc. 2026"), ``moment`` a UTC time ("5 déc. 2026,
  14:03");
- ``level_name``: an area level ("region", "district", as the areas file names them);
- ``action_name``: an audit action (``declare``, ``duplicate_decision:duplicate``, ...). Every
  action a service writes has a label here (a test reads the services for them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
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


def translate(message: str, shown: Mapping[str, Callable[[str], str]] | None = None) -> str:
    """A message in the page's language, found by the code it carries (else shown as it is).

    Values that are messages themselves (or lists of them) are translated too; ``shown`` gives
    how the page writes some values (``{"level": level_name}``)."""
    entry = coded(message)
    if entry is None:
        return str(message)
    values = {
        key: _shown(key, value, shown or {})
        for key, value in getattr(message, "values", {}).items()
    }
    try:
        return gettext(entry.template).format(**values)
    except (KeyError, IndexError, ValueError):  # a translation naming a value it does not get
        return str(message)


def _shown(key: str, value: Any, shown: Mapping[str, Callable[[str], str]]) -> Any:
    if isinstance(value, list):
        return "; ".join(str(_shown(key, item, shown)) for item in value)
    if coded(value) is not None:
        return translate(value, shown)
    if key in shown:
        return shown[key](str(value))
    return value


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


def N_(message: str) -> str:  # the marker name pybabel knows
    """Marks a message for extraction; it is translated where it is shown."""
    return message


#: Area levels as the areas file names them (other levels are shown as they are).
LEVELS = {
    "country": N_("country"),
    "region": N_("region"),
    "province": N_("province"),
    "state": N_("state"),
    "district": N_("district"),
    "county": N_("county"),
    "sub-county": N_("sub-county"),
    "subcounty": N_("sub-county"),
    "municipality": N_("municipality"),
    "commune": N_("commune"),
    "ward": N_("ward"),
    "village": N_("village"),
    "location": N_("location"),
}

#: Audit actions, as the record's audit trail names them.
ACTIONS = {
    "notify": N_("Notified"),
    "declare": N_("Declared"),
    "read": N_("Opened the record"),
    "read_history": N_("Opened the history"),
    "completion": N_("Completed the notification"),
    "notification_completed": N_("Completed by a declaration"),
    "amendment": N_("Amended the declaration"),
    "resubmission": N_("Resubmitted"),
    "register": N_("Registered"),
    "reject": N_("Rejected"),
    "cancel": N_("Cancelled the registration"),
    "correct": N_("Corrected"),
    "request_correction": N_("Requested a correction"),
    "approve_correction": N_("Approved the correction"),
    "reject_correction": N_("Rejected the correction"),
    "approve_delayed": N_("Approved the delayed registration"),
    "duplicate_check": N_("Shown by a duplicate check before saving"),
    "duplicate_choice": N_("Declarant's answer to possible existing records"),
    "duplicate_suspected": N_("Suspected duplicate found"),
    "duplicate_decision:duplicate": N_("Decided: a duplicate"),
    "duplicate_decision:not_duplicate": N_("Decided: not a duplicate"),
    "duplicate_reopened": N_("Duplicate decision reopened"),
    "linked_birth": N_("Linked to the birth record"),
    "certificate_issued": N_("Certificate issued"),
    "certificates_printed": N_("Certificates printed"),
    "certificate_revoked": N_("Certificate revoked"),
    "export": N_("Statistics exported"),
    "login": N_("Signed in"),
    "login_failed": N_("Failed sign-in"),
    "token_issued": N_("API token issued"),
    "token_revoked": N_("API token revoked"),
    "password_changed": N_("Password changed"),
    "password_reset": N_("Password reset by an administrator"),
    "user_created": N_("User created"),
    "user_deactivated": N_("User deactivated"),
    "user_reactivated": N_("User reactivated"),
    "user_updated": N_("User changed (role, area, facility or name)"),
    "signing_key_generated": N_("Signing key generated"),
    "match_model_trained": N_("Matching model trained"),
}


def level_name(level: str | None) -> str:
    if not level:
        return ""
    known = LEVELS.get(level.lower())
    return gettext(known) if known else level


def action_name(action: str) -> str:
    known = ACTIONS.get(action)
    return gettext(known) if known else action


NOTHING = "\u2013"  # an en dash where a figure is missing


def number(value: float | int | None, digits: int = 1) -> str:
    """A figure in the page's locale; whole numbers without decimals."""
    if value is None:
        return NOTHING
    if isinstance(value, int):
        return str(flask_babel.format_decimal(value))
    return str(flask_babel.format_decimal(value, format="#,##0." + "0" * digits))


def percent(value: float | int | None, digits: int = 1) -> str:
    """A value already in per cent (12.5 for 12.5 %) in the page's locale: "12,5 %"."""
    if value is None:
        return NOTHING
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + "\u00a0%"
    return str(flask_babel.format_percent(value / 100, format=pattern))


def day(value: date | str | None) -> str:
    """A date in the page's locale ("5 déc. 2026"); ISO text is read first."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return str(flask_babel.format_date(value, format="medium"))


def moment(value: datetime | str | None) -> str:
    """A time in UTC, in the page's locale ("5 déc. 2026, 14:03")."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    when = flask_babel.format_time(value, format="HH:mm", rebase=False)
    return f"{flask_babel.format_date(value, format='medium', rebase=False)} {when}"


def note(value: str) -> str:
    """A statistics note (a coded message) in the page's language, with area levels by name and
    the cut-off date by locale."""
    return translate(value, {"level": level_name, "cutoff": day})


FILTERS = {
    "note": note,
    "number": number,
    "percent": percent,
    "day": day,
    "moment": moment,
    "level_name": level_name,
    "action_name": action_name,
}


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.filters.update(FILTERS)
