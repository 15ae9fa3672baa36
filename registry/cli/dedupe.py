"""Duplicate detection over the register: ``crvs dedupe scan|train|models``."""

from __future__ import annotations

import sys
from typing import Any

import click
from flask import current_app

from registry.cli.support import fail, friendly, session_scope
from registry.domain import EventType
from registry.services import (
    dedupe_scan,
    duplicates,
    match_models,
)
from registry.services.areas import (
    area_by_code,
)


@click.group("dedupe")
def dedupe_group() -> None:
    """Suspected duplicates in the register."""


KINDS = {"births": EventType.BIRTH, "deaths": EventType.DEATH}


@dedupe_group.command("scan")
@click.option("--area", "area_code", help="Only records in this area's subtree.")
@click.option(
    "--event-type",
    type=click.Choice(list(KINDS)),
    help="Only births or only deaths (default: both, one after the other).",
)
@friendly
def dedupe_scan_command(area_code: str | None, event_type: str | None) -> None:
    """Re-key and re-score the register in batch; store new suspected duplicates."""
    chosen = [KINDS[event_type]] if event_type else list(KINDS.values())
    with session_scope() as (session, _settings):
        area_path = None
        if area_code:
            area = area_by_code(session, area_code)
            if area is None:
                fail(f"unknown area code {area_code!r}")
            area_path = area.path
        results = []
        for kind in chosen:
            with _StageBars(kind.value) as bars:
                results.append(
                    dedupe_scan.scan(
                        session,
                        kind,
                        area_path=area_path,
                        username="crvs dedupe scan",
                        progress=bars.update,
                    )
                )
    scanned = sum(r.records for r in results)
    found = sum(r.new for r in results)
    click.echo(f"scanned {scanned} records; {found} new suspected duplicate(s)")


class _StageBars:
    """One progress bar per stage of a scan (reading, scoring, storing), on stderr."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.stage: str | None = None
        self.bar: Any = None
        self.done = 0

    def update(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self.close()
            self.stage, self.done = stage, 0
            self.bar = click.progressbar(
                length=max(total, 1), label=f"{self.label}: {stage}", file=sys.stderr
            )
            self.bar.__enter__()
        self.bar.update(done - self.done)
        self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None

    def __enter__(self) -> _StageBars:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


@dedupe_group.command("train")
@click.option("--event-type", type=click.Choice(list(KINDS)), default="births", show_default=True)
@click.option(
    "--min-records",
    type=click.IntRange(min=1),
    help="Refuse below this many records (default: DEDUPE_TRAIN_MIN_RECORDS).",
)
@friendly
def dedupe_train(event_type: str, min_records: int | None) -> None:
    """Learn matching weights from the register and make them the active model."""
    kind = KINDS[event_type]
    with session_scope() as (session, _settings):
        minimum = min_records or int(current_app.config["DEDUPE_TRAIN_MIN_RECORDS"])
        stored = match_models.train(
            session,
            None,
            kind,
            duplicates.SETTINGS[kind],
            dedupe_scan.current_records(session, kind),
            min_records=minimum,
            username="crvs dedupe train",
        )
    click.echo(
        f"trained {event_type} model version {stored.version} on {stored.n_records} records "
        f"({stored.source}); it is now the active model"
    )


@dedupe_group.command("models")
@click.option("--event-type", type=click.Choice(list(KINDS)))
@friendly
def dedupe_models(event_type: str | None) -> None:
    """List the stored matching model versions (the active one is marked)."""
    with session_scope() as (session, _settings):
        stored = match_models.versions(session, KINDS[event_type] if event_type else None)
        lines = [
            f"{m.event_type:<6} v{m.version:<4} {'active' if m.active else '      '} "
            f"{m.created_at:%Y-%m-%d %H:%M} {m.source:<8} {m.n_records} records"
            for m in stored
        ]
    if not lines:
        click.echo("no trained model: the hand-set weights apply")
    for line in lines:
        click.echo(line)
