"""The one blueprint of the pages, with what every page shares (the actor, the page context)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, make_response, render_template

from registry.domain import EventType
from registry.web import auth
from registry.web.i18n import LANGUAGES, current_locale

bp = Blueprint("web", __name__)
bp.before_request(auth.load_actor)

KINDS = {"births": EventType.BIRTH, "deaths": EventType.DEATH}
KIND_OF = {event_type: kind for kind, event_type in KINDS.items()}
KIND_RULE = "<any(births,deaths):kind>"


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
