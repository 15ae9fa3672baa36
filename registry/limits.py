"""Rate limits for public endpoints (Flask-Limiter), keyed by the client's address.

Certificate verification needs no sign-in, so it is the one way in that an anonymous client
can repeat at will; ``verify_limit`` caps it at ``VERIFY_RATE_LIMIT`` per address. A client over
the limit gets a 429 in the API's error envelope (or the error page), with ``Retry-After``.
Behind a reverse proxy, let it set the client address (e.g. werkzeug's ``ProxyFix``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address, headers_enabled=True)


def init_app(app: Flask) -> None:
    limiter.init_app(app)
    # A decorated limit is checked when its view runs. The limiter's app-wide hook checks
    # default, application and blueprint limits, of which there are none: dropped, it no longer
    # costs every other request (every API call) its time. (Disabled, it added no hook.)
    hooks = app.before_request_funcs[None]
    if limiter._check_request_limit in hooks:
        hooks.remove(limiter._check_request_limit)


def _verify_rate() -> str:
    return str(current_app.config["VERIFY_RATE_LIMIT"])


def verify_limit() -> Callable[[Any], Any]:
    """The decorator of the verification views (one shared count for the API and the page)."""
    return limiter.shared_limit(_verify_rate, scope="verify", methods=["POST"])
