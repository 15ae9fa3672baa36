"""Concurrent writers on PostgreSQL: gap-free numbers, single records under retries, one chain."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from registry import create_app
from registry.db import make_engine, make_sessionmaker
from registry.domain import EventType
from registry.extensions import database
from registry.models import Record, RegistrationCounter, User
from registry.schemas.records import BirthIn
from registry.services import audit, records, users
from registry.services.scoping import Actor
from tests import factories
from tests.conftest import POSTGRES_URL, FreshDatabases, config_for

WRITERS = 16

pytestmark = pytest.mark.skipif(
    not POSTGRES_URL, reason="concurrency tests need PostgreSQL (set CRVS_TEST_POSTGRES_URL)"
)


@pytest.fixture
def pg_url(fresh_databases: FreshDatabases) -> str:
    return fresh_databases.create("postgresql")


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_url, pool_size=WRITERS + 4, max_overflow=0)
    yield engine
    engine.dispose()


def actor(session: Session, username: str) -> Actor:
    return Actor.from_user(session.scalars(select(User).where(User.username == username)).one())


def run_together(count: int, work: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(count)

    def start(i: int) -> Any:
        barrier.wait(timeout=30)
        return work(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(start, range(count)))


def test_concurrent_registrations_get_unique_gap_free_numbers(pg_engine: Engine) -> None:
    maker = make_sessionmaker(pg_engine)
    with maker() as session:
        clerk = actor(session, "clerk")
        ids = [
            records.declare(session, clerk, EventType.BIRTH, BirthIn().load(factories.unique())).id
            for _ in range(WRITERS + 4)
        ]
        session.commit()

    def register(i: int) -> str:
        with maker() as session:
            record = records.register(
                session, factories.SETTINGS, actor(session, "registrar"), EventType.BIRTH, ids[i]
            )
            session.commit()
            assert record.registration_number is not None
            return record.registration_number

    numbers = run_together(WRITERS + 4, register)
    seqs = sorted(int(n.split("-")[2]) for n in numbers)
    assert seqs == list(range(1, WRITERS + 5))
    assert len(set(numbers)) == len(numbers)
    with maker() as session:
        counter = session.scalars(select(RegistrationCounter)).one()
        assert counter.last_value == WRITERS + 4
        assert audit.verify(session).ok  # the audit chain did not fork under load


def test_concurrent_replays_of_one_idempotency_key_make_one_record(
    pg_url: str, pg_engine: Engine
) -> None:
    app = create_app(config_for(pg_url))
    with make_sessionmaker(pg_engine)() as session:
        clerk = session.scalars(select(User).where(User.username == "clerk")).one()
        token, _ = users.issue_token(session, factories.SETTINGS, clerk)
        session.commit()
    body = factories.birth()
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "one-retry-storm"}

    def post(_: int) -> tuple[int, str]:
        response = app.test_client().post("/api/v1/births", json=body, headers=headers)
        return response.status_code, response.json["id"]

    try:
        results = run_together(10, post)
    finally:
        database(app).engine.dispose()
    assert {status for status, _ in results} == {201}
    assert len({record_id for _, record_id in results}) == 1
    with make_sessionmaker(pg_engine)() as session:
        assert session.scalar(select(func.count()).select_from(Record)) == 1
