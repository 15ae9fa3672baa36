"""Role x route for the pages added with duplicates, certificates, verification and statistics.

Built from the app's url map: every route of those page modules must have a row here, so a new
route without one fails. Anonymous users are sent to sign in (except on /verify); the others get
what their role and area allow (a 4xx from the form's own checks counts as "let in").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.models import DuplicateCandidate
from registry.web import certificate_pages, duplicate_pages, stats_pages
from tests.factories import birth
from tests.test_registry.test_web_support import Web

MODULES = {m.__name__ for m in (duplicate_pages, certificate_pages, stats_pages)}
USERS = ("anonymous", "clerk", "registrar", "registrar.d21", "statistician")
IN = "in"  # let in: the page or the form's own answer (200, 303, 409, 422)
SIGN_IN = 302
NO = 403


def row(anonymous: Any, clerk: Any, registrar: Any, d21: Any, statistician: Any) -> dict[str, Any]:
    return dict(zip(USERS, (anonymous, clerk, registrar, d21, statistician), strict=True))


#: (endpoint, method) -> expected answer per user
MATRIX: dict[tuple[str, str], dict[str, Any]] = {
    ("web.duplicate", "GET"): row(SIGN_IN, NO, IN, NO, NO),
    ("web.decide_duplicate", "POST"): row(SIGN_IN, NO, IN, NO, NO),
    ("web.issue_certificate", "POST"): row(SIGN_IN, NO, IN, NO, NO),
    ("web.revoke_certificate", "POST"): row(SIGN_IN, NO, IN, NO, NO),
    ("web.verify", "GET"): row(IN, IN, IN, IN, IN),
    ("web.verify", "POST"): row(IN, IN, IN, IN, IN),
    ("web.statistics", "GET"): row(SIGN_IN, NO, NO, NO, IN),
    ("web.statistics_download", "GET"): row(SIGN_IN, NO, NO, NO, IN),
}


def _routes(app: Flask) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if getattr(view, "__module__", "") in MODULES:
            found |= {(rule.endpoint, m) for m in rule.methods or () if m in ("GET", "POST")}
    return found


def test_every_new_page_route_is_in_the_matrix(app: Flask) -> None:
    assert _routes(app) == set(MATRIX)


@pytest.fixture
def urls(client: FlaskClient, session: Session, app: Flask, signing: Path) -> dict[str, str]:
    web = Web(client, session)
    clerk, registrar = web.api.as_user("clerk"), web.api.as_user("registrar")
    first = clerk.declare(body=birth(4))
    clerk.declare(body=birth(4))
    assert registrar.post(f"/api/v1/births/{first['id']}/register", json={}).status_code == 200
    issued = registrar.post(
        f"/api/v1/births/{first['id']}/certificates",
        json={"collector": {"name": "Grace Otieno", "relationship": "mother"}},
    )
    assert issued.status_code == 201
    candidate = session.scalars(select(DuplicateCandidate)).one()
    args = {
        "kind": "births",
        "record_id": first["id"],
        "candidate_id": candidate.id,
        "serial": issued.headers["X-Certificate-Serial"],
        "table": "coverage",
        "fmt": "csv",
    }
    out = {}
    with app.test_request_context():
        from flask import url_for

        for endpoint, _method in MATRIX:
            rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
            url = url_for(endpoint, **{k: args[k] for k in rule.arguments})
            out[endpoint] = url + ("?year=2026" if "statistics" in endpoint else "")
    return out


@pytest.mark.parametrize("user", USERS)
def test_who_may_open_the_new_pages(
    client: FlaskClient, session: Session, urls: dict[str, str], user: str
) -> None:
    web = Web(client, session)
    if user != "anonymous":
        web.as_user(user)
    for (endpoint, method), expected_by_user in MATRIX.items():
        expected = expected_by_user[user]
        url = urls[endpoint]
        response = web.get(url) if method == "GET" else web.post(url, {})
        got = response.status_code
        if expected == IN:
            assert got in (200, 303, 409, 422), (user, endpoint, method, got)
        else:
            assert got == expected, (user, endpoint, method, got)
            if expected == SIGN_IN:
                assert response.headers["Location"].startswith("/login")
        assert response.headers["Cache-Control"] == "no-store"


def test_the_new_forms_need_a_csrf_token(client: FlaskClient, urls: dict[str, str]) -> None:
    for (endpoint, method), _expected in MATRIX.items():
        if method == "POST":
            assert client.post(urls[endpoint], data={}).status_code == 400, endpoint
