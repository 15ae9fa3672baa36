"""The CRVS registry: ``create_app`` wires configuration, database, API and pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from config import Config, load_config
from registry import extensions, limits
from registry.api import register_api
from registry.security import register_input_checks, register_security_headers
from registry.web import register_web


class Registry(Flask):
    """Flask, asking once per view or hook whether it is ``async def`` (Flask asks again on every
    call: for every hook of every request)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._synced: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        synced = self._synced.get(func)
        if synced is None:
            synced = self._synced[func] = super().ensure_sync(func)
        return synced


def create_app(config: Config | None = None) -> Flask:
    """Build the application. Does no I/O: the engine connects on first use."""
    app = Registry(__name__, static_folder="static")
    app.config.from_mapping((config or load_config()).as_dict())
    extensions.init_app(app)
    limits.init_app(app)
    register_api(app)
    register_input_checks(app)
    register_web(app)
    register_security_headers(app)
    return app
