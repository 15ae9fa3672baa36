"""Keys and batch printing: ``crvs keys ...``, ``crvs certificates print``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from registry.cli.support import fail, friendly, session_scope
from registry.services import (
    certificates,
    users,
)
from registry.services.areas import (
    area_by_code,
)


@click.group("keys")
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


@click.group("certificates")
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
