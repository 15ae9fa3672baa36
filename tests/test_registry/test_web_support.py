"""Helpers for the page tests: a browser-like client that signs in and sends CSRF tokens."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from tests.factories import PASSWORD, ApiClient, days_ago

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class Web:
    """Signs reference users in through the sign-in form and posts forms with their token."""

    def __init__(self, client: FlaskClient, session: Session) -> None:
        self.client = client
        self.session = session
        self.api = ApiClient(client, session)

    def token(self, url: str = "/login") -> str:
        page = self.client.get(url, follow_redirects=True)
        match = TOKEN.search(page.get_data(as_text=True))
        assert match, f"no CSRF token on {url}"
        return match.group(1)

    def sign_in(self, username: str, password: str = PASSWORD) -> TestResponse:
        data = {"username": username, "password": password, "csrf_token": self.token()}
        return self.client.post("/login", data=data)

    def as_user(self, username: str) -> Web:
        response = self.sign_in(username)
        assert response.status_code == 303, response.get_data(as_text=True)
        return self

    def get(self, url: str, **kwargs: Any) -> TestResponse:
        return self.client.get(url, **kwargs)

    def post(self, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> TestResponse:
        form = {"csrf_token": self.token("/login")} | (data or {})
        return self.client.post(url, data=form, **kwargs)

    def text(self, response: TestResponse) -> str:
        return response.get_data(as_text=True)


def birth_form(**overrides: str) -> dict[str, str]:
    """A complete birth declaration as the form posts it (flat, dotted names)."""
    form = {
        "child.given_names": "Amina",
        "child.family_name": "Otieno",
        "child.sex": "female",
        "child.date_of_birth": days_ago(5).isoformat(),
        "child.type_of_birth": "single",
        "child.birth_weight_grams": "3100",
        "place.type": "health_facility",
        "place.facility_code": "F111",
        "attendant": "nurse_midwife",
        "mother.given_names": "Grace",
        "mother.family_name": "Otieno",
        "mother.date_of_birth": "1995-04-12",
        "mother.residence_area_code": "D11",
        "mother.marital_status": "married",
        "informant.relationship": "mother",
    }
    return form | overrides


def death_form(**overrides: str) -> dict[str, str]:
    form = {
        "deceased.given_names": "John",
        "deceased.family_name": "Mwangi",
        "deceased.sex": "male",
        "deceased.date_of_birth": "1950-01-01",
        "deceased.residence_area_code": "D11",
        "date_of_death": days_ago(5).isoformat(),
        "place.type": "home",
        "place.area_code": "D11",
        "cause.part1.0.text": "Pneumonia",
        "cause.part1.0.icd10": "J18.9",
        "cause.part1.0.interval": "5 days",
        "cause.underlying_icd10": "J18.9",
        "cause.manner": "disease",
        "cause.established_by": "medical_certificate",
    }
    return form | overrides
