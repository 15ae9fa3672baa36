"""The ``crvs`` command line: thin commands over the services, one commit per command.

Every command reads the same environment as the server (``CRVS_ENV``, ``DATABASE_URL``, ...).
Bad input ends with exit code 1 and one line on stderr, never a traceback. Each module of this
package defines its commands; this one puts them into the group, so every registration is here.
"""

from __future__ import annotations

import click

from registry.cli import (
    audit,
    certificates,
    db,
    dedupe,
    demo,
    imports,
    reference,
    serve,
    stats,
    users,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """CRVS registry: births and deaths, registered, corrected, certified and counted."""


main.add_command(db.db)
main.add_command(reference.areas)
main.add_command(reference.facilities)
main.add_command(reference.denominators)
main.add_command(users.users_group)
main.add_command(demo.demo_command)
main.add_command(dedupe.dedupe_group)
main.add_command(imports.import_command)
main.add_command(certificates.keys_group)
main.add_command(certificates.certificates_group)
main.add_command(audit.audit_group)
main.add_command(stats.stats)
main.add_command(serve.serve)
