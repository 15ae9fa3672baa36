"""Schema migrations: ``crvs db upgrade|current``."""

from __future__ import annotations

import os

import click
from alembic import command as alembic_command

from registry.cli.support import friendly, make_app
from registry.migrations import alembic_config


@click.group()
def db() -> None:
    """Schema migrations (Alembic)."""


@db.command("upgrade")
@click.argument("revision", default="head")
@friendly
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    app = make_app()
    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////:memory"):
        os.makedirs(os.path.dirname(os.path.abspath(url.removeprefix("sqlite:///"))), exist_ok=True)
    alembic_command.upgrade(alembic_config(url), revision)
    click.echo(f"database at {revision}")


@db.command("current")
@friendly
def db_current() -> None:
    """Show the applied revision."""
    alembic_command.current(alembic_config(make_app().config["DATABASE_URL"]))
