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


@users_group.command("deactivate")
@click.argument("name")
@friendly
def users_deactivate(name: str) -> None:
    """Deactivate user NAME: every token and web session of theirs ends at once."""
    with session_scope() as (session, _settings):
        users.update_user(session, None, name, active=False)
    click.echo(f"deactivated {name}")


@users_group.command("reset-password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the new password from standard input.")
@friendly
def users_reset_password(name: str, password_stdin: bool) -> None:
    """Reset the password of user NAME, to be changed at their next sign-in.

    Without --password-stdin a temporary password is made and printed. Every token and web
    session of the user ends at once.
    """
    given = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    with session_scope() as (session, settings):
        chosen = users.reset_password(session, settings, None, name, given)
    if given is None:
        click.echo(f"temporary password for {name}: {chosen}")
    click.echo(f"{name} must choose a new password at the next sign-in")


@users_group.command("update")
@click.argument("name")
@click.option("--role", type=click.Choice(list(users.ROLES)), help="The new role.")
@click.option("--area", "area_code", help="The new area code.")
@click.option("--facility", "facility_code", help="New facility or office code ('' removes it).")
@click.option("--full-name", help="The name printed on certificates.")
@click.option("--activate", is_flag=True, help="Reactivate a deactivated account.")
@friendly
def users_update(
    name: str,
    role: str | None,
    area_code: str | None,
    facility_code: str | None,
    full_name: str | None,
    activate: bool,
) -> None:
    """Change the role, area, facility or full name of user NAME, or reactivate it."""
    with session_scope() as (session, _settings):
        user = users.update_user(
            session,
            None,
            name,
            role=role,
            area_code=area_code,
            facility_code=users.KEEP if facility_code is None else facility_code,
            full_name=full_name,
            active=True if activate else None,
        )
        summary = (
            f"{user.username}: {user.role} in {user.area.code}"
            f"{f' at {user.facility.code}' if user.facility else ''}"
            f"{'' if user.active else ' (inactive)'}"
        )
    click.echo(f"updated {summary}")


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
