"""Legacy registers: ``crvs import births|deaths FILE``."""

from __future__ import annotations

import csv
import io
import sys
from typing import IO

import click

from registry.cli.support import friendly, session_scope
from registry.domain import EventType
from registry.schemas.records import load_legacy
from registry.services import (
    imports,
)
from registry.services.areas import (
    MAX_CSV_BYTES,
)


@click.command("import")
@click.option(
    "--rejects",
    type=click.Path(dir_okay=False, writable=True),
    help="Import the good rows and write the refused ones (line number, reasons) to this CSV "
    "file; without it a single bad row stops the import and nothing is kept.",
)
@click.argument("kind", type=click.Choice(["births", "deaths"]))
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
@friendly
def import_command(kind: str, file: IO[str], rejects: str | None) -> None:
    """Import a legacy register (CSV with the API's dotted field names); all rows or none,
    unless --rejects names a file for the refused rows."""
    event_type = EventType.BIRTH if kind == "births" else EventType.DEATH
    text = file.read(MAX_CSV_BYTES + 1)
    rows = max(text.count("\n") - 1, 1)
    with (
        session_scope() as (session, settings),
        # Each row is checked, then written: two steps a row.
        click.progressbar(length=2 * rows, label=f"importing {kind}", file=sys.stderr) as bar,
    ):
        summary = imports.import_records(
            session,
            settings,
            event_type,
            io.StringIO(text),
            progress=bar.update,
            keep_going=rejects is not None,
            load=load_legacy,
        )
    kept = summary.rows - len(summary.rejected)
    click.echo(
        f"imported {kept} {kind}: {summary.registered} registered, "
        f"{summary.declared} declared ({summary.flagged} await a duplicate decision)"
    )
    if rejects is not None:
        header = next(csv.reader(io.StringIO(text)), [])
        with open(rejects, "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["line", "reasons", *header])
            for line, reasons, row in summary.rejected:
                writer.writerow([line, reasons, *(row.get(name, "") for name in header)])
        click.echo(f"refused {len(summary.rejected)} row(s), written to {rejects}")
