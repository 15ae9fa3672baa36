"""The one blueprint of the pages, with what every page shares: the actor, the page context, and
one commit per request (``unit_of_work``), as ``registry.api.common`` gives the API."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Blueprint, Response, flash, g, make_response, render_template

from registry.domain import EventType
from registry.extensions import db_session
from registry.web import auth
from registry.web.i18n import LANGUAGES, current_locale

F = TypeVar("F", bound=Callable[..., Any])

bp = Blueprint("web", __name__)
bp.before_request(auth.load_actor)

KINDS = {"births": EventType.BIRTH, "deaths": EventType.DEATH}
KIND_OF = {event_type: kind for kind, event_type in KINDS.items()}
KIND_RULE = "<any(births,deaths):kind>"
FLASHES = "crvs.web.flashes"


@bp.app_context_processor
def page_context() -> dict[str, Any]:
    """Available to every template, error pages included (the actor only once loaded)."""
    return {
        "me": auth.current(),
        "languages": LANGUAGES,
        "locale": current_locale(),
        "kind_of": KIND_OF,
    }


def page(template: str, status: int = 200, **context: Any) -> Response:
    return make_response(render_template(template, **context), status)


def unit_of_work(view: F) -> F:
    """Commit once, after the page's view returns.

    What the view wrote, and the audit events of what its page shows, are committed together;
    the messages it gave with ``flash_after_commit`` are flashed only then, so none tells of a
    change that the commit lost. A view that raises stores nothing: the transaction is rolled
    back and the error goes on to the error handler. A view that answers a failed form with a
    page calls ``discard`` first; what that page then reads (and audits) is committed.
    """

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        session = db_session()
        try:
            response = view(*args, **kwargs)
            session.commit()
        except BaseException:
            session.rollback()
            g.pop(FLASHES, None)
            raise
        for message, category in g.pop(FLASHES, []):
            flash(message, category)
        return response

    return cast(F, wrapper)


def discard() -> None:
    """Forget what this request wrote so far: the form failed, and nothing of it is stored."""
    db_session().rollback()
    g.pop(FLASHES, None)


def flash_after_commit(message: str, category: str = "success") -> None:
    """Say ``message`` on the next page, once ``unit_of_work`` has committed the request."""
    g.setdefault(FLASHES, []).append((message, category))
