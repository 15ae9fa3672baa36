"""Suspected duplicates in the register: flagged, explained, decided, never twins."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.models import AuditEvent
from tests.factories import ApiClient, birth, days_ago, death


def _open(api: ApiClient, username: str = "registrar") -> list[dict[str, Any]]:
    response = api.as_user(username).get("/api/v1/duplicates?status=open")
    assert response.status_code == 200, response.json
    return response.json["items"]


def test_a_late_re_registration_with_a_spelling_variant_is_flagged_and_explained(
    api: ApiClient,
) -> None:
    clerk = api.as_user("clerk")
    first = clerk.declare(body=birth(20, child={"given_names": "Mohamed", "sex": "male"}))
    api.as_user("registrar").post(f"/api/v1/births/{first['id']}/register", json={})
    again = clerk.declare(body=birth(20, child={"given_names": "Muhammad", "sex": "male"}))
    items = _open(api)
    assert len(items) == 1
    item = items[0]
    assert item["record"]["id"] == again["id"]
    assert item["existing"]["id"] == first["id"]
    assert 0.8 <= item["probability"] <= 1
    fields = {e["field"]: e for e in item["explanation"] if "field" in e}
    assert set(fields) >= {"given_names", "family_name", "date_of_birth", "mother", "sex"}
    assert fields["date_of_birth"]["level"] == "exact"
    assert fields["given_names"]["level"] in ("close", "phonetic")
    assert fields["given_names"]["left"] != fields["given_names"]["right"]


def test_a_flagged_record_waits_for_the_decision_before_registration(api: ApiClient) -> None:
    clerk, registrar = api.as_user("clerk"), api.as_user("registrar")
    clerk.declare(body=birth(3))
    newer = clerk.declare(body=birth(3))
    blocked = registrar.post(f"/api/v1/births/{newer['id']}/register", json={})
    assert blocked.status_code == 409
    candidate = _open(api)[0]
    decided = registrar.post(
        f"/api/v1/duplicates/{candidate['id']}/decision",
        json={"decision": "not_duplicate", "note": "different clinic cards"},
    )
    assert decided.status_code == 200, decided.json
    assert decided.json["status"] == "not_duplicate"
    assert registrar.post(f"/api/v1/births/{newer['id']}/register", json={}).status_code == 200
    again = registrar.post(
        f"/api/v1/duplicates/{candidate['id']}/decision", json={"decision": "duplicate"}
    )
    assert again.status_code == 409


def test_deciding_duplicate_rejects_the_newer_declaration_and_is_audited(
    api: ApiClient, session: Session
) -> None:
    clerk, registrar = api.as_user("clerk"), api.as_user("registrar")
    older = clerk.declare(body=birth(9))
    newer = clerk.declare(body=birth(9, child={"given_names": "Aminah"}))
    candidate = _open(api)[0]
    response = registrar.post(
        f"/api/v1/duplicates/{candidate['id']}/decision",
        json={"decision": "duplicate", "note": "same child, registered twice"},
    )
    assert response.status_code == 200
    record = registrar.get(f"/api/v1/births/{newer['id']}").json
    assert record["status"] == "rejected"
    assert record["duplicate_of_id"] == older["id"]
    assert "same child" in record["rejection_reason"]
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "duplicate_decision:duplicate")
    ).one()
    assert (event.username, event.record_id, event.reason) == (
        "registrar",
        newer["id"],
        "same child, registered twice",
    )
    assert _open(api) == []


def test_twins_are_never_flagged(api: ApiClient) -> None:
    clerk = api.as_user("clerk")
    clerk.declare(body=birth(4, child={"given_names": "Wanjiru", "type_of_birth": "twin"}))
    clerk.declare(body=birth(4, child={"given_names": "Achieng", "type_of_birth": "twin"}))
    assert _open(api) == []


def test_siblings_born_apart_are_not_flagged(api: ApiClient) -> None:
    clerk = api.as_user("clerk")
    clerk.declare(body=birth(4, child={"given_names": "Imani"}))
    clerk.declare(
        body=birth(400, child={"given_names": "Neema"}, mother={"date_of_birth": "1990-01-01"})
    )
    assert _open(api) == []


def test_a_declaration_completing_a_notification_is_linked_not_flagged(api: ApiClient) -> None:
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
    assert _open(api) == []
    assert declared["notification_id"] == notice["id"]
    closed = clerk.get(f"/api/v1/births/{notice['id']}").json
    assert closed["status"] == "rejected"
    assert declared["id"] in closed["rejection_reason"]


def test_a_death_is_linked_to_the_birth_of_the_same_person(api: ApiClient) -> None:
    clerk, registrar = api.as_user("clerk"), api.as_user("registrar")
    born = days_ago(200)
    child = birth(200, child={"given_names": "Juma", "family_name": "Barasa", "sex": "male"})
    child["mother"]["family_name"] = "Barasa"
    record = clerk.declare(body=child)
    registrar.post(f"/api/v1/births/{record['id']}/register", json={})
    body = death(
        3,
        deceased={
            "given_names": "Juma",
            "family_name": "Barasa",
            "date_of_birth": born.isoformat(),
            "sex": "male",
        },
    )
    died = clerk.declare("deaths", body)
    assert died["birth_record_id"] == record["id"]
    stranger = death(3, deceased={"given_names": "Kiprono", "family_name": "Chebet"})
    assert clerk.declare("deaths", stranger)["birth_record_id"] is None


def test_duplicates_are_scoped_to_the_registrars_area(api: ApiClient) -> None:
    clerk = api.as_user("clerk")
    clerk.declare(body=birth(6))
    clerk.declare(body=birth(6))
    assert len(_open(api, "registrar.r1")) == 1
    assert _open(api, "registrar.d21") == []
    candidate = _open(api)[0]
    outsider = api.as_user("registrar.d21").post(
        f"/api/v1/duplicates/{candidate['id']}/decision", json={"decision": "duplicate"}
    )
    assert outsider.status_code == 403
    assert api.as_user("clerk").get("/api/v1/duplicates").status_code == 403


def test_name_search_finds_spelling_variants_and_other_scripts(api: ApiClient) -> None:
    clerk = api.as_user("clerk")
    wanted = clerk.declare(body=birth(40, child={"given_names": "Mohamed", "sex": "male"}))
    clerk.declare(
        body=birth(
            41,
            child={"given_names": "Baraka", "family_name": "Mwangi"},
            mother={"given_names": "Halima", "family_name": "Mwangi"},
        )
    )
    registrar = api.as_user("registrar")
    for given in ("Muhammad", "Mohammed", "محمد"):
        found = registrar.get(
            "/api/v1/births", query_string={"given_names": given, "family_name": "Otieno"}
        )
        assert [r["id"] for r in found.json["items"]] == [wanted["id"]], given
    by_family = registrar.get("/api/v1/births", query_string={"family_name": "OTIENO"}).json
    assert [r["id"] for r in by_family["items"]] == [wanted["id"]]
    none = registrar.get(
        "/api/v1/births", query_string={"given_names": "Zawadi", "family_name": "Otieno"}
    )
    assert none.json["total"] == 0
