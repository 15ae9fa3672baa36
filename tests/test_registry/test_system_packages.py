"""The one list of system packages and the script that installs or names them (never run to
install here: only its list and its check-only mode)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from certificates.fonts import _CANDIDATES, Script

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "system-packages.sh"


def listed(group: str, env: dict[str, str] | None = None) -> list[str]:
    out = subprocess.run(
        ["bash", str(SCRIPT), "--list", group], capture_output=True, text=True, check=True, env=env
    )
    return out.stdout.split()


def test_make_run_gets_the_font_of_every_certificate_script() -> None:
    """It lists, for `make run`, the Debian package of every script certificates print."""
    wanted = {_CANDIDATES[script][2] for script in Script}
    assert wanted <= set(listed("run"))


def test_test_and_ci_lists_hold_what_the_tests_need() -> None:
    """It lists poppler and Chromium for `make test`; PostgreSQL only for `.ci/run`."""
    test = set(listed("test"))
    assert {"poppler-utils", "chromium", "chromium-driver"} <= test
    assert set(listed("run")) <= test
    assert "postgresql" not in test
    assert {"postgresql", "postgresql-client"} | test <= set(listed("ci"))


def test_every_entry_point_uses_the_script() -> None:
    """It is called by `make run`, `make test` and `.ci/run`, and no other package list is left."""
    makefile = (ROOT / "Makefile").read_text()
    assert "system-packages.sh run" in makefile and "system-packages.sh test" in makefile
    ci = (ROOT / ".ci" / "run").read_text()
    assert "system-packages.sh ci" in ci
    assert "APT_PACKAGES" not in ci and "apt-get install" not in ci


def test_missing_packages_stop_with_one_line(tmp_path: Path) -> None:
    """It exits 1 with one line naming the missing packages (check-only mode, nothing installed)."""
    listing = tmp_path / "packages.txt"
    listing.write_text("# a comment\ncrvs-no-such-package-a run\ncrvs-no-such-package-b run test\n")
    env = {**os.environ, "SYSTEM_PACKAGES_LIST": str(listing)}
    result = subprocess.run(
        ["bash", str(SCRIPT), "--check", "run"], capture_output=True, text=True, env=env
    )
    if result.returncode == 0 and "not a Debian system" in result.stderr:
        pytest.skip("not a Debian system")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "crvs-no-such-package-a crvs-no-such-package-b" in lines[0]
    assert listed("test", env) == ["crvs-no-such-package-b"]


def test_an_unknown_group_is_refused() -> None:
    """It refuses a group it does not know, with its usage."""
    result = subprocess.run(["bash", str(SCRIPT), "deploy"], capture_output=True, text=True)
    assert result.returncode == 2
    assert "usage" in result.stderr
