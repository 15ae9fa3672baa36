"""The services the pages call instead of doing the work themselves: the changes of a correction
form, a record's audit trail, and the role and area checks of certificate pages. Each is scoped
to the actor's area like every other service."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.domain import EventType
from registry.errors import NotFound, PermissionDenied, ValidationFailed
from registry.models import Record, User
from registry.schemas.records import schema_for
from registry.services import audit, certificates, corrections, records
from registry.services.scoping import Actor
from tests.factories import ApiClient, unique


def actor(session: Session, username: str) -> Actor:
    return Actor.from_user(session.scalars(select(User).where(User.username == username)).one())


def registered(api: ApiClient) -> str:
    record = api.as_user("clerk").declare("births", unique())
    done = api.as_user("registrar").post(f"/api/v1/births/{record['id']}/register", json={})
    assert done.status_code == 200, done.json
    return str(record["id"])


def form_facts(session: Session, record_id: str) -> dict[str, Any]:
    """The record's facts as a correction form would send them back, loaded by the schema."""
    record = session.get(Record, record_id)
    assert record is not None
    return copy.deepcopy(records.current_version(session, record).facts)


def test_changes_to_gives_new_values_and_none_for_cleared_ones(
    api: ApiClient, session: Session
) -> None:
    """It compares the form's facts with the current version: a changed name and a cleared
    weight are the changes, nothing else."""
    rid = registered(api)
    facts = form_facts(session, rid)
    facts["child"]["given_names"] = "Aminah"
    del facts["child"]["birth_weight_grams"]
    loaded = schema_for(EventType.BIRTH).load(facts)
    registrar = actor(session, "registrar")
    changes = corrections.changes_to(session, registrar, EventType.BIRTH, rid, loaded)
    assert changes == {"child": {"given_names": "Aminah", "birth_weight_grams": None}}


def test_changes_to_refuses_facts_that_change_nothing(api: ApiClient, session: Session) -> None:
    rid = registered(api)
    loaded = schema_for(EventType.BIRTH).load(form_facts(session, rid))
    with pytest.raises(ValidationFailed) as raised:
        corrections.changes_to(session, actor(session, "registrar"), EventType.BIRTH, rid, loaded)
    assert raised.value.errors == {"changes": ["The changes leave the record as it is."]}


@pytest.mark.parametrize("username", ["registrar.d21", "clerk"])
def test_changes_to_is_for_registrars_of_the_area(
    api: ApiClient, session: Session, username: str
) -> None:
    rid = registered(api)
    loaded = schema_for(EventType.BIRTH).load(form_facts(session, rid))
    with pytest.raises(PermissionDenied):
        corrections.changes_to(session, actor(session, username), EventType.BIRTH, rid, loaded)
    with pytest.raises(NotFound):
        corrections.changes_to(session, actor(session, "registrar"), EventType.DEATH, rid, loaded)


def test_the_trail_is_the_records_events_scoped_to_the_area(
    api: ApiClient, session: Session
) -> None:
    """Consecutive reads by one person fold into one line; another district sees nothing."""
    rid = registered(api)
    registrar = api.as_user("registrar")
    for _ in range(3):
        assert registrar.get(f"/api/v1/births/{rid}").status_code == 200
    rows = audit.trail(session, actor(session, "registrar"), rid)
    assert [row.action for row in rows][:2] == ["declare", "register"]
    assert rows[-1].action == "read"
    assert rows[-1].times == 3
    assert rows[-1].username == "registrar"
    with pytest.raises(PermissionDenied):
        audit.trail(session, actor(session, "registrar.d21"), rid)
    with pytest.raises(NotFound):
        audit.trail(session, actor(session, "registrar"), "no-such-record")


def test_certificate_pages_check_role_and_area_without_the_ledger(
    api: ApiClient, session: Session
) -> None:
    """``issuable`` and ``get`` refuse clerks and other districts before any form is read."""
    rid = registered(api)
    record = certificates.issuable(session, actor(session, "registrar"), EventType.BIRTH, rid)
    assert record.id == rid
    for username in ("clerk", "registrar.d21"):
        with pytest.raises(PermissionDenied):
            certificates.issuable(session, actor(session, username), EventType.BIRTH, rid)
    with pytest.raises(NotFound):
        certificates.issuable(session, actor(session, "registrar"), EventType.DEATH, rid)
    with pytest.raises(NotFound):
        certificates.get(session, actor(session, "registrar"), "NOSUCHSERIAL")
    with pytest.raises(PermissionDenied):
        certificates.get(session, actor(session, "clerk"), "NOSUCHSERIAL")
