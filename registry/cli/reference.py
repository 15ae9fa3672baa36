"""Reference data: ``crvs areas|facilities|denominators load FILE``."""

from __future__ import annotations

from collections.abc import Callable
from typing import IO

import click
from sqlalchemy.orm import Session

from registry.cli.support import friendly, session_scope
from registry.services.areas import (
    load_areas,
    load_denominators,
    load_facilities,
)


def _loader(name: str, load: Callable[[Session, IO[str]], int]) -> click.Command:
    @click.command(name="load")
    @click.argument("file", type=click.File("r", encoding="utf-8-sig"))
    @friendly
    def command(file: IO[str]) -> None:
        with session_scope() as (session, _settings):
            count = load(session, file)
        click.echo(f"loaded {count} {name}")

    command.help = f"Load {name} from a CSV FILE (all rows or none)."
    return command


@click.group()
def areas() -> None:
    """Administrative areas: code,name,level,parent_code."""


@click.group()
def facilities() -> None:
    """Health facilities and offices: code,name,kind,area_code."""


@click.group()
def denominators() -> None:
    """Populations and crude rates per area and year."""


areas.add_command(_loader("areas", load_areas))
facilities.add_command(_loader("facilities", load_facilities))
denominators.add_command(_loader("denominators", load_denominators))
