"""Database errors that are not bugs: a database nobody has migrated (a 503 naming the fix) and a
value the database refuses (a 422); never a 500, on both databases."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from registry import create_app
from registry.cli import main
from registry.extensions import database, db_session
from tests.conftest import POSTGRES_URL, FreshDatabases, config_for


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


@pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL (set CRVS_TEST_POSTGRES_URL)")
def test_a_value_the_database_refuses_is_a_422_not_a_500(fresh_databases: FreshDatabases) -> None:
    """The last line behind the input checks: a DataError (here PostgreSQL's refusal of an
    out-of-range integer) answers 422, with the driver's text kept out."""
    app = create_app(config_for(fresh_databases.create("postgresql")))

    @app.get("/_probe")  # outside /api/: no token needed, the error page answers
    def probe() -> str:
        db_session().execute(text("SELECT CAST(:big AS integer)"), {"big": 2**40})
        return "unreachable"

    response = app.test_client().get("/_probe")
    database(app).engine.dispose()
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "cannot be stored" in page and "out of range" not in page
