"""``crvs stats``: the vital statistics tables and report from the command line.

``crvs stats TABLE --year YYYY [--period month|quarter|year] [--level LEVEL] [--public]
--format csv|xlsx|json|dhis2 --out FILE`` with TABLE one of coverage, births, deaths, causes,
rates; ``crvs stats report --year YYYY --out FILE.pdf``. The command line counts every area at
full detail unless ``--public``; each export is audited. Bad arguments end with exit code 1 and
one line on stderr, like every ``crvs`` command.

This module never imports ``registry.cli`` (which imports it to add the group).
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any

import click

from registry.cli.support import fail, friendly, session_scope
from registry.presentation import formats
from registry.presentation.report import build_report
from registry.services import stats as stats_service
from registry.services.stats.model import PERIODS, TABLE_NAMES, StatsRequest

DEMO_MAPPING = Path(__file__).resolve().parents[1] / "demo" / "dhis2_mapping.json"


class _OneLineCommand(click.Command):
    """Usage errors become one line and exit code 1 instead of click's usage text and 2."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            fail(exc.format_message())


class _StatsGroup(click.Group):
    command_class = _OneLineCommand

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            fail(exc.format_message())


@click.group("stats", cls=_StatsGroup)
def stats() -> None:
    """Vital statistics: coverage, births, deaths, causes, rates, and the PDF report."""


def _year(value: str | None) -> int:
    if value is None:
        fail("--year is required (e.g. --year 2026)")
    if not value.isdigit() or not 1900 <= int(value) <= 2200:
        fail(f"--year must be a year between 1900 and 2200, not {value!r}")
    return int(value)


def _cutoff(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"--cutoff must be a date like 2026-12-31, not {value!r}")


def _write(out: str, data: bytes) -> None:
    if out == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        Path(out).write_bytes(data)


def _table_command(table: str) -> click.Command:
    @click.command(name=table, cls=_OneLineCommand)
    @click.option("--year", help="Year of occurrence (YYYY).")
    @click.option("--period", default="month", help="month, quarter or year (coverage).")
    @click.option("--level", default="district", help="Area level: country, region, district.")
    @click.option("--public", is_flag=True, help="Suppress small cells for publication.")
    @click.option("--threshold", default="5", help="Public tables hide counts below this (5).")
    @click.option("--cutoff", help="Registration cut-off date (default: today).")
    @click.option("--format", "fmt", default="csv", help="csv, xlsx, json or dhis2.")
    @click.option("--mapping", help="DHIS2 mapping JSON (default: the demo country's).")
    @click.option("--out", help="Output file ('-' for standard output).")
    @friendly
    def command(
        year: str | None,
        period: str,
        level: str,
        public: bool,
        threshold: str,
        cutoff: str | None,
        fmt: str,
        mapping: str | None,
        out: str | None,
    ) -> None:
        request = StatsRequest(
            table=table,
            year=_year(year),
            period=_choice("--period", period, PERIODS),
            level=level,
            public=public,
            threshold=_threshold(threshold),
            cutoff=_cutoff(cutoff),
        )
        fmt = _choice("--format", fmt, formats.FORMATS)
        if not out:
            fail("--out FILE is required ('-' writes to standard output)")
        dhis2_mapping: dict[str, Any] | None = None
        if fmt == "dhis2":
            path = Path(mapping) if mapping else DEMO_MAPPING
            dhis2_mapping = formats.load_mapping(path.read_text(encoding="utf-8"))
        with session_scope() as (session, _settings):
            result = stats_service.export(session, stats_service.system_actor(), request, fmt)
            data = formats.render(result, fmt, dhis2_mapping)
        _write(out, data)
        if out != "-":
            click.echo(f"wrote {table} {request.year} ({fmt}) to {out}", err=True)

    command.help = f"Write the {table} table(s) for a year of occurrence."
    return command


def _choice(option: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        fail(f"{option} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def _threshold(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        fail(f"--threshold must be a whole number of at least 1, not {value!r}")
    return int(value)


for _name in TABLE_NAMES:
    stats.add_command(_table_command(_name))


@stats.command("report", cls=_OneLineCommand)
@click.option("--year", help="Year of occurrence (YYYY).")
@click.option("--level", default="district", help="Area level of the tables (district).")
@click.option("--public", is_flag=True, help="Suppress small cells for publication.")
@click.option("--cutoff", help="Registration cut-off date (default: today).")
@click.option("--out", help="The PDF file to write.")
@friendly
def report(year: str | None, level: str, public: bool, cutoff: str | None, out: str | None) -> None:
    """Write the vital statistics report (PDF): main tables and charts."""
    chosen = _year(year)
    if not out:
        fail("--out FILE.pdf is required")
    with session_scope() as (session, _settings):
        results = {
            name: stats_service.export(
                session,
                stats_service.system_actor(),
                StatsRequest(
                    name,
                    chosen,
                    period="month" if name == "coverage" else "year",
                    level=level,
                    public=public,
                    cutoff=_cutoff(cutoff),
                ),
                "pdf",
            )
            for name in TABLE_NAMES
        }
        pdf = build_report(results)
    _write(out, pdf)
    click.echo(f"wrote the {chosen} vital statistics report to {out}", err=True)
