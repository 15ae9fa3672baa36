"""Browser tests: the app served on 127.0.0.1 with a fresh migrated database, driven by Chromium.

Debian's chromium (``/usr/bin/chromium``, or ``CRVS_CHROMIUM``) is launched headless through
Playwright's sync API; no browser is ever downloaded. Without chromium the tests skip with the
reason, except under ``CI=true`` where a missing browser fails the run. Each backend of the root
conftest (SQLite, and PostgreSQL when ``CRVS_TEST_POSTGRES_URL`` is set) gets its own server.
Screenshots land in ``test-artifacts/e2e/`` (git-ignored).
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from config import TestingConfig
from registry import create_app
from registry.extensions import database
from registry.services import certificates as certificate_service
from tests.conftest import FreshDatabases

IN_CI = os.environ.get("CI", "").lower() == "true"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: browser tests against a served app (chromium)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true but {reason}: the browser tests must run in CI", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = os.environ.get("CRVS_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        _unavailable(f"chromium is not installed at {path} (apt-get install chromium)")
    return path


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[object]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install playwright)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def live_database(backend: str, fresh_databases: FreshDatabases) -> str:
    """The URL of the live server's database (tests may count what the browser stored)."""
    return fresh_databases.create(backend)


@pytest.fixture(scope="session")
def live_server(live_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on a free port of 127.0.0.1: fresh database, reference data, a signing key."""
    url = live_database
    config = TestingConfig()
    config.DATABASE_URL = url
    config.CERT_KEYS_DIR = str(tmp_path_factory.mktemp("keys"))
    app = create_app(config)
    with database(app).sessionmaker() as session:  # a signing key, so certificates print
        certificate_service.generate_key(session, app.extensions["crvs.settings"])
        session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()
    database(app).engine.dispose()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
