"""The demo country: ``crvs demo``."""

from __future__ import annotations

import sys

import click

from registry.cli.support import friendly, session_scope
from registry.domain import today
from registry.schemas.records import load_declaration
from registry.services import (
    demo,
)


@click.command("demo")
@click.option("--births", default=0, type=click.IntRange(0, 10_000_000), help="Synthetic births.")
@click.option("--deaths", default=0, type=click.IntRange(0, 10_000_000), help="Synthetic deaths.")
@click.option("--if-empty", is_flag=True, help="Do nothing when the demo country is loaded.")
@click.option("--seed", default=2026, type=int, help="Random seed for the synthetic records.")
@friendly
def demo_command(births: int, deaths: int, if_empty: bool, seed: int) -> None:
    """Load the demo country (areas, facilities, denominators, users) and synthetic records."""
    with session_scope() as (session, settings):
        if demo.is_loaded(session):
            if if_empty:
                click.echo("demo country already loaded")
                return
        else:
            demo.load_country(session, settings, today().year, births or demo.DEMO_BIRTHS)
            click.echo("loaded the demo country Demoland: 2 regions, 6 districts, 13 facilities")
        if births or deaths:
            with click.progressbar(
                length=births + deaths, label="synthetic records", file=sys.stderr
            ) as bar:
                counts = demo.generate_records(
                    session,
                    settings,
                    births=births,
                    deaths=deaths,
                    load=load_declaration,
                    seed=seed,
                    progress=bar.update,
                )
            click.echo(", ".join(f"{n} {state}" for state, n in counts.items()))
