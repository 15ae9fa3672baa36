"""schemathesis drives every operation of the app's own OpenAPI document, in-process.

Authenticated as a registrar on a migrated database with reference data: no server errors, and
every response matches its documented status, content type, headers and schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis import checks
from schemathesis.core.parameters import ParameterLocation
from sqlalchemy import select

from registry import create_app
from registry.db import make_engine, make_sessionmaker
from registry.extensions import database
from registry.models import User
from registry.services import users
from tests.conftest import FreshDatabases, config_for
from tests.factories import SETTINGS

# The document needs no database; each backend's fixture points the app at a fresh one.
APP = create_app(config_for("sqlite://"))
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APP)


@pytest.fixture(scope="module")
def live_app(backend: str, fresh_databases: FreshDatabases) -> Iterator[tuple[Flask, str]]:
    url = fresh_databases.create(backend)
    engine = make_engine(url)
    db = database(APP)
    db.engine, db.sessionmaker = engine, make_sessionmaker(engine)
    with db.sessionmaker() as session:
        registrar = session.scalars(select(User).where(User.username == "registrar")).one()
        token, _ = users.issue_token(session, SETTINGS, registrar)
        session.commit()
    yield APP, token
    engine.dispose()


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_server_errors_and_documented_responses(case: Any, live_app: tuple[Flask, str]) -> None:
    _, token = live_app
    if case.path == "/api/v1/auth/token" and case.method == "DELETE":
        return  # revoking would end the token every other case signs in with
    # Domain rules beyond the schema (unknown area codes, a mother aged 9) rightly answer 422 to
    # schema-valid data, so the "positive data is accepted" check does not apply; all others do.
    excluded = [checks.positive_data_acceptance]
    if case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER):
        # The negative headers were a missing or bad Authorization, which the token below puts
        # right: such a request is not negative data, and "accepted" would be a false alarm.
        excluded.append(checks.negative_data_rejection)
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, excluded_checks=excluded)
