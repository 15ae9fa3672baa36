"""Offline capture on the server: the device's time of declaration, the manifest and worker,
the outbox's token, the clerk's reference data and the masked duplicates."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from babel.dates import format_date
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.models import ApiToken, Record, User
from registry.web import offline_pages
from tests.factories import ApiClient, birth, days_ago, death, unique
from tests.test_registry.test_web_support import Web, birth_form


@pytest.fixture
def web(client: FlaskClient, session: Session) -> Web:
    return Web(client, session)


def at(day_offset: int, time: str = "10:00:00", zone: str = "+00:00") -> str:
    """An ISO time ``day_offset`` days from today (negative: in the past)."""
    return f"{days_ago(-day_offset).isoformat()}T{time}{zone}"


def future(minutes: int) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


# -- the device's time of declaration -------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "declared_at", "accepted"),
    [
        # (day offset from today, time, zone): computed when the test runs, not when collected
        ("births", (-1, "10:00:00", "+00:00"), True),
        ("births", (-5, "10:00:00", "+00:00"), True),  # the day of the birth itself
        ("births", (-6, "23:59:00", "+00:00"), False),  # the day before the birth
        # 01:00 in UTC+05:00 on the day of the birth is still the day before in UTC
        ("births", (-5, "01:00:00", "+05:00"), True),
        ("births", (-5, "22:00:00", "-05:00"), True),
        ("births", "2026-13-01T10:00:00", False),
        ("births", "yesterday", False),
        ("births", None, True),
        ("deaths", (-5, "10:00:00", "+00:00"), True),
        ("deaths", (-6, "10:00:00", "+00:00"), False),
    ],
)
def test_the_device_time_is_validated_against_the_event(
    api: ApiClient, kind: str, declared_at: tuple[int, str, str] | str | None, accepted: bool
) -> None:
    """It accepts a device time from the day of the event on, read in the device's own zone,
    and refuses one before the event or not a time, naming the field."""
    when = at(*declared_at) if isinstance(declared_at, tuple) else declared_at
    body = (birth() if kind == "births" else death()) | {"declared_at_device": when}
    response = api.as_user("clerk").post(f"/api/v1/{kind}", json=body)
    if accepted:
        assert response.status_code == 201, response.json
    else:
        assert response.status_code == 422
        assert "declared_at_device" in response.json["errors"]["json"]


@pytest.mark.parametrize(("minutes", "accepted"), [(5, True), (9, True), (30, False)])
def test_a_device_clock_ahead_is_allowed_a_small_skew(
    api: ApiClient, minutes: int, accepted: bool
) -> None:
    """It allows a device clock up to ten minutes ahead of the registry's, no more."""
    body = birth() | {"declared_at_device": future(minutes)}
    response = api.as_user("clerk").post("/api/v1/births", json=body)
    assert response.status_code == (201 if accepted else 422), response.json
    if not accepted:
        messages = response.json["errors"]["json"]["declared_at_device"]
        assert messages == ["Must not be in the future (check the device's clock)."]


def test_both_times_are_kept_and_shown(api: ApiClient, session: Session) -> None:
    """It stores the device's time beside the receipt time, returns both (in UTC) on the
    record and its history, and keeps the device's time out of the version's facts."""
    clerk = api.as_user("clerk")
    declared = at(-2, "08:30:00", "+03:00")
    doc = clerk.declare("births", birth() | {"declared_at_device": declared})
    assert doc["declared_at_device"] == f"{days_ago(2).isoformat()}T05:30:00+00:00"
    received = datetime.fromisoformat(doc["created_at"])
    assert abs(received - datetime.now(UTC)) < timedelta(minutes=1)
    again = clerk.get(f"/api/v1/births/{doc['id']}").json
    assert again["declared_at_device"] == doc["declared_at_device"]
    history = clerk.get(f"/api/v1/births/{doc['id']}/history").json
    assert history["declared_at_device"] == doc["declared_at_device"]
    assert "declared_at_device" not in history["versions"][0]["facts"]
    record = session.get(Record, doc["id"])
    assert record is not None and record.declared_at_device is not None
    plain = clerk.declare("births", unique())
    assert plain["declared_at_device"] is None


def test_timeliness_counts_from_the_event_not_the_device_time(api: ApiClient) -> None:
    """It bands a registration by the event and registration dates even when the device
    declared it within the current period (declared on day 10, received and registered on
    day 40: late)."""
    body = unique() | {"declared_at_device": at(-30)}
    body["child"]["date_of_birth"] = days_ago(40).isoformat()
    doc = api.as_user("clerk").declare("births", body)
    registered = api.as_user("registrar").post(f"/api/v1/births/{doc['id']}/register", json={})
    assert registered.status_code == 200, registered.json
    assert registered.json["timeliness"] == "late"
    assert registered.json["declared_at_device"] == doc["declared_at_device"]


def test_the_device_time_is_not_corrected_and_survives_corrections(api: ApiClient) -> None:
    """It refuses a correction of the time of declaration and keeps it across a correction."""
    doc = api.as_user("clerk").declare("births", unique() | {"declared_at_device": at(-1)})
    registrar = api.as_user("registrar")
    assert registrar.post(f"/api/v1/births/{doc['id']}/register", json={}).status_code == 200
    refused = registrar.post(
        f"/api/v1/births/{doc['id']}/corrections",
        json={"changes": {"declared_at_device": at(-2)}, "reason": "r", "evidence": "e"},
    )
    assert refused.status_code == 422
    assert "changes.declared_at_device" in json.dumps(refused.json["errors"]).replace('": {"', ".")
    corrected = api.correct(
        "births",
        doc["id"],
        {"changes": {"child": {"given_names": "Other"}}, "reason": "r", "evidence": "e"},
    )
    assert corrected.status_code == 200, corrected.json
    now = registrar.get(f"/api/v1/births/{doc['id']}").json
    assert now["child"]["given_names"] == "Other"
    assert now["declared_at_device"] == doc["declared_at_device"]


def test_the_record_page_says_declared_offline_and_received(web: Web) -> None:
    """It shows "declared offline at …, received …" on the record and its first version, and
    a registrar's correction form still works on such a record."""
    doc = web.api.as_user("clerk").declare(
        "births", birth() | {"declared_at_device": at(-1, "07:15:00")}
    )
    plain = web.api.as_user("clerk").declare("births", unique())
    web.as_user("registrar")
    page = web.text(web.get(f"/births/{doc['id']}"))
    shown = re.findall(r"declared offline at (.+?) UTC, received (.+?) UTC", page)
    assert len(shown) == 2  # the summary and the history of versions
    assert shown[0][0] == f"{format_date(days_ago(1), 'medium', locale='en')} 07:15"
    assert "declared offline" not in web.text(web.get(f"/births/{plain['id']}"))
    assert web.post(f"/births/{doc['id']}/register", {}).status_code == 303
    corrected = web.post(
        f"/births/{doc['id']}/correct",
        birth_form(
            **{"child.date_of_birth": birth()["child"]["date_of_birth"]},
            **{"child.given_names": "Aminah"},
            reason="Spelling",
            evidence="ID card",
        ),
    )
    assert corrected.status_code == 303, web.text(corrected)


def test_the_record_page_is_translated(web: Web) -> None:
    """It says the two times in French when the page is in French."""
    doc = web.api.as_user("clerk").declare("births", birth() | {"declared_at_device": at(-1)})
    web.as_user("clerk")
    web.post("/language", {"lang": "fr"})
    page = web.text(web.get(f"/births/{doc['id']}"))
    assert "déclaré hors ligne le" in page
    assert "reçu le" in page


# -- manifest and service worker ------------------------------------------------------------------


def test_the_manifest_is_public_and_local(client: FlaskClient) -> None:
    """It serves an installable manifest whose icons are the registry's own files."""
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data(as_text=True))
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    for icon in manifest["icons"]:
        assert icon["src"].startswith("/static/")
        icon_response = client.get(icon["src"])
        assert icon_response.status_code == 200
        icon_response.close()


def _worker_config(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    first_line = response.get_data(as_text=True).split("\n", 1)[0]
    match = re.fullmatch(r"self\.CRVS_OFFLINE = (.*);", first_line)
    assert match, first_line
    config: dict[str, Any] = json.loads(match.group(1))
    return config


def test_the_worker_caches_forms_and_static_files_only(client: FlaskClient) -> None:
    """It names its cache after the version and the files' hash, precaches every local
    static file, and keeps only the blank forms, the outbox and the reference data."""
    config = _worker_config(client)
    assert re.fullmatch(r"crvs-[0-9.a-z+]+-[0-9a-f]{12}", config["cache"])
    assert config == _worker_config(client)  # the same on every request
    assert "/static/css/registry.css" in config["static"]
    assert "/static/js/offline/outbox.js" in config["static"]
    assert "/static/js/offline/sw.js" not in config["static"]
    assert all(path.startswith("/static/") for path in config["static"])
    for path in config["static"]:
        response = client.get(path)
        assert response.status_code == 200, path
        response.close()
    assert config["pages"] == ["/births/new", "/deaths/new", "/outbox"]
    assert config["data"] == ["/outbox/reference.json"]


def test_the_cache_name_changes_with_the_static_files(app: Flask, tmp_path: Any) -> None:
    """It derives the cache name from the static files, so a changed file renews the cache."""
    with app.test_request_context():
        first = offline_pages.cache_name()
        assert offline_pages.cache_name() == first
    fresh = Flask("registry", static_folder=str(tmp_path), root_path=app.root_path)
    source = offline_pages.Path(app.static_folder or "")
    for name in ("css/registry.css", "js/offline/sw.js"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes((source / name).read_bytes())
    with fresh.test_request_context():
        before = offline_pages.cache_name()
    (tmp_path / "css/registry.css").write_text("body { color: red; }")
    fresh.extensions.pop(offline_pages.CACHE_KEY)
    with fresh.test_request_context():
        assert offline_pages.cache_name() != before


def test_pages_allow_the_worker_and_manifest(client: FlaskClient) -> None:
    """It allows a same-origin worker and manifest in the CSP, nothing from elsewhere."""
    csp = client.get("/login").headers["Content-Security-Policy"]
    assert "worker-src 'self'" in csp
    assert "manifest-src 'self'" in csp
    assert "http" not in csp


def test_signed_in_declarers_get_the_outbox_hooks(web: Web) -> None:
    """It marks pages with the outbox's owner for clerks and registrars only, and the
    declaration form with its kind."""
    assert "data-outbox-user" not in web.text(web.get("/login"))
    web.as_user("clerk")
    clerk = web.session.scalars(select(User).where(User.username == "clerk")).one()
    page = web.text(web.get("/births/new"))
    assert f'data-outbox-user="{clerk.id}"' in page
    assert 'data-outbox-kind="births"' in page
    assert 'id="outbox-texts"' in page
    key = re.search(r'data-outbox-key="([A-Za-z0-9_-]{43})"', page)
    assert key, "no outbox key on the page"
    web.post("/logout")
    web.as_user("clerk")  # a new session of the same user: the same key
    assert key.group(0) in web.text(web.get("/outbox"))
    web.post("/logout")
    web.as_user("registrar")
    other = re.search(r'data-outbox-key="([^"]+)"', web.text(web.get("/births/new")))
    assert other and other.group(1) != key.group(1)
    web.post("/logout")
    web.as_user("statistician")
    page = web.text(web.get("/statistics"))
    assert "data-outbox-user" not in page and "data-outbox-key" not in page


# -- the outbox's session, token, reference data and duplicates -----------------------------------


def _session(web: Web) -> dict[str, Any]:
    response = web.get("/outbox/session")
    assert response.status_code == 200
    answer: dict[str, Any] = response.json or {}
    return answer


def test_the_outbox_token_is_short_lived_and_for_its_owner_only(web: Web, session: Session) -> None:
    """It issues a bearer token of at most five minutes to the signed-in owner of the outbox,
    with the CSRF header only, and refuses it for another user's outbox."""
    assert web.get("/outbox/session").status_code == 401
    assert web.client.post("/outbox/token", json={"user_id": 1}).status_code == 400  # no CSRF
    web.as_user("clerk")
    who = _session(web)
    headers = {"X-CSRFToken": who["csrf_token"]}
    assert web.client.post("/outbox/token", json={"user_id": 1}).status_code == 400
    other = web.client.post(
        "/outbox/token", json={"user_id": who["user_id"] + 1000}, headers=headers
    )
    assert other.status_code == 409
    response = web.client.post("/outbox/token", json={"user_id": who["user_id"]}, headers=headers)
    assert response.status_code == 200
    token = response.json["token"]
    expires = datetime.fromisoformat(response.json["expires_at"])
    assert timedelta(minutes=4) < expires - datetime.now(UTC) <= timedelta(minutes=5)
    row = session.scalars(select(ApiToken).order_by(ApiToken.id.desc())).first()
    assert row is not None and row.user_id == who["user_id"]
    bearer = {"Authorization": f"Bearer {token}", "Idempotency-Key": "k-offline-1"}
    body = unique() | {"declared_at_device": at(-1)}
    first = web.client.post("/api/v1/births", json=body, headers=bearer)
    assert first.status_code == 201, first.json
    replay = web.client.post("/api/v1/births", json=body, headers=bearer)
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json["id"] == first.json["id"]
    web.post("/logout")
    web.as_user("statistician")
    who = _session(web)
    refused = web.client.post(
        "/outbox/token",
        json={"user_id": who["user_id"]},
        headers={"X-CSRFToken": who["csrf_token"]},
    )
    assert refused.status_code == 403


@pytest.mark.parametrize(
    ("username", "areas", "facilities"),
    [
        ("clerk", {"D11"}, {"F111", "O11"}),
        ("clerk.d21", {"D21"}, {"F211", "O21"}),
        ("registrar.r1", {"R1", "D11", "D12"}, {"F111", "F121", "O11", "O12"}),
    ],
)
def test_reference_data_covers_the_clerks_area_only(
    web: Web, username: str, areas: set[str], facilities: set[str]
) -> None:
    """It gives the areas and facilities of the user's own subtree, and the choice lists."""
    web.as_user(username)
    response = web.get("/outbox/reference.json")
    assert response.status_code == 200
    data = response.json
    assert {a["code"] for a in data["areas"]} == areas
    assert {f["code"] for f in data["facilities"]} == facilities
    assert ["female", "Female"] in data["choices"]["child.sex"]
    assert "cause.manner" in data["choices"]


def test_reference_data_needs_a_declarer(web: Web) -> None:
    """It answers 401 to nobody and 403 to a statistician."""
    assert web.get("/outbox/reference.json").status_code == 401
    web.as_user("statistician")
    assert web.get("/outbox/reference.json").status_code == 403


def test_duplicates_of_a_sent_item_are_masked(web: Web) -> None:
    """It shows a suspected duplicate's initials, month and area, never its names, and only
    inside the user's area."""
    clerk = web.api.as_user("clerk")
    clerk.declare("births", birth())
    second = clerk.declare("births", birth())
    web.as_user("clerk")
    response = web.get(f"/outbox/births/{second['id']}/duplicates")
    assert response.status_code == 200
    found = response.json
    assert found["open"] == 1
    candidate = found["candidates"][0]
    assert candidate["given_names"] == "A•••" and candidate["family_name"] == "O•••"
    assert candidate["event_month"] == birth()["child"]["date_of_birth"][:7]
    assert "Amina" not in response.get_data(as_text=True)
    single = clerk.declare("births", unique())
    assert web.get(f"/outbox/births/{single['id']}/duplicates").json["open"] == 0
    missing = "00000000-0000-4000-8000-000000000000"
    assert web.get(f"/outbox/births/{missing}/duplicates").status_code == 404
    web.post("/logout")
    web.as_user("clerk.d21")
    assert web.get(f"/outbox/births/{second['id']}/duplicates").status_code == 403


# -- every route of the module, by role -----------------------------------------------------------

USERS = ("anonymous", "clerk", "statistician")
#: (endpoint, method) -> expected status per user (anonymous, clerk, statistician)
MATRIX: dict[tuple[str, str], tuple[int, int, int]] = {
    ("web.manifest", "GET"): (200, 200, 200),
    ("web.service_worker", "GET"): (200, 200, 200),
    ("web.outbox", "GET"): (302, 200, 403),
    ("web.outbox_session", "GET"): (401, 200, 200),
    ("web.outbox_token", "POST"): (401, 409, 409),  # a user_id that is nobody's
    ("web.reference_data", "GET"): (401, 200, 403),
    ("web.outbox_duplicates", "GET"): (401, 404, 403),
}
URLS = {
    "web.outbox_duplicates": "/outbox/births/00000000-0000-4000-8000-000000000000/duplicates",
}


def test_every_offline_route_is_in_the_matrix(app: Flask) -> None:
    """It fails when a route of the offline module has no row in the matrix."""
    found = set()
    for rule in app.url_map.iter_rules():
        if app.view_functions[rule.endpoint].__module__ == offline_pages.__name__:
            found |= {(rule.endpoint, m) for m in rule.methods or () if m in ("GET", "POST")}
    assert found == set(MATRIX)


@pytest.mark.parametrize("user", USERS)
def test_each_role_gets_what_the_matrix_says(app: Flask, web: Web, user: str) -> None:
    """It lets each role reach the offline routes as the matrix says."""
    if user != "anonymous":
        web.as_user(user)
    csrf = _session(web)["csrf_token"] if user != "anonymous" else web.token()
    rules = {rule.endpoint: rule.rule for rule in app.url_map.iter_rules()}
    for (endpoint, method), expected in MATRIX.items():
        url = URLS.get(endpoint, rules[endpoint])
        if method == "GET":
            response = web.get(url)
        else:
            response = web.client.post(url, json={"user_id": -1}, headers={"X-CSRFToken": csrf})
        assert response.status_code == expected[USERS.index(user)], (endpoint, user)
