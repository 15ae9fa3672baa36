"""The ``crvs`` command line: thin commands over the services, one commit per command.

Every command reads the same environment as the server (``CRVS_ENV``, ``DATABASE_URL``, ...).
Bad input ends with exit code 1 and one line on stderr, never a traceback.
"""

from __future__ import annotations

import csv
import io
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import click
from alembic import command as alembic_command
from flask import current_app
from sqlalchemy.orm import Session

from registry.cli_support import fail, friendly, make_app, session_scope
from registry.domain import EventType, today
from registry.migrations import alembic_config
from registry.services import (
    audit,
    certificates,
    dedupe_scan,
    demo,
    duplicates,
    imports,
    match_models,
    users,
)
from registry.services.areas import (
    MAX_CSV_BYTES,
    area_by_code,
    load_areas,
    load_denominators,
    load_facilities,
)
from registry.stats_cli import stats


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """CRVS registry: births and deaths, registered, corrected, certified and counted."""


# -- database -------------------------------------------------------------------------------------


@main.group()
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


# -- reference data -------------------------------------------------------------------------------


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


@main.group()
def areas() -> None:
    """Administrative areas: code,name,level,parent_code."""


@main.group()
def facilities() -> None:
    """Health facilities and offices: code,name,kind,area_code."""


@main.group()
def denominators() -> None:
    """Populations and crude rates per area and year."""


areas.add_command(_loader("areas", load_areas))
facilities.add_command(_loader("facilities", load_facilities))
denominators.add_command(_loader("denominators", load_denominators))


# -- users ----------------------------------------------------------------------------------------


@main.group("users")
def users_group() -> None:
    """User accounts."""


@users_group.command("create")
@click.argument("name")
@click.option(
    "--role", required=True, type=click.Choice(["clerk", "registrar", "statistician", "admin"])
)
@click.option("--area", "area_code", required=True, help="Area code the user works in.")
@click.option("--facility", "facility_code", help="Facility or office code (clerks).")
@click.option("--full-name", default="", help="The name printed on certificates.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@friendly
def users_create(
    name: str,
    role: str,
    area_code: str,
    facility_code: str | None,
    full_name: str,
    password_stdin: bool,
) -> None:
    """Create user NAME with one role and one area."""
    if not password_stdin:
        fail("give the password on standard input with --password-stdin")
    password = sys.stdin.readline().rstrip("\r\n")
    with session_scope() as (session, settings):
        users.create_user(
            session,
            settings,
            username=name,
            password=password,
            role=role,
            area_code=area_code,
            facility_code=facility_code,
            full_name=full_name,
        )
    click.echo(f"created {role} {name} in {area_code}")


@users_group.command("demo-credentials")
@friendly
def users_demo_credentials() -> None:
    """Print the demo accounts and their passwords."""
    click.echo("Demo accounts (for the demo country only):")
    for account in demo.demo_users():
        click.echo(
            f"  {account['username']:<18} {account['password']:<24} "
            f"{account['role']:<13} {account['area_code']}"
        )


# -- demo -----------------------------------------------------------------------------------------


@main.command("demo")
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
            demo.load_country(session, settings, today().year)
            click.echo("loaded the demo country Demoland: 2 regions, 6 districts, 13 facilities")
        if births or deaths:
            with click.progressbar(
                length=births + deaths, label="synthetic records", file=sys.stderr
            ) as bar:
                counts = demo.generate_records(
                    session, settings, births=births, deaths=deaths, seed=seed, progress=bar.update
                )
            click.echo(", ".join(f"{n} {state}" for state, n in counts.items()))


# -- dedupe and imports ---------------------------------------------------------------------------


@main.group("dedupe")
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


@main.command("import")
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
        click.progressbar(length=rows, label=f"importing {kind}", file=sys.stderr) as bar,
    ):
        summary = imports.import_records(
            session,
            settings,
            event_type,
            io.StringIO(text),
            progress=bar.update,
            keep_going=rejects is not None,
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


# -- certificates ----------------------------------------------------------------------------------


@main.group("keys")
def keys_group() -> None:
    """Certificate signing keys (private keys stay in CERT_KEYS_DIR, outside the database)."""


@keys_group.command("generate")
@click.option("--if-missing", is_flag=True, help="Do nothing when an active key exists.")
@friendly
def keys_generate(if_missing: bool) -> None:
    """Create a new signing key and make it the active one (old certificates still verify)."""
    with session_scope() as (session, settings):
        if if_missing and certificates.has_active_key(settings):
            click.echo(f"an active signing key exists in {settings.cert_keys_dir}")
            return
        key_id = certificates.generate_key(session, settings)
    click.echo(f"generated signing key {key_id} in {settings.cert_keys_dir}")


@keys_group.command("export")
@click.option("--out", "out_dir", default="public-keys", type=click.Path(file_okay=False))
@friendly
def keys_export(out_dir: str) -> None:
    """Write every public key (PEM) for offline verifiers."""
    with session_scope() as (session, _settings):
        written = certificates.export_keys(session, Path(out_dir))
    if not written:
        fail("no signing keys yet: run `crvs keys generate`")
    for path in written:
        click.echo(str(path))


@main.group("certificates")
def certificates_group() -> None:
    """Printing certificates in batches."""


@certificates_group.command("print")
@click.option("--area", "area_code", required=True, help="Area whose records to print.")
@click.option(
    "--registered-since", "since", required=True, type=click.DateTime(["%Y-%m-%d"]),
    help="First registration date (YYYY-MM-DD).",
)  # fmt: skip
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False))
@friendly
def certificates_print(area_code: str, since: Any, out_path: str) -> None:
    """Print the certificates of records registered since a date into one PDF."""
    with session_scope() as (session, settings):
        area = area_by_code(session, area_code)
        if area is None:
            fail(f"unknown area code {area_code!r}")
        actor = users.system_actor(session, settings)
        total = certificates.count_registered_since(session, area.path, since.date())
        if total == 0:
            fail(f"no records registered in {area_code} since {since.date().isoformat()}")
        with (
            open(out_path, "wb") as out,
            click.progressbar(length=total, label="certificates", file=sys.stderr) as bar,
        ):
            done = 0

            def advance(pages: int) -> None:
                nonlocal done
                bar.update(pages - done)
                done = pages

            pages = certificates.print_batch(
                session, settings, actor, area_path=area.path, since=since.date(),
                out=out, progress=advance,
            )  # fmt: skip
    click.echo(f"printed {pages} certificates to {out_path}")


# -- audit ----------------------------------------------------------------------------------------


@main.group("audit")
def audit_group() -> None:
    """The tamper-evident audit trail."""


@audit_group.command("verify")
@click.option(
    "--expect-head",
    metavar="SEQ:HASH",
    help="An anchor kept elsewhere (from `crvs audit head`); the chain must still pass through "
    "it, however many events came after. A bare hash must be some event's hash.",
)
@friendly
def audit_verify(expect_head: str | None) -> None:
    """Walk the chain and the record versions it seals; exit 1 naming the first broken link."""
    try:
        anchor = audit.parse_anchor(expect_head) if expect_head is not None else None
    except ValueError as exc:
        fail(f"--expect-head: {exc}")
    if anchor is not None and not re.fullmatch(r"[0-9a-f]{64}", anchor[1]):
        fail("--expect-head: the hash is 64 hexadecimal characters (SEQ:HASH)")
    with session_scope() as (session, _settings):
        result = audit.verify(session, expect_head)
    if not result.ok:
        fail(f"audit chain broken: {result.problem} ({result.checked} events verified before it)")
    click.echo(f"audit chain intact: {result.checked} events, head {result.head_hash}")


@audit_group.command("head")
@friendly
def audit_head() -> None:
    """Print the head as SEQ:HASH (keep it elsewhere; check later with --expect-head)."""
    with session_scope() as (session, _settings):
        kept = audit.anchor(session)
    click.echo(kept)


# -- serving --------------------------------------------------------------------------------------


@main.command("serve")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, type=click.IntRange(1, 64))
def serve(host: str, port: int, workers: int) -> None:
    """Serve the registry with gunicorn ('wsgi:app'), honouring the same environment."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    args = [
        sys.executable, "-m", "gunicorn", "--chdir", root, "--bind", f"{host}:{port}",
        "--workers", str(workers), "--access-logfile", "-", "wsgi:app",
    ]  # fmt: skip
    click.echo(f"serving on http://{host}:{port}")
    os.execv(sys.executable, args)  # noqa: S606  (replaces this process with gunicorn)


main.add_command(stats)

if __name__ == "__main__":
    main()
