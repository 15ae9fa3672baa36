"""User accounts: ``crvs users ...``."""

from __future__ import annotations

import sys

import click

from registry.cli.support import fail, friendly, session_scope
from registry.services import (
    demo,
    users,
)


@click.group("users")
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
