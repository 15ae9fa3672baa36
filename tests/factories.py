"""Explicit builders for test data: reference data, declaration bodies, signed-in clients."""

from __future__ import annotations

import copy
import io
import random
from datetime import date, timedelta
from typing import Any

from alembic import command
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from registry.db import make_engine
from registry.domain import today
from registry.migrations import alembic_config
from registry.models import User
from registry.services import users
from registry.services.areas import load_areas, load_denominators, load_facilities
from registry.services.settings import RegistrySettings

SETTINGS = RegistrySettings(argon2_time_cost=1, argon2_memory_cost=1024)
PASSWORD = "correct-horse-battery"

AREAS = """code,name,level,parent_code
DL,Demoland,country,
R1,Northern Region,region,DL
R2,Southern Region,region,DL
D11,Amani District,district,R1
D12,Baraka District,district,R1
D21,Dunia District,district,R2
"""

FACILITIES = """code,name,kind,area_code
F111,Amani District Hospital,health_facility,D11
F121,Baraka Health Centre,health_facility,D12
F211,Dunia Referral Hospital,health_facility,D21
O11,Amani Civil Registration Office,office,D11
O12,Baraka Civil Registration Office,office,D12
O21,Dunia Civil Registration Office,office,D21
"""

DENOMINATORS = """area_code,year,population_male,population_female,crude_birth_rate,crude_death_rate
D11,2026,1000,1000,30,8
"""

#: username -> (role, area, facility)
USERS: dict[str, tuple[str, str, str | None]] = {
    "admin": ("admin", "DL", None),
    "registrar": ("registrar", "D11", "O11"),
    "registrar.r1": ("registrar", "R1", None),
    "registrar.d21": ("registrar", "D21", "O21"),
    "clerk": ("clerk", "D11", "F111"),
    "clerk.d21": ("clerk", "D21", "F211"),
    "statistician": ("statistician", "DL", None),
}


def migrate(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(url, conn), "head")
    engine.dispose()


def reference_data(session: Session) -> None:
    load_areas(session, io.StringIO(AREAS))
    load_facilities(session, io.StringIO(FACILITIES))
    load_denominators(session, io.StringIO(DENOMINATORS))
    for username, (role, area, facility) in USERS.items():
        users.create_user(
            session,
            SETTINGS,
            username=username,
            password=PASSWORD,
            role=role,
            area_code=area,
            facility_code=facility,
            full_name=username.title(),
        )


def days_ago(days: int) -> date:
    return today() - timedelta(days=days)


BIRTH = {
    "child": {
        "given_names": "Amina",
        "family_name": "Otieno",
        "sex": "female",
        "date_of_birth": "2026-11-02",
        "birth_weight_grams": 3100,
        "type_of_birth": "single",
    },
    "place": {"type": "health_facility", "facility_code": "F111"},
    "attendant": "nurse_midwife",
    "mother": {
        "given_names": "Grace",
        "family_name": "Otieno",
        "date_of_birth": "1995-04-12",
        "residence_area_code": "D11",
        "marital_status": "married",
    },
    "father": {"given_names": "Peter", "family_name": "Otieno"},
    "informant": {"relationship": "mother"},
}

DEATH = {
    "deceased": {
        "given_names": "John",
        "family_name": "Mwangi",
        "sex": "male",
        "date_of_birth": "1950-01-01",
        "residence_area_code": "D11",
    },
    "date_of_death": "2026-11-10",
    "place": {"type": "home", "area_code": "D11"},
    "cause": {
        "part1": [{"text": "Pneumonia", "icd10": "J18.9", "interval": "5 days"}],
        "underlying_icd10": "J18.9",
        "manner": "disease",
        "established_by": "medical_certificate",
    },
    "informant": {"relationship": "child", "given_names": "Mary", "family_name": "Mwangi"},
}


def birth(days_old: int | None = 5, **overrides: Any) -> dict[str, Any]:
    """The issue's birth body, born ``days_old`` days ago, with nested overrides."""
    body = copy.deepcopy(BIRTH)
    if days_old is not None:
        body["child"]["date_of_birth"] = days_ago(days_old).isoformat()
    return merge(body, overrides)


def death(days_old: int | None = 5, **overrides: Any) -> dict[str, Any]:
    body = copy.deepcopy(DEATH)
    if days_old is not None:
        body["date_of_death"] = days_ago(days_old).isoformat()
    return merge(body, overrides)


def unique(kind: str = "births") -> dict[str, Any]:
    """A declaration no earlier one resembles, so registration is never held for review."""
    letters = "bcdfghjklmnprstvz"
    given, family, mother = ("".join(random.choices(letters, k=8)).title() for _ in range(3))
    if kind == "births":
        return birth(
            child={"given_names": given, "family_name": family},
            mother={"given_names": mother, "family_name": family},
        )
    return death(deceased={"given_names": given, "family_name": family})


def merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value)
        else:
            base[key] = value
    return base


class ApiClient:
    """Signs in reference users (tokens issued directly) and calls the API as them."""

    def __init__(self, client: FlaskClient, session: Session) -> None:
        self.client = client
        self.session = session
        self.tokens: dict[str, str] = {}

    def token(self, username: str) -> str:
        if username not in self.tokens:
            user = self.session.scalars(select(User).where(User.username == username)).one()
            token, _ = users.issue_token(self.session, SETTINGS, user)
            self.session.commit()
            self.tokens[username] = token
        return self.tokens[username]

    def as_user(self, username: str) -> SignedIn:
        return SignedIn(self.client, self.token(username))

    def correct(
        self,
        kind: str,
        record_id: str,
        body: dict[str, Any],
        requester: str = "registrar",
        approver: str = "registrar.r1",
    ) -> TestResponse:
        """A correction by four eyes: ``requester`` asks, ``approver`` approves; the
        approval's response (or the request's, when the request fails)."""
        asked = self.as_user(requester).post(f"/api/v1/{kind}/{record_id}/corrections", json=body)
        if asked.status_code != 201:
            return asked
        assert asked.json is not None
        return self.as_user(approver).post(f"/api/v1/corrections/{asked.json['id']}/approve")


class SignedIn:
    def __init__(self, client: FlaskClient, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def _call(self, method: str, url: str, **kwargs: Any) -> TestResponse:
        headers = self.headers | kwargs.pop("headers", {})
        response: TestResponse = getattr(self.client, method)(url, headers=headers, **kwargs)
        return response

    def get(self, url: str, **kwargs: Any) -> TestResponse:
        return self._call("get", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> TestResponse:
        return self._call("post", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> TestResponse:
        return self._call("put", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> TestResponse:
        return self._call("patch", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> TestResponse:
        return self._call("delete", url, **kwargs)

    def declare(self, kind: str = "births", body: dict[str, Any] | None = None) -> dict[str, Any]:
        body = body if body is not None else (birth() if kind == "births" else death())
        response = self.post(f"/api/v1/{kind}", json=body)
        assert response.status_code == 201, response.json
        assert response.json is not None
        return response.json
