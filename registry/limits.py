"""Rate limits for public endpoints (Flask-Limiter), keyed by the client's address.

Certificate verification needs no sign-in, so it is the one way in that an anonymous client
can repeat at will; ``verify_limit`` caps it at ``VERIFY_RATE_LIMIT`` per address. A client over
the limit gets a 429 in the API's error envelope (or the error page), with ``Retry-After``.
Behind a reverse proxy, let it set the client address (e.g. werkzeug's ``ProxyFix``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, current_app, g
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address, headers_enabled=True)
#: Set on ``g`` by a limited view: the limiter's after-request and teardown hooks run only then.
LIMITED = "rate_limited"


def init_app(app: Flask) -> None:
    """The limiter, with its hooks where they do something: the views that carry a limit.

    A decorated limit is checked when its view runs. The limiter's app-wide check covers
    default, application and blueprint limits, of which there are none: it is dropped. Its
    after-request hook (the ``X-RateLimit-*`` and ``Retry-After`` headers) and its teardown
    then run only for a request whose view carried a limit, instead of for every request (every
    API call). (Disabled, it adds no hooks.)
    """
    hook_lists: tuple[dict[Any, list[Any]], ...] = (
        app.before_request_funcs,
        app.after_request_funcs,
        app.teardown_request_funcs,
    )
    before = [list(hooks.get(None, ())) for hooks in hook_lists]
    limiter.init_app(app)
    checks, after, teardown = (
        [hook for hook in hooks.get(None, ()) if hook not in known]
        for hooks, known in zip(hook_lists, before, strict=True)
    )
    for check in checks:
        app.before_request_funcs[None].remove(check)
    for hook in after:
        _replace(app.after_request_funcs[None], hook, _when_limited(hook, passes_through=True))
    for hook in teardown:
        _replace(app.teardown_request_funcs[None], hook, _when_limited(hook))


def _replace(hooks: list[Any], hook: Any, by: Any) -> None:
    hooks[hooks.index(hook)] = by


def _when_limited(hook: Callable[[Any], Any], *, passes_through: bool = False) -> Any:
    """``hook`` for requests whose view carried a limit; others pass (an after-request hook
    gives its response back unchanged)."""

    def guarded(value: Any) -> Any:
        if LIMITED in g:
            return hook(value)
        return value if passes_through else None

    return guarded


def _verify_rate() -> str:
    return str(current_app.config["VERIFY_RATE_LIMIT"])


def verify_limit() -> Callable[[Any], Any]:
    """The decorator of the verification views (one shared count for the API and the page)."""
    limit = limiter.shared_limit(_verify_rate, scope="verify", methods=["POST"])

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        limited = limit(view)

        @wraps(view)
        def marked(*args: Any, **kwargs: Any) -> Any:
            setattr(g, LIMITED, True)  # before the check: a 429 gets its headers too
            return limited(*args, **kwargs)

        return marked

    return decorate
