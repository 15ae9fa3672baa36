"""Role by route by area: every API route is in the matrix, and every cell holds.

The routes come from the app's url map, so a new route without an entry fails
``test_every_route_is_in_the_matrix``. A record declared in district D11 is the target; the
"other" users work in district D21.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests import factories
from tests.factories import ApiClient

PEOPLE = {
    "anonymous": None,
    "clerk": "clerk",
    "registrar": "registrar",
    "regional registrar": "registrar.r1",
    "other clerk": "clerk.d21",
    "other registrar": "registrar.d21",
    "statistician": "statistician",
    "admin": "admin",
}
OK = "ok"  # neither 401 nor 403

Body = Callable[[], dict[str, Any] | None]


def everyone_signed_in(anonymous: int = 401) -> dict[str, int | str]:
    return {who: (anonymous if who == "anonymous" else OK) for who in PEOPLE}


def only(*allowed: str, outside: int = 403) -> dict[str, int | str]:
    """Allowed people get OK; "other" people (outside the area) get ``outside``."""
    cells: dict[str, int | str] = {}
    for who in PEOPLE:
        if who == "anonymous":
            cells[who] = 401
        elif who in allowed:
            cells[who] = OK
        elif who.startswith("other") and who.removeprefix("other ") in allowed:
            cells[who] = outside
        else:
            cells[who] = 403
    return cells


RECORD_READERS = ("clerk", "registrar", "regional registrar")
DECLARED = {"births": factories.birth, "deaths": factories.death}

#: (endpoint, method) -> (path template, body builder, expectations by person)
MATRIX: dict[tuple[str, str], tuple[str, Body, dict[str, int | str]]] = {
    ("auth.Token", "POST"): (
        "/api/v1/auth/token",
        lambda: {"username": "clerk", "password": factories.PASSWORD},
        dict.fromkeys(PEOPLE, OK),
    ),
    ("auth.Token", "DELETE"): ("/api/v1/auth/token", lambda: None, everyone_signed_in()),
    ("api-docs.openapi_json", "GET"): (
        "/api/v1/openapi.json",
        lambda: None,
        dict.fromkeys(PEOPLE, OK),
    ),
    ("swagger.docs", "GET"): ("/api/v1/docs/", lambda: None, dict.fromkeys(PEOPLE, OK)),
    ("swagger.asset", "GET"): (
        "/api/v1/docs/assets/swagger-ui.css",
        lambda: None,
        dict.fromkeys(PEOPLE, OK),
    ),
    ("duplicates.Duplicates", "GET"): (
        "/api/v1/duplicates?status=open",
        lambda: None,
        only("registrar", "regional registrar", "other registrar"),
    ),
    ("duplicates.Decision", "POST"): (
        "/api/v1/duplicates/{candidate}/decision",
        lambda: {"decision": "not_duplicate", "note": "checked"},
        only("registrar", "regional registrar"),
    ),
    ("duplicates.Reopen", "POST"): (
        "/api/v1/duplicates/{candidate}/reopen",
        lambda: {"reason": "checked again"},
        only("registrar", "regional registrar"),
    ),
    ("duplicates.Cancel", "POST"): (
        "/api/v1/duplicates/{candidate}/cancel",
        lambda: {"reason": "same child", "evidence": "clinic card"},
        only("registrar", "regional registrar"),
    ),
    ("corrections.Requests", "GET"): (
        "/api/v1/corrections?status=pending",
        lambda: None,
        only("registrar", "regional registrar", "other registrar"),
    ),
    ("corrections.Request", "GET"): (
        "/api/v1/corrections/{correction}",
        lambda: None,
        only("registrar", "regional registrar"),
    ),
    # The regional registrar requested it: a second registrar approves.
    ("corrections.Approve", "POST"): (
        "/api/v1/corrections/{correction}/approve",
        lambda: None,
        only("registrar"),
    ),
    ("corrections.Reject", "POST"): (
        "/api/v1/corrections/{correction}/reject",
        lambda: {"reason": "no evidence"},
        only("registrar", "regional registrar"),
    ),
    ("stats.StatsTable", "GET"): (
        "/api/v1/stats/coverage?year=2026",
        lambda: None,
        only("statistician", "admin"),
    ),
    ("certificates.Verify", "POST"): (
        "/api/v1/certificates/verify",
        lambda: {"payload": "CRVS1:not-a-real-payload"},
        dict.fromkeys(PEOPLE, OK),
    ),
    ("certificates.Revoke", "POST"): (
        "/api/v1/certificates/{serial}/revoke",
        lambda: {"reason": "lost"},
        only("registrar", "regional registrar"),
    ),
    ("admin.Areas", "GET"): ("/api/v1/areas?q=D", lambda: None, everyone_signed_in()),
    ("admin.Facilities", "GET"): ("/api/v1/facilities?q=F", lambda: None, everyone_signed_in()),
    ("admin.Users", "GET"): ("/api/v1/users", lambda: None, only("admin")),
    ("admin.Users", "POST"): (
        "/api/v1/users",
        lambda: {
            "username": "newbie",
            "password": "long-password-1",
            "role": "clerk",
            "area": "D11",
        },
        only("admin"),
    ),
    ("admin.UserItem", "PATCH"): (
        "/api/v1/users/clerk.d21",
        lambda: {"full_name": "Dunia Clerk"},
        only("admin"),
    ),
    # The admin comes last in PEOPLE: the reset ends clerk.d21's token after its own turn.
    ("admin.ResetPassword", "POST"): (
        "/api/v1/users/clerk.d21/reset-password",
        dict,
        only("admin"),
    ),
}
for kind, builder in DECLARED.items():
    MATRIX |= {
        (f"{kind}.Collection", "GET"): (
            f"/api/v1/{kind}",
            lambda: None,
            only(*RECORD_READERS, "other clerk", "other registrar"),
        ),
        (f"{kind}.Collection", "POST"): (f"/api/v1/{kind}", builder, only(*RECORD_READERS)),
        (f"{kind}.Check", "POST"): (f"/api/v1/{kind}/check", builder, only(*RECORD_READERS)),
        (f"{kind}.Item", "GET"): (f"/api/v1/{kind}/{{id}}", lambda: None, only(*RECORD_READERS)),
        (f"{kind}.Item", "PUT"): (f"/api/v1/{kind}/{{id}}", builder, only(*RECORD_READERS)),
        (f"{kind}.History", "GET"): (
            f"/api/v1/{kind}/{{id}}/history",
            lambda: None,
            only(*RECORD_READERS),
        ),
        (f"{kind}.Register", "POST"): (
            f"/api/v1/{kind}/{{id}}/register",
            dict,
            only("registrar", "regional registrar"),
        ),
        # The record is a delayed one: only a registrar of the region may approve it.
        (f"{kind}.DelayedApproval", "POST"): (
            f"/api/v1/{kind}/{{id}}/delayed-approval",
            lambda: {"note": "paper register seen"},
            only("regional registrar"),
        ),
        (f"{kind}.Reject", "POST"): (
            f"/api/v1/{kind}/{{id}}/reject",
            lambda: {"reason": "illegible"},
            only("registrar", "regional registrar"),
        ),
        (f"certificates.{kind}_certificates", "POST"): (
            f"/api/v1/{kind}/{{id}}/certificates",
            lambda: {"collector": {"name": "Grace", "relationship": "mother"}},
            only("registrar", "regional registrar"),
        ),
        (f"certificates.{kind}_certificates", "GET"): (
            f"/api/v1/{kind}/{{id}}/certificates",
            lambda: None,
            only(*RECORD_READERS),
        ),
        (f"{kind}.Corrections", "POST"): (
            f"/api/v1/{kind}/{{id}}/corrections",
            lambda: {
                "changes": {"informant": {"relationship": "aunt"}},
                "reason": "r",
                "evidence": "e",
            },
            only("registrar", "regional registrar"),
        ),
    }

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def api_routes(app: Flask) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        for method in rule.methods or ():
            if method not in IGNORED_METHODS:
                routes.add((rule.endpoint, method))
    return routes


def test_every_route_is_in_the_matrix(app: Flask) -> None:
    missing = api_routes(app) - set(MATRIX)
    assert not missing, f"routes without an authorisation entry: {sorted(missing)}"
    stale = set(MATRIX) - api_routes(app)
    assert not stale, f"matrix entries without a route: {sorted(stale)}"


@pytest.mark.parametrize("route", sorted(MATRIX), ids=lambda r: f"{r[1]} {r[0]}")
def test_each_person_gets_what_the_matrix_says(
    api: ApiClient, signing: Path, route: tuple[str, str]
) -> None:
    endpoint, method = route
    template, body, expected = MATRIX[route]
    kind = "deaths" if "deaths" in endpoint else "births"
    outcomes: dict[str, int | str] = {}
    for who, username in PEOPLE.items():
        body_declared = factories.unique(kind)
        if endpoint.endswith("DelayedApproval"):
            born = factories.days_ago(400).isoformat()
            at = ("child", "date_of_birth") if kind == "births" else ("date_of_death",)
            factories.merge(
                body_declared, {at[0]: {at[1]: born}} if len(at) == 2 else {at[0]: born}
            )
        record = api.as_user("clerk").declare(kind, body_declared)  # a fresh D11 record
        registered = ("Corrections", "_certificates")
        if endpoint.endswith(registered) or "{serial}" in template or "{correction}" in template:
            api.as_user("registrar").post(f"/api/v1/{kind}/{record['id']}/register", json={})
        correction = ""
        if "{correction}" in template:
            correction = (
                api.as_user("registrar.r1")
                .post(
                    f"/api/v1/{kind}/{record['id']}/corrections",
                    json={"changes": {"attendant": "doctor"}, "reason": "r", "evidence": "e"},
                )
                .json["id"]
            )
        serial = ""
        if "{serial}" in template:
            issued = api.as_user("registrar").post(
                f"/api/v1/{kind}/{record['id']}/certificates",
                json={"collector": {"name": "Grace", "relationship": "mother"}},
            )
            serial = issued.headers["X-Certificate-Serial"]
        candidate = ""
        if "{candidate}" in template:
            api.as_user("clerk").declare(kind, body_declared)  # again: a suspected duplicate
            candidate = (
                api.as_user("registrar")
                .get("/api/v1/duplicates?status=open")
                .json["items"][0]["id"]
            )
        path = template.format(
            id=record["id"], candidate=candidate, serial=serial, correction=correction
        )
        payload = body()
        caller: Any = api.client if username is None else api.as_user(username)
        kwargs: dict[str, Any] = {} if payload is None else {"json": payload}
        if endpoint == "auth.Token" and method == "DELETE" and username is not None:
            caller = api.as_user(username)
        response = getattr(caller, method.lower())(path, **kwargs)
        assert response.status_code < 500, (who, response.json)
        status = response.status_code
        response.close()
        outcomes[who] = OK if status not in (401, 403) else status
        if endpoint == "auth.Token" and method == "DELETE" and username is not None:
            api.tokens.pop(username)  # that token is revoked now
    assert outcomes == expected
