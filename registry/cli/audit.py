"""The audit chain: ``crvs audit verify|head``."""

from __future__ import annotations

import re

import click

from registry.cli.support import fail, friendly, session_scope
from registry.services import (
    audit,
)


@click.group("audit")
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
