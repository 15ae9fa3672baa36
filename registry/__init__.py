"""The CRVS registry: ``create_app`` wires configuration, database, API and pages."""

from __future__ import annotations

from flask import Flask

from config import Config, load_config
from registry import extensions, limits
from registry.api import register_api
from registry.security import register_input_checks, register_security_headers
from registry.web import register_web


def create_app(config: Config | None = None) -> Flask:
    """Build the application. Does no I/O: the engine connects on first use."""
    app = Flask(__name__, static_folder="static")
    app.config.from_mapping((config or load_config()).as_dict())
    extensions.init_app(app)
    limits.init_app(app)
    register_api(app)
    register_input_checks(app)
    register_web(app)
    register_security_headers(app)
    return app
