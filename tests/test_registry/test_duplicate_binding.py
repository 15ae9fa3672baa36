"""One child, one registration (issue 12): decisions bind, matching respects areas, a registered
duplicate is cancelled. Each reproduction of the issue is a test here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from registry.api import stats as stats_api
from registry.domain import EventType, today
from registry.models import (
    AuditEvent,
    DuplicateCandidate,
    IssuedCertificate,
    Record,
    RecordVersion,
    User,
)
from registry.schemas.records import schema_for
from registry.services import audit, duplicates, records, users
from registry.services.scoping import Actor
from tests import factories
from tests.factories import ApiClient, birth, days_ago
from tests.test_registry.test_certificates_api import COLLECTOR, qr_payload
from tests.test_registry.test_web_support import Web

NATIONAL = "registrar.dl"


@pytest.fixture
def national(session: Session) -> str:
    """A registrar of the whole country (DL): the nearest area covering D11 and D21."""
    users.create_user(
        session,
        factories.SETTINGS,
        username=NATIONAL,
        password=factories.PASSWORD,
        role="registrar",
        area_code="DL",
        facility_code=None,
        full_name="National Registrar",
    )
    session.commit()
    return NATIONAL


def achieng(given: str = "Achieng Joy", **overrides: Any) -> dict[str, Any]:
    body = birth(
        7,
        child={"given_names": given, "family_name": "Nyambura", "sex": "female"},
        mother={"given_names": "Wairimu", "family_name": "Nyambura"},
    )
    return factories.merge(body, overrides)


def items(api: ApiClient, username: str, status: str = "open") -> list[dict[str, Any]]:
    response = api.as_user(username).get(f"/api/v1/duplicates?status={status}")
    assert response.status_code == 200, response.json
    return list(response.json["items"])


def decide(api: ApiClient, username: str, candidate: str, decision: str) -> Any:
    return api.as_user(username).post(
        f"/api/v1/duplicates/{candidate}/decision", json={"decision": decision, "note": "checked"}
    )


def registered_count(session: Session, family: str) -> int:
    stmt = (
        select(func.count())
        .select_from(Record)
        .join(
            RecordVersion,
            (RecordVersion.record_id == Record.id) & (RecordVersion.version == Record.version),
        )
        .where(Record.status == "registered", RecordVersion.family_name == family)
    )
    return session.scalar(stmt) or 0


# -- 1. a decision binds --------------------------------------------------------------------------


def test_a_decided_duplicate_cannot_be_resubmitted_or_registered(
    api: ApiClient, session: Session
) -> None:
    """It refuses (409, naming the decision) to resubmit a record decided to be a duplicate,
    unchanged or not, and to register it: the child never gets a second number."""
    clerk, registrar = api.as_user("clerk"), api.as_user("registrar")
    first = clerk.declare(body=achieng())
    assert registrar.post(f"/api/v1/births/{first['id']}/register", json={}).status_code == 200
    newer = clerk.declare(body=achieng("Achieng Joi"))
    (pair,) = items(api, "registrar")
    assert decide(api, "registrar", pair["id"], "duplicate").status_code == 200

    unchanged = clerk.put(f"/api/v1/births/{newer['id']}", json=achieng("Achieng Joi"))
    assert unchanged.status_code == 409
    assert "decided to be a duplicate" in unchanged.json["message"]
    assert "reopen" in unchanged.json["message"]
    changed = clerk.put(f"/api/v1/births/{newer['id']}", json=achieng("Achieng Joyce"))
    assert changed.status_code == 409
    register = registrar.post(f"/api/v1/births/{newer['id']}/register", json={})
    assert register.status_code == 409
    assert "decided to be a duplicate" in register.json["message"]

    record = registrar.get(f"/api/v1/births/{newer['id']}").json
    assert record["status"] == "rejected"
    assert record["duplicate_of_id"] == first["id"]
    assert record["registration_number"] is None
    assert registered_count(session, "Nyambura") == 1


def test_a_new_twin_of_a_decided_duplicate_is_flagged_again(api: ApiClient) -> None:
    """It flags a declaration that matches a record rejected as a duplicate, even when the
    record it duplicated is no longer a candidate (the check covers the whole register)."""
    clerk, registrar = api.as_user("clerk"), api.as_user("registrar")
    kept = clerk.declare(body=achieng())
    bound = clerk.declare(body=achieng("Achieng Joi"))
    (pair,) = items(api, "registrar")
    decide(api, "registrar", pair["id"], "duplicate")
    refused = registrar.post(f"/api/v1/births/{kept['id']}/reject", json={"reason": "illegible"})
    assert refused.status_code == 200
    again = clerk.declare(body=achieng("Achieng Joi"))
    flagged = items(api, "registrar")
    assert [(i["record"]["id"], i["existing"]["id"]) for i in flagged] == [
        (again["id"], bound["id"])
    ]
    assert registrar.post(f"/api/v1/births/{again['id']}/register", json={}).status_code == 409


def test_an_amendment_re_runs_the_check(api: ApiClient) -> None:
    """It flags a declaration amended into a likeness of an existing record."""
    clerk = api.as_user("clerk")
    clerk.declare(body=achieng())
    other = clerk.declare(body=factories.unique())
    assert items(api, "registrar") == []
    amended = clerk.put(f"/api/v1/births/{other['id']}", json=achieng("Achieng Joi"))
    assert amended.status_code == 200
    assert [i["record"]["id"] for i in items(api, "registrar")] == [other["id"]]


# -- reopening --------------------------------------------------------------------------------


def test_only_a_registrar_covering_both_reopens_with_a_reason_audited(
    api: ApiClient, session: Session
) -> None:
    """It lets a registrar whose area covers both records reopen a decision with a reason
    (audited); the record is declared again and waits for a new decision; others get 403,
    and a missing reason 422."""
    clerk, registrar = api.as_user("clerk"), api.as_user("registrar")
    clerk.declare(body=achieng())
    newer = clerk.declare(body=achieng("Achieng Joi"))
    (pair,) = items(api, "registrar")
    decide(api, "registrar", pair["id"], "duplicate")
    url = f"/api/v1/duplicates/{pair['id']}/reopen"
    assert api.as_user("registrar.d21").post(url, json={"reason": "x"}).status_code == 403
    assert api.as_user("clerk").post(url, json={"reason": "x"}).status_code == 403
    missing = registrar.post(url, json={})
    assert missing.status_code == 422 and "reason" in missing.json["errors"]["json"]
    assert registrar.post(url, json={"reason": "  "}).status_code == 422
    reopened = registrar.post(url, json={"reason": "the mother has two clinic cards"})
    assert reopened.status_code == 200, reopened.json
    assert reopened.json["status"] == "open"
    record = registrar.get(f"/api/v1/births/{newer['id']}").json
    assert (record["status"], record["duplicate_of_id"]) == ("declared", None)
    assert registrar.post(f"/api/v1/births/{newer['id']}/register", json={}).status_code == 409
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "duplicate_reopened")
    ).one()
    assert (event.username, event.record_id, event.reason) == (
        "registrar",
        newer["id"],
        "the mother has two clinic cards",
    )
    assert registrar.post(url, json={"reason": "again"}).status_code == 409
    assert decide(api, "registrar", pair["id"], "not_duplicate").status_code == 200
    assert registrar.post(f"/api/v1/births/{newer['id']}/register", json={}).status_code == 200


# -- 2. and 3. matching respects areas ----------------------------------------------------------


def notify_in_d21(api: ApiClient) -> dict[str, Any]:
    return api.as_user("clerk.d21").declare(
        body={
            "notification": True,
            "child": {"sex": "female", "date_of_birth": days_ago(2).isoformat()},
            "place": {"type": "health_facility", "facility_code": "F211"},
            "mother": {"given_names": "Grace", "family_name": "Otieno"},
        }
    )


def test_a_declaration_cannot_complete_a_notification_of_another_district(
    api: ApiClient, session: Session, national: str
) -> None:
    """It leaves a D21 notification untouched by a D11 declaration of the same child: the pair
    becomes a suspected duplicate that only a registrar covering both decides."""
    notice = notify_in_d21(api)
    declared = api.as_user("clerk").declare(body=birth(2))
    assert declared["notification_id"] is None
    still = api.as_user("clerk.d21").get(f"/api/v1/births/{notice['id']}").json
    assert (still["status"], still["rejection_reason"]) == ("notified", None)
    touched = session.scalars(
        select(AuditEvent.username).where(AuditEvent.record_id == notice["id"])
    ).all()
    assert set(touched) == {"clerk.d21"}

    (pair,) = items(api, national)
    assert pair["decidable"] is True and pair["deciding_area_code"] == "DL"
    assert pair["existing"]["id"] == notice["id"]
    (local,) = items(api, "registrar")
    assert local["decidable"] is False
    assert local["awaits"] == "awaits a registrar of Demoland"
    (there,) = items(api, "registrar.d21")
    assert there["record"]["masked"] and not there["existing"]["masked"]
    refused = decide(api, "registrar", pair["id"], "duplicate")
    assert refused.status_code == 403
    assert "awaits a registrar of Demoland" in refused.json["message"]
    blocked = api.as_user("registrar").post(f"/api/v1/births/{declared['id']}/register", json={})
    assert blocked.status_code == 409

    assert decide(api, national, pair["id"], "duplicate").status_code == 200
    completed = api.as_user("clerk.d21").get(f"/api/v1/births/{notice['id']}").json
    assert completed["status"] == "rejected"
    assert completed["duplicate_of_id"] is None  # the D11 declaration is not theirs to see
    assert declared["id"] not in completed["rejection_reason"]
    assert "Amani District" in completed["rejection_reason"]
    done = api.as_user("registrar").post(f"/api/v1/births/{declared['id']}/register", json={})
    assert done.status_code == 200


def test_a_declaration_still_completes_a_notification_its_author_may_see(
    api: ApiClient, national: str
) -> None:
    """It completes an in-area notification and keeps the pair as decided, so a registrar
    covering both may reopen it (the notification is then notified again)."""
    clerk = api.as_user("clerk")
    notice = clerk.declare(
        body={
            "notification": True,
            "child": {"sex": "female", "date_of_birth": days_ago(2).isoformat()},
            "place": {"type": "health_facility", "facility_code": "F111"},
            "mother": {"given_names": "Grace", "family_name": "Otieno"},
        }
    )
    declared = clerk.declare(body=birth(2))
    assert declared["notification_id"] == notice["id"]
    (pair,) = items(api, "registrar", "duplicate")
    resubmit = clerk.put(f"/api/v1/births/{notice['id']}", json=birth(2))
    assert resubmit.status_code == 409
    reopened = api.as_user("registrar").post(
        f"/api/v1/duplicates/{pair['id']}/reopen", json={"reason": "another child"}
    )
    assert reopened.status_code == 200
    assert clerk.get(f"/api/v1/births/{notice['id']}").json["status"] == "notified"
    assert clerk.get(f"/api/v1/births/{declared['id']}").json["notification_id"] is None


def _cross_pair(api: ApiClient) -> tuple[dict[str, Any], dict[str, Any]]:
    """A D21 registered birth, then the same child declared in D11 with other spellings."""
    d21 = api.as_user("clerk.d21").declare(
        body=birth(
            12,
            child={"given_names": "Zawadi Imani", "family_name": "Kiprotich"},
            mother={"given_names": "Chepkoech", "family_name": "Kiprotich"},
            place={"type": "health_facility", "facility_code": "F211"},
        )
    )
    done = api.as_user("registrar.d21").post(f"/api/v1/births/{d21['id']}/register", json={})
    assert done.status_code == 200
    d11 = api.as_user("clerk").declare(
        body=birth(
            12,
            child={"given_names": "Zawadi Immani", "family_name": "Kiprotich"},
            mother={"given_names": "Chepkoech", "family_name": "Kiprotich"},
        )
    )
    return done.json, d11


HIDDEN_KEYS = {"given_names", "family_name", "event_date", "date_of_birth", "mother", "sex"}


def test_another_districts_record_is_masked_in_the_list_and_on_the_page(
    api: ApiClient, client: Any, session: Session
) -> None:
    """It shows a D11 registrar the D21 side of a pair with its area and registration number
    and the per-field levels only: no names, dates or ids, in the API and on the page."""
    d21, d11 = _cross_pair(api)
    (item,) = items(api, "registrar")
    other = item["existing"]
    assert other["masked"] is True and other["id"] is None
    assert (other["area_code"], other["registration_number"]) == (
        "D21",
        d21["registration_number"],
    )
    assert not HIDDEN_KEYS & set(other)
    assert item["record"]["id"] == d11["id"] and item["record"]["given_names"] == "Zawadi Immani"
    fields = {e["field"]: e for e in item["explanation"] if "field" in e}
    assert fields["given_names"]["level"] and fields["given_names"]["right"] is None
    assert all(e.get("right") is None for e in fields.values())
    text = json.dumps(item)
    assert d21["id"] not in text and "Zawadi Imani" not in text
    assert item["decidable"] is False

    web = Web(client, session)
    web.as_user("registrar")
    page = web.get(f"/duplicates/{item['id']}")
    assert page.status_code == 200
    html = web.text(page)
    assert d21["id"] not in html and "Zawadi Imani" not in html
    assert d21["registration_number"] in html
    assert "awaits a registrar of Demoland" in html
    assert 'value="duplicate"' not in html  # no decision form for one side
    queue = web.text(web.get("/")).split('id="queue-duplicates"')[1].split("</section>")[0]
    assert "Zawadi Imani" not in queue and "Dunia District" in queue


def test_the_national_registrar_sees_both_sides_and_a_clerk_sees_the_link_masked(
    api: ApiClient, national: str
) -> None:
    """It shows the registrar covering both the whole pair, and lists it to each local side."""
    d21, d11 = _cross_pair(api)
    (item,) = items(api, national)
    assert item["existing"]["id"] == d21["id"] and item["record"]["id"] == d11["id"]
    assert item["explanation"][0].get("right") is not None or any(
        e.get("right") for e in item["explanation"] if "field" in e
    )
    (there,) = items(api, "registrar.d21")
    assert there["record"]["masked"] and there["record"]["id"] is None


# -- 3. cancelling a registered duplicate --------------------------------------------------------


@pytest.fixture
def stats_app(app: Flask) -> Flask:
    if "stats" not in app.blueprints:
        app.register_blueprint(stats_api.blp)
    return app


def _two_registrations(api: ApiClient) -> tuple[dict[str, Any], dict[str, Any], str]:
    """The same child registered twice (a wrong "not a duplicate"); the pair's id."""
    clerk, registrar = api.as_user("clerk"), api.as_user("registrar")
    first = clerk.declare(body=achieng())
    registrar.post(f"/api/v1/births/{first['id']}/register", json={})
    second = clerk.declare(body=achieng("Achieng Joi"))
    (pair,) = items(api, "registrar")
    decide(api, "registrar", pair["id"], "not_duplicate")
    registered = registrar.post(f"/api/v1/births/{second['id']}/register", json={})
    assert registered.status_code == 200
    return (
        registrar.get(f"/api/v1/births/{first['id']}").json,
        registered.json,
        pair["id"],
    )


def test_cancelling_a_registered_duplicate(
    api: ApiClient, signing: Path, session: Session, tmp_path: Path, stats_app: Flask
) -> None:
    """It cancels one of two registrations of one child: a new version with the reason and
    evidence, its certificates revoked ("cancelled registration", as verification says), its
    number kept and never given again, readable with its history, counted once."""
    kept, extra, pair = _two_registrations(api)
    registrar = api.as_user("registrar")
    issued = registrar.post(
        f"/api/v1/births/{extra['id']}/certificates", json={"collector": COLLECTOR}
    )
    assert issued.status_code == 201
    payload = qr_payload(issued.data, tmp_path)
    year = today().year
    stats_url = f"/api/v1/stats/coverage?year={year}&cutoff={today().isoformat()}&period=year"

    def counted() -> int:
        body = api.as_user("statistician").get(stats_url).json
        births = next(t for t in body["tables"] if t["name"] == "coverage_births")
        row = next(
            r
            for r in births["rows"]
            if r["area_code"] == "D11"
            and r["period"] == "year"
            and r["sex"] == "total"
            and r["timeliness"] == "total"
        )
        return int(row["registered"])

    before = counted()
    url = f"/api/v1/duplicates/{pair}/cancel"
    assert api.as_user("registrar.d21").post(
        url, json={"reason": "r", "evidence": "e"}
    ).status_code in (403,)
    assert registrar.post(url, json={"reason": "same child"}).status_code == 422
    done = registrar.post(
        url, json={"reason": "same child, registered twice", "evidence": "clinic card 77"}
    )
    assert done.status_code == 200, done.json
    assert done.json["status"] == "duplicate"
    assert done.json["record"]["status"] == "cancelled"

    record = registrar.get(f"/api/v1/births/{extra['id']}").json
    assert record["status"] == "cancelled"
    assert record["registration_number"] == extra["registration_number"]
    assert record["duplicate_of_id"] == kept["id"]
    history = registrar.get(f"/api/v1/births/{extra['id']}/history").json["versions"]
    assert [v["kind"] for v in history] == ["declaration", "cancellation"]
    last = history[-1]
    assert last["reason"] == (
        f"Duplicate of {kept['registration_number']}: same child, registered twice"
    )
    assert (last["evidence"], last["approved_by"]) == ("clinic card 77", "registrar")
    assert last["facts"] == history[0]["facts"]

    row = session.get(IssuedCertificate, issued.headers["X-Certificate-Serial"])
    session.refresh(row)
    assert row is not None and row.revocation_reason == "cancelled registration"
    verified = api.client.post("/api/v1/certificates/verify", json={"payload": payload}).json
    assert (verified["status"], verified["reason_category"], verified["reason"]) == (
        "revoked",
        "cancelled_registration",
        "The registration was cancelled.",
    )
    assert counted() == before - 1

    # Never changed again, never numbered again.
    assert registrar.post(url, json={"reason": "r", "evidence": "e"}).status_code == 409
    assert (
        registrar.post(
            f"/api/v1/births/{extra['id']}/certificates", json={"collector": COLLECTOR}
        ).status_code
        == 409
    )
    assert (
        api.as_user("clerk").put(f"/api/v1/births/{extra['id']}", json=achieng()).status_code == 409
    )
    correction = registrar.post(
        f"/api/v1/births/{extra['id']}/corrections",
        json={"changes": {"child": {"given_names": "A"}}, "reason": "r", "evidence": "e"},
    )
    assert correction.status_code == 409
    reopen = registrar.post(f"/api/v1/duplicates/{pair}/reopen", json={"reason": "undo"})
    assert reopen.status_code == 409
    fresh = api.as_user("clerk").declare(body=factories.unique())
    number = registrar.post(f"/api/v1/births/{fresh['id']}/register", json={}).json
    assert number["registration_number"] not in (
        kept["registration_number"],
        extra["registration_number"],
    )
    cancels = session.scalars(select(AuditEvent).where(AuditEvent.action == "cancel")).all()
    assert [(e.record_id, e.username) for e in cancels] == [(extra["id"], "registrar")]


def test_cancelling_needs_two_registered_records(api: ApiClient) -> None:
    """It refuses (409) to cancel when either record of the pair is not registered."""
    clerk = api.as_user("clerk")
    clerk.declare(body=achieng())
    clerk.declare(body=achieng("Achieng Joi"))
    (pair,) = items(api, "registrar")
    refused = api.as_user("registrar").post(
        f"/api/v1/duplicates/{pair['id']}/cancel", json={"reason": "r", "evidence": "e"}
    )
    assert refused.status_code == 409
    bad = api.as_user("registrar").post(
        f"/api/v1/duplicates/{pair['id']}/cancel",
        json={"reason": "r", "evidence": "e", "cancel": "both"},
    )
    assert bad.status_code == 422


# -- 4. the work queue shows what waits ----------------------------------------------------------


def test_search_items_show_a_pending_duplicate(api: ApiClient, session: Session) -> None:
    """It marks a declaration held by an undecided suspected duplicate in the work queue."""
    clerk = api.as_user("clerk")
    first = clerk.declare(body=achieng())
    newer = clerk.declare(body=achieng("Achieng Joi"))
    found = api.as_user("registrar").get("/api/v1/births?status=declared").json["items"]
    pending = {i["id"]: i["duplicate_pending"] for i in found}
    assert pending == {first["id"]: False, newer["id"]: True}
    assert session.scalar(select(func.count()).select_from(DuplicateCandidate)) == 1


def test_the_work_queue_marks_a_declaration_held_by_a_duplicate(
    client: Any, session: Session
) -> None:
    """It says on the work queue which declaration waits for a duplicate decision."""
    web = Web(client, session)
    clerk = web.api.as_user("clerk")
    first = clerk.declare(body=achieng())
    newer = clerk.declare(body=achieng("Achieng Joi"))
    web.as_user("registrar")
    text = web.text(web.get("/"))
    declared = text.split('id="queue-declared"')[1].split("</section>")[0]
    lines = {line for line in declared.split("<li>") if "/births/" in line}
    held = [line for line in lines if newer["id"] in line]
    free = [line for line in lines if first["id"] in line]
    assert "awaits a decision" in held[0]
    assert "awaits a decision" not in free[0]


def test_the_pre_save_check_shows_candidates_masked_outside_the_area_and_stores_nothing(
    api: ApiClient, session: Session
) -> None:
    """It lists what a declaration would be paired with (in full inside the author's area,
    masked outside it, a notification it would complete marked) without storing anything."""
    d21, d11 = _cross_pair(api)
    notice = api.as_user("clerk").declare(
        body={
            "notification": True,
            "child": {"sex": "female", "date_of_birth": days_ago(2).isoformat()},
            "place": {"type": "health_facility", "facility_code": "F111"},
            "mother": {"given_names": "Grace", "family_name": "Otieno"},
        }
    )
    clerk = Actor.from_user(session.scalars(select(User).where(User.username == "clerk")).one())
    before = session.scalar(select(func.count()).select_from(Record))
    raw = birth(
        12,
        child={"given_names": "Zawadi Imani", "family_name": "Kiprotich"},
        mother={"given_names": "Chepkoech", "family_name": "Kiprotich"},
    )
    facts = schema_for(EventType.BIRTH).load(raw)
    found = records.check_duplicates(session, clerk, EventType.BIRTH, facts)
    by_side = {(i["existing"]["masked"], i["existing"]["area_code"]): i for i in found}
    assert set(by_side) == {(True, "D21"), (False, "D11")}
    hidden = by_side[(True, "D21")]
    assert hidden["existing"]["id"] is None and d21["id"] not in json.dumps(hidden, default=str)
    assert by_side[(False, "D11")]["existing"]["id"] == d11["id"]
    assert not any(i["completes"] for i in found)
    completing = records.check_duplicates(
        session, clerk, EventType.BIRTH, schema_for(EventType.BIRTH).load(birth(2))
    )
    assert [(i["existing"]["id"], i["completes"]) for i in completing] == [(notice["id"], True)]
    assert session.scalar(select(func.count()).select_from(Record)) == before
    assert not session.info.get(audit.PENDING)


def test_a_completion_is_not_reopened_once_the_declaration_is_registered(api: ApiClient) -> None:
    """It refuses (409) to reopen a completed notification whose declaration is registered:
    the registration's link never changes in place."""
    clerk = api.as_user("clerk")
    notice = clerk.declare(
        body={
            "notification": True,
            "child": {"sex": "female", "date_of_birth": days_ago(2).isoformat()},
            "place": {"type": "health_facility", "facility_code": "F111"},
            "mother": {"given_names": "Grace", "family_name": "Otieno"},
        }
    )
    declared = clerk.declare(body=birth(2))
    registrar = api.as_user("registrar")
    assert registrar.post(f"/api/v1/births/{declared['id']}/register", json={}).status_code == 200
    (pair,) = items(api, "registrar", "duplicate")
    refused = registrar.post(f"/api/v1/duplicates/{pair['id']}/reopen", json={"reason": "x"})
    assert refused.status_code == 409
    assert clerk.get(f"/api/v1/births/{notice['id']}").json["status"] == "rejected"


def test_a_batch_scan_does_not_complete_a_notification_of_another_district(
    api: ApiClient, session: Session
) -> None:
    """It flags, in a batch scan with no author, a declaration against a notification of
    another district instead of completing it (in its own district it completes it)."""
    notice = notify_in_d21(api)
    declared = api.as_user("clerk").declare(body=birth(2))
    session.execute(delete(DuplicateCandidate))  # as if the pair had never been looked for
    session.flush()
    record = session.get(Record, declared["id"])
    assert record is not None
    duplicates.rescan(session, [record])
    session.flush()
    (pair,) = session.scalars(select(DuplicateCandidate)).all()
    assert (pair.record_id, pair.existing_id, pair.status) == (declared["id"], notice["id"], "open")
    session.expire_all()
    still = session.get(Record, notice["id"])
    assert still is not None and still.status == "notified"
