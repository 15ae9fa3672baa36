"""The birth and death life cycle through the JSON API."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy.orm import Session

from registry.domain import is_valid_check_character
from registry.services import users
from registry.services.areas import load_areas, load_facilities
from tests import factories
from tests.factories import ApiClient, birth, days_ago, death

NUMBER = re.compile(r"^O11-B\d{4}-\d{6}-[0-9A-Z]$")


def test_the_issue_bodies_are_accepted_as_they_stand(api: ApiClient) -> None:
    """It accepts the two example bodies verbatim and echoes the facts under the same names."""
    clerk = api.as_user("clerk")
    for kind, body in (("births", factories.BIRTH), ("deaths", factories.DEATH)):
        response = clerk.post(f"/api/v1/{kind}", json=body)
        assert response.status_code == 201, response.json
        doc = response.json
        assert doc["status"] == "declared"
        assert doc["registration_number"] is None
        assert doc["timeliness"] is None
        assert doc["version"] == 1
        assert re.fullmatch(r"[0-9a-f-]{36}", doc["id"])
        assert response.headers["Location"].endswith(f"/api/v1/{kind}/{doc['id']}")
        for key, value in body.items():
            if key == "cause":
                assert doc[key] == value | {"part2": []}
            else:
                assert doc[key] == value


def test_register_assigns_consecutive_numbers_with_check_digit(api: ApiClient) -> None:
    clerk, registrar = api.as_user("clerk"), api.as_user("registrar")
    numbers = []
    for child, mother in (("Amina", "Grace"), ("Baraka", "Halima"), ("Imani", "Esther")):
        family = f"{child}son"
        body = birth(child={"given_names": child, "family_name": family})
        body["mother"] |= {"given_names": mother, "family_name": family}
        record = clerk.declare(body=body)
        response = registrar.post(f"/api/v1/births/{record['id']}/register", json={})
        assert response.status_code == 200, response.json
        assert response.json["status"] == "registered"
        assert response.json["timeliness"] == "current"
        assert response.json["office_code"] == "O11"
        numbers.append(response.json["registration_number"])
    assert all(NUMBER.match(n) and is_valid_check_character(n) for n in numbers)
    seqs = [int(n.split("-")[2]) for n in numbers]
    assert seqs == list(range(seqs[0], seqs[0] + 3))


def test_the_nearest_office_numbers_a_registration(api: ApiClient, session: Session) -> None:
    """The office of the record's own area numbers it, else that of the nearest area above;
    with none up the tree registering is refused and the record stays declared."""
    load_areas(
        session,
        io.StringIO(
            "code,name,level,parent_code\nW111,Kati Ward,ward,D11\n"
            "R3,Eastern Region,region,DL\nD31,Tatu District,district,R3\n"
        ),
    )
    load_facilities(session, io.StringIO(
        "code,name,kind,area_code\nF1111,Kati Clinic,health_facility,W111\n"
        "O1,Northern Regional Office,office,R1\nF311,Tatu Clinic,health_facility,D31\n"
    ))  # fmt: skip
    for username, role, area, facility in (
        ("clerk.w111", "clerk", "W111", "F1111"),
        ("clerk.d31", "clerk", "D31", "F311"),
        ("registrar.dl", "registrar", "DL", None),
    ):
        users.create_user(session, factories.SETTINGS, username=username, role=role,
                          password=factories.PASSWORD, area_code=area, facility_code=facility,
                          full_name=username)  # fmt: skip
    session.commit()
    registrar = api.as_user("registrar.dl")
    for clerk, facility, office in (
        ("clerk.w111", "F1111", "O11"),  # the ward has none: its district's, not the region's
        ("clerk", "F111", "O11"),
        ("clerk.d31", "F311", None),
    ):
        body = factories.unique()
        body["place"] = {"type": "health_facility", "facility_code": facility}
        record = api.as_user(clerk).declare(body=body)
        response = registrar.post(f"/api/v1/births/{record['id']}/register", json={})
        if office is None:
            assert response.status_code == 409, response.json
            assert "No registration office" in response.json["message"]
            after = registrar.get(f"/api/v1/births/{record['id']}").json
            assert (after["status"], after["registration_number"]) == ("declared", None)
        else:
            assert response.status_code == 200, response.json
            assert response.json["office_code"] == office
            assert response.json["registration_number"].startswith(f"{office}-B")


def approve_delayed(api: ApiClient, kind: str, record_id: str) -> None:
    approved = api.as_user("registrar.r1").post(
        f"/api/v1/{kind}/{record_id}/delayed-approval", json={"note": "paper register seen"}
    )
    assert approved.status_code == 200, approved.json


@pytest.mark.parametrize(
    ("days", "band"),
    [(0, "current"), (30, "current"), (31, "late"), (365, "late"), (366, "delayed")],
)
def test_birth_timeliness_bands_at_their_boundaries(api: ApiClient, days: int, band: str) -> None:
    clerk, registrar = api.as_user("clerk"), api.as_user("registrar")
    body = birth(days, mother={"date_of_birth": "1990-01-01"})
    record = clerk.declare(body=body)
    if band == "delayed":
        approve_delayed(api, "births", record["id"])
    response = registrar.post(
        f"/api/v1/births/{record['id']}/register", json={"reason": "found in the paper register"}
    )
    assert response.status_code == 200, response.json
    assert response.json["timeliness"] == band
    assert (response.json["delayed_reason"] is not None) == (band == "delayed")


@pytest.mark.parametrize(("days", "band"), [(45, "current"), (46, "late"), (366, "delayed")])
def test_death_timeliness_uses_its_own_periods(api: ApiClient, days: int, band: str) -> None:
    record = api.as_user("clerk").declare("deaths", death(days))
    if band == "delayed":
        approve_delayed(api, "deaths", record["id"])
    response = api.as_user("registrar").post(
        f"/api/v1/deaths/{record['id']}/register", json={"reason": "late report"}
    )
    assert response.json["timeliness"] == band


def test_a_delayed_registration_needs_a_reason(api: ApiClient) -> None:
    record = api.as_user("clerk").declare(body=birth(400, mother={"date_of_birth": "1990-01-01"}))
    registrar = api.as_user("registrar")
    response = registrar.post(f"/api/v1/births/{record['id']}/register", json={})
    assert response.status_code == 422
    assert "reason" in response.json["errors"]
    assert registrar.get(f"/api/v1/births/{record['id']}").json["status"] == "declared"


def test_notification_is_completed_into_a_declaration(api: ApiClient) -> None:
    clerk = api.as_user("clerk")
    minimal = {
        "notification": True,
        "child": {"sex": "male", "date_of_birth": days_ago(1).isoformat()},
        "place": {"type": "health_facility", "facility_code": "F111"},
        "mother": {"given_names": "Zawadi", "family_name": "Barasa"},
    }
    notified = clerk.declare(body=minimal)
    assert notified["status"] == "notified"
    registrar = api.as_user("registrar")
    assert registrar.post(f"/api/v1/births/{notified['id']}/register", json={}).status_code == 409
    full = birth(1, child={"given_names": "Baraka", "family_name": "Barasa", "sex": "male"})
    response = clerk.put(f"/api/v1/births/{notified['id']}", json=full)
    assert response.status_code == 200, response.json
    assert response.json["status"] == "declared"
    assert response.json["version"] == 2
    history = clerk.get(f"/api/v1/births/{notified['id']}/history").json["versions"]
    assert [v["kind"] for v in history] == ["notification", "completion"]


def test_a_declaration_needs_the_childs_names_but_a_notification_does_not(
    api: ApiClient,
) -> None:
    body = birth()
    del body["child"]["given_names"]
    response = api.as_user("clerk").post("/api/v1/births", json=body)
    assert response.status_code == 422
    assert "given_names" in response.json["errors"]["json"]["child"]


def test_rejected_records_are_resubmitted(api: ApiClient) -> None:
    clerk, registrar = api.as_user("clerk"), api.as_user("registrar")
    record = clerk.declare()
    rejected = registrar.post(f"/api/v1/births/{record['id']}/reject", json={"reason": "blurred"})
    assert rejected.json["status"] == "rejected"
    assert rejected.json["rejection_reason"] == "blurred"
    assert registrar.post(f"/api/v1/births/{record['id']}/reject", json={}).status_code == 422
    resubmitted = clerk.put(f"/api/v1/births/{record['id']}", json=birth())
    assert resubmitted.json["status"] == "declared"
    assert resubmitted.json["rejection_reason"] is None
    kinds = [
        v["kind"] for v in clerk.get(f"/api/v1/births/{record['id']}/history").json["versions"]
    ]
    assert kinds == ["declaration", "resubmission"]


def test_correction_is_a_new_version_and_old_values_stay_readable(api: ApiClient) -> None:
    clerk, registrar = api.as_user("clerk"), api.as_user("registrar")
    record = clerk.declare()
    number = registrar.post(f"/api/v1/births/{record['id']}/register", json={}).json[
        "registration_number"
    ]
    approved = api.correct(
        "births",
        record["id"],
        {
            "changes": {"child": {"given_names": "Aminah"}},
            "reason": "spelling at declaration",
            "evidence": "clinic card 44/2026",
            "requested_by": "Grace Otieno (mother)",
        },
    )
    assert approved.status_code == 200, approved.json
    assert approved.json["version"] == 2
    response = registrar.get(f"/api/v1/births/{record['id']}")
    assert response.json["child"]["given_names"] == "Aminah"
    assert response.json["version"] == 2
    assert response.json["registration_number"] == number
    versions = registrar.get(f"/api/v1/births/{record['id']}/history").json["versions"]
    assert versions[0]["facts"]["child"]["given_names"] == "Amina"
    assert versions[1]["facts"]["child"]["given_names"] == "Aminah"
    assert versions[1]["reason"] == "spelling at declaration"
    assert versions[1]["evidence"] == "clinic card 44/2026"
    assert versions[1]["requested_by"] == "Grace Otieno (mother)"
    assert versions[1]["approved_by"] == "registrar.r1"


def test_a_correction_is_validated_like_a_declaration(api: ApiClient) -> None:
    record = api.as_user("clerk").declare()
    registrar = api.as_user("registrar")
    registrar.post(f"/api/v1/births/{record['id']}/register", json={})
    response = registrar.post(
        f"/api/v1/births/{record['id']}/corrections",
        json={"changes": {"child": {"sex": "robot"}}, "reason": "x", "evidence": "y"},
    )
    assert response.status_code == 422
    assert response.json["errors"]["changes"]["child"]["sex"]
    missing = registrar.post(
        f"/api/v1/births/{record['id']}/corrections", json={"changes": {"attendant": "doctor"}}
    )
    assert missing.status_code == 422
    assert set(missing.json["errors"]["json"]) == {"reason", "evidence"}


def test_registered_records_are_never_edited_in_place_or_deleted(api: ApiClient) -> None:
    clerk, registrar = api.as_user("clerk"), api.as_user("registrar")
    record = clerk.declare()
    registrar.post(f"/api/v1/births/{record['id']}/register", json={})
    assert registrar.put(f"/api/v1/births/{record['id']}", json=birth()).status_code == 409
    assert registrar.delete(f"/api/v1/births/{record['id']}").status_code == 405
    assert (
        registrar.post(f"/api/v1/births/{record['id']}/reject", json={"reason": "x"}).status_code
        == 409
    )


@pytest.mark.parametrize(
    ("change", "field_path"),
    [
        ({"child": {"date_of_birth": "2999-01-01"}}, ("child", "date_of_birth")),
        ({"mother": {"date_of_birth": "2020-01-01"}}, ("mother", "date_of_birth")),
        ({"mother": {"date_of_birth": "1940-01-01"}}, ("mother", "date_of_birth")),
        ({"child": {"birth_weight_grams": 90000}}, ("child", "birth_weight_grams")),
        ({"place": {"type": "spaceship"}}, ("place", "type")),
        ({"attendant": "wizard"}, ("attendant",)),
        ({"surprise": 1}, ("surprise",)),
    ],
)
def test_bad_birth_fields_are_named(
    api: ApiClient, change: dict[str, object], field_path: tuple[str, ...]
) -> None:
    response = api.as_user("clerk").post("/api/v1/births", json=birth(**change))
    assert response.status_code == 422
    node = response.json["errors"]["json"]
    for part in field_path:
        node = node[part]
    assert node


@pytest.mark.parametrize(
    ("change", "field_path"),
    [
        ({"place": {"facility_code": "NOPE"}}, ("place", "facility_code")),
        ({"mother": {"residence_area_code": "XX9"}}, ("mother", "residence_area_code")),
        ({"place": {"facility_code": "O11"}}, ("place", "facility_code")),
    ],
)
def test_unknown_codes_are_named(
    api: ApiClient, change: dict[str, object], field_path: tuple[str, ...]
) -> None:
    response = api.as_user("clerk").post("/api/v1/births", json=birth(**change))
    assert response.status_code == 422, response.json
    node = response.json["errors"]
    for part in field_path:
        node = node[part]
    assert node


@pytest.mark.parametrize(
    ("change", "field_path"),
    [
        (
            {"deceased": {"date_of_birth": "2026-11-15"}, "date_of_death": "2026-11-10"},
            ("date_of_death",),
        ),
        ({"cause": {"underlying_icd10": "J18.99.9"}}, ("cause", "underlying_icd10")),
        ({"cause": {"underlying_icd10": "S72.0"}}, ("cause", "underlying_icd10")),
        ({"cause": {"underlying_icd10": "Z99"}}, ("cause", "underlying_icd10")),
        ({"cause": {"part1": [{"text": "x", "icd10": "pneumonia"}]}}, ("cause", "part1")),
        ({"cause": {"manner": "boredom"}}, ("cause", "manner")),
        ({"cause": {"pregnancy_status": "pregnant"}}, ("cause", "pregnancy_status")),
    ],
)
def test_bad_death_fields_are_named(
    api: ApiClient, change: dict[str, object], field_path: tuple[str, ...]
) -> None:
    response = api.as_user("clerk").post("/api/v1/deaths", json=death(None, **change))
    assert response.status_code == 422, response.json
    node = response.json["errors"]["json"]
    for part in field_path:
        node = node[part]
    assert node


def test_search_filters_and_pages(api: ApiClient) -> None:
    clerk = api.as_user("clerk")
    for name in ("Otieno", "Otieno", "Mwangi"):
        clerk.declare(body=birth(child={"family_name": name}, mother={"family_name": name}))
    registrar = api.as_user("registrar")
    page = registrar.get("/api/v1/births?family_name=otieno&per_page=1").json
    assert page["total"] == 2
    assert len(page["items"]) == 1
    assert page["items"][0]["family_name"] == "Otieno"
    assert "mother" not in page["items"][0]
    assert registrar.get("/api/v1/births?status=registered").json["total"] == 0
    assert registrar.get("/api/v1/births?area=D11").json["total"] == 3
    assert registrar.get("/api/v1/births?date_from=2999-01-01").json["total"] == 0
    assert registrar.get("/api/v1/births?per_page=1000").status_code == 422
    assert registrar.get("/api/v1/births?area=NOPE").status_code == 422


def test_idempotency_key_replays_the_first_response(api: ApiClient) -> None:
    clerk = api.as_user("clerk")
    headers = {"Idempotency-Key": "retry-1"}
    first = clerk.post("/api/v1/births", json=birth(), headers=headers)
    second = clerk.post("/api/v1/births", json=birth(), headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json == second.json
    assert second.headers["Location"] == first.headers["Location"]
    assert clerk.get("/api/v1/births").json["total"] == 1
    other = clerk.post("/api/v1/births", json=birth(3), headers=headers)
    assert other.status_code == 409


def test_unknown_record_ids_are_404(api: ApiClient) -> None:
    registrar = api.as_user("registrar")
    assert registrar.get("/api/v1/births/00000000-0000-4000-8000-000000000000").status_code == 404
    assert registrar.get("/api/v1/births/not-a-uuid").status_code == 404
    death_id = api.as_user("clerk").declare("deaths")["id"]
    assert registrar.get(f"/api/v1/births/{death_id}").status_code == 404


def test_a_nul_character_is_refused_on_every_database(api: ApiClient) -> None:
    """PostgreSQL cannot store a NUL in text and SQLite would: both refuse it with a 422."""
    signed_in = api.client.post(
        "/api/v1/auth/token", json={"username": "regis\x00trar", "password": "x" * 12}
    )
    assert signed_in.status_code == 422, signed_in.json
    assert signed_in.json["errors"] == {"json": ["Text must not contain NUL characters."]}
    in_a_key = api.client.post("/api/v1/auth/token", json={"user\x00name": "registrar"})
    assert in_a_key.status_code == 422, in_a_key.json
    # A backslash followed by "u0000" is six characters, not a NUL: a wrong password, no more.
    spelt = api.client.post(
        "/api/v1/auth/token", json={"username": "regis\\u0000trar", "password": "x" * 12}
    )
    assert spelt.status_code == 401, spelt.json
    clerk = api.as_user("clerk")
    before = clerk.get("/api/v1/births?per_page=1").json["total"]
    declared = clerk.post("/api/v1/births", json=birth(3, child={"given_names": "Am\x00ina"}))
    assert declared.status_code == 422, declared.json
    searched = clerk.get("/api/v1/births?family_name=Oti%00eno")
    assert searched.status_code == 422
    assert searched.json["errors"] == {"query": ["Text must not contain NUL characters."]}
    assert clerk.get("/api/v1/births?per_page=1&x%00=1").status_code == 422
    assert clerk.get("/api/v1/births?per_page=1").json["total"] == before
