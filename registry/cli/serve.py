"""Serving: ``crvs serve``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click


@click.command("serve")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, type=click.IntRange(1, 64))
def serve(host: str, port: int, workers: int) -> None:
    """Serve the registry with gunicorn ('wsgi:app'), honouring the same environment."""
    root = str(Path(__file__).resolve().parents[2])
    args = [
        sys.executable, "-m", "gunicorn", "--chdir", root, "--bind", f"{host}:{port}",
        "--workers", str(workers), "--access-logfile", "-", "wsgi:app",
    ]  # fmt: skip
    click.echo(f"serving on http://{host}:{port}")
    os.execv(sys.executable, args)  # noqa: S606  (replaces this process with gunicorn)
