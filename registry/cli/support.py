"""What every ``crvs`` command shares: one-line failures and one session per command.

Kept apart from ``registry.cli`` so that command modules added to the ``crvs`` group (such as
``registry.cli.stats``) can use them without importing the group itself.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn, TypeVar

import click
from flask import Flask
from sqlalchemy.exc import OperationalError, ProgrammingError, SQLAlchemyError
from sqlalchemy.orm import Session

from config import ConfigError
from registry import create_app
from registry.db import schema_missing
from registry.errors import ImportFailed, RegistryError
from registry.extensions import database
from registry.services.settings import RegistrySettings

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def friendly(func: F) -> F:
    """Turn every expected failure into one line on stderr and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ImportFailed as exc:
            for line, reason in exc.rows[:50]:
                click.echo(f"line {line}: {reason}", err=True)
            more = len(exc.rows) - 50
            fail(
                f"{len(exc.rows)} bad row(s){f' ({more} not shown)' if more > 0 else ''}; "
                "nothing was imported"
            )
        except RegistryError as exc:
            detail = f" {exc.errors}" if exc.errors else ""
            fail(f"{exc.message}{detail}")
        except ConfigError as exc:
            fail(str(exc))
        except OperationalError as exc:
            fail(
                f"the database is unreachable or not migrated ({exc.orig.__class__.__name__});"
                " run `crvs db upgrade`"
            )
        except ProgrammingError as exc:
            if schema_missing(exc):
                fail("the database is not migrated; run `crvs db upgrade`")
            fail(f"database error: {exc.__class__.__name__}")
        except SQLAlchemyError as exc:
            fail(f"database error: {exc.__class__.__name__}")
        except (OSError, UnicodeDecodeError) as exc:
            fail(str(exc))

    return wrapper  # type: ignore[return-value]


def make_app() -> Flask:
    return create_app()


@contextmanager
def session_scope() -> Iterator[tuple[Session, RegistrySettings]]:
    """A session and the settings for one command; commits once when the command succeeds."""
    app = make_app()
    with app.app_context():
        session = database(app).sessionmaker()
        try:
            yield session, app.extensions["crvs.settings"]
            session.commit()
        finally:
            session.close()
            database(app).engine.dispose()
