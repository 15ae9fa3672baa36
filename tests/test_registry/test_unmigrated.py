"""A database nobody has migrated yet: a clear 503 naming the fix, never a 500 (both databases)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from registry import create_app
from registry.cli import main
from registry.extensions import database
from tests.conftest import FreshDatabases, config_for


@pytest.fixture
def empty_url(backend: str, fresh_databases: FreshDatabases) -> str:
    return fresh_databases.create(backend, migrate=False)


def test_the_api_answers_503_with_the_migration_hint(empty_url: str) -> None:
    app = create_app(config_for(empty_url))
    client = app.test_client()
    signed_in = client.post("/api/v1/auth/token", json={"username": "a", "password": "b" * 12})
    listed = client.get("/api/v1/births", headers={"Authorization": "Bearer not-a-token"})
    for response in (signed_in, listed):
        assert response.status_code == 503, response.get_data(as_text=True)
        body = response.get_json()
        assert "crvs db upgrade" in body["message"]
        assert "relation" not in body["message"] and "no such table" not in body["message"]
    database(app).engine.dispose()


def test_the_cli_says_it_in_one_line(empty_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", empty_url)
    monkeypatch.setenv("CRVS_ENV", "testing")
    result = CliRunner().invoke(main, ["audit", "verify"])
    assert result.exit_code == 1
    assert "crvs db upgrade" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
