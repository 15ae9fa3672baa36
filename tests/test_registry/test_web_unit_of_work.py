"""One commit per page request: ``registry.web.blueprint.unit_of_work``.

Test-only pages (added to the test's own app) write a user's name and an audit event, then
succeed, raise, discard and answer a page, or lose their commit, so each outcome is checked
against what the database holds afterwards, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from registry.errors import Busy, Conflict
from registry.extensions import db_session
from registry.models import AuditEvent, User
from registry.services import audit
from registry.web.blueprint import discard, flash_after_commit, unit_of_work

NEW_NAME = "Written by the page"


def _write() -> None:
    session = db_session()
    user = session.scalars(select(User).where(User.username == "clerk")).one()
    user.full_name = NEW_NAME
    session.flush()
    audit.record(session, None, "test_write", username="test")
    flash_after_commit("The page stored it.")


def _stores() -> str:
    _write()
    return "stored"


def _raises() -> str:
    _write()
    raise Conflict("Something conflicts.")


def _discards() -> tuple[str, int]:
    _write()
    discard()
    audit.record(db_session(), None, "test_shown", username="test")
    return "shown again", 422


def _commit_lost() -> str:
    def busy(_session: Session) -> None:
        raise Busy()

    _write()
    event.listen(db_session(), "before_commit", busy, once=True)
    return "never sent"


PAGES: dict[str, Callable[[], Any]] = {
    "stores": _stores,
    "raises": _raises,
    "discards": _discards,
    "commit-lost": _commit_lost,
}


@pytest.fixture
def pages(app: Flask, client: FlaskClient) -> FlaskClient:
    for name, view in PAGES.items():
        app.add_url_rule(f"/test-uow/{name}", f"test_uow_{name}", unit_of_work(view))
    return client


def _name(session: Session) -> str | None:
    session.expire_all()
    return session.scalars(select(User.full_name).where(User.username == "clerk")).one()


def _actions(session: Session) -> list[str]:
    stmt = select(AuditEvent.action).where(AuditEvent.action.startswith("test_"))
    return list(session.scalars(stmt.order_by(AuditEvent.seq)))


def _flashes(client: FlaskClient) -> list[Any]:
    with client.session_transaction() as cookie:
        return list(cookie.get("_flashes", []))


def test_a_page_that_succeeds_stores_its_writes_once_and_says_so(
    pages: FlaskClient, session: Session
) -> None:
    """It commits the view's writes and audit events together, then flashes the message."""
    response = pages.get("/test-uow/stores")
    assert response.status_code == 200
    assert _name(session) == NEW_NAME
    assert _actions(session) == ["test_write"]
    assert _flashes(pages) == [("success", "The page stored it.")]


def test_a_page_that_fails_after_a_write_stores_nothing(
    pages: FlaskClient, session: Session
) -> None:
    """A view that raises after writing leaves no row, no audit event and no message (neither
    on its error page nor on the next)."""
    response = pages.get("/test-uow/raises")
    assert response.status_code == 409
    assert "The page stored it." not in response.get_data(as_text=True)
    assert _name(session) != NEW_NAME
    assert _actions(session) == []
    assert _flashes(pages) == []


def test_a_page_that_discards_a_failed_form_stores_only_what_it_shows(
    pages: FlaskClient, session: Session
) -> None:
    """``discard`` drops the form's writes; what the page audits afterwards is committed."""
    response = pages.get("/test-uow/discards")
    assert response.status_code == 422
    assert _name(session) != NEW_NAME
    assert _actions(session) == ["test_shown"]
    assert _flashes(pages) == []


def test_a_lost_commit_stores_nothing_and_claims_nothing(
    pages: FlaskClient, session: Session
) -> None:
    """When the commit itself fails (the audit head busy), the page answers 503 with nothing
    stored and no message saying it was saved."""
    response = pages.get("/test-uow/commit-lost")
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert "The page stored it." not in response.get_data(as_text=True)
    assert _name(session) != NEW_NAME
    assert _actions(session) == []
    assert _flashes(pages) == []
