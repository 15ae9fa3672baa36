"""The registry's SQL alone, for bench/api_throughput.py: what declare and register cost without
the registry's Python (validation, duplicate scoring, the ORM, flask-smorest, marshmallow).

Each request runs the registry's own prebuilt statements, in the same order and with the same
parameters, by Core on one connection, and commits: a declaration is the token look-up, the
look-up of the facility and the residence (one statement), the record, version and blocking-key
inserts, the candidate look-up (its rows are fetched, not scored) and the audit event chained
under the locked head; a registration is the token look-up, the lock that also reads open
duplicates and the office, the counter bump, the record update and the audit event. Its events
link into the chain as the registry's do, but they carry no content hash of the versions (Python
work the floor leaves out): ``crvs audit verify`` reports those versions as sealed by no event,
as it does the benchmark's preloaded ones. It checks nothing a client sends: it is a floor to
measure against, not a service. Served like the registry: ``gunicorn 'bench.floor_app:app'``.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from datetime import UTC, date, datetime
from typing import Any

from flask import Flask, Response, request
from sqlalchemy import Connection, create_engine, insert

import dedupe
from registry.db import Base
from registry.domain import EventType, format_registration_number
from registry.services import audit
from registry.services.duplicates import CANDIDATES, KEYS_INSERT, keys_for
from registry.services.records import (
    COUNTER_BUMP,
    PLACES,
    RECORD_UPDATE,
    REGISTER_FOR_UPDATE,
    AreaRef,
)
from registry.services.settings import RegistrySettings
from registry.services.users import TOKEN_ACTOR

engine = create_engine(os.environ.get("DATABASE_URL", "sqlite://"), pool_pre_ping=True)
app = Flask(__name__)
RECORDS = insert(Base.metadata.tables["records"])
VERSIONS = insert(Base.metadata.tables["record_versions"]).returning(
    Base.metadata.tables["record_versions"].c.id
)
NUMBER_FORMAT = RegistrySettings().number_format


def _actor(conn: Connection) -> Any:
    token = request.headers["Authorization"].partition(" ")[2]
    digest = hashlib.sha256(token.encode()).hexdigest()
    return conn.execute(TOKEN_ACTOR, {"token_hash": digest}).one()


def _seal(conn: Connection, actor: Any, action: str, record_id: str, details: str) -> None:
    seq, prev = conn.execute(audit.HEAD_FOR_UPDATE).one()
    event = audit.PendingEvent(
        seq=seq + 1, at=datetime.now(UTC).isoformat(timespec="microseconds"), user_id=actor.id,
        username=actor.username, role=actor.role, area_code=actor.area_code, action=action,
        record_id=record_id, reason=None, details=details, prev_hash=prev,
    )  # fmt: skip
    event.hash = audit.event_hash(event)
    row = {column: getattr(event, column) for column in audit.EVENT_COLUMNS}
    conn.execute(
        audit.EVENT_INSERT_MOVING_HEAD, row | {"new_seq": event.seq, "new_hash": event.hash}
    )


@app.post("/api/v1/births")
def declare() -> Response:
    facts = request.get_json()
    child, mother = facts["child"], facts["mother"]
    born = date.fromisoformat(child["date_of_birth"])
    now = datetime.now(UTC)
    record_id = str(uuid.uuid4())
    with engine.begin() as conn:
        actor = _actor(conn)
        codes = {"facilities": [facts["place"]["facility_code"]],
                 "areas": [mother["residence_area_code"]]}  # fmt: skip
        place, residence = sorted(conn.execute(PLACES, codes).all(), key=lambda r: r.kind is None)
        area = AreaRef(place.area_id, place.area_code, place.area_path)
        conn.execute(RECORDS, {
            "id": record_id, "event_type": "birth", "status": "declared", "version": 1,
            "area_id": area.id, "area_path": area.path, "event_date": born, "sex": child["sex"],
            "created_by_id": actor.id, "created_at": now, "updated_at": now,
        })  # fmt: skip
        conn.execute(VERSIONS, {
            "record_id": record_id, "version": 1, "kind": "declaration", "created_at": now,
            "created_by_id": actor.id, "facts": facts, "event_date": born, "sex": child["sex"],
            "given_names": child["given_names"], "family_name": child["family_name"],
            "place_type": "health_facility", "occurrence_area_id": area.id,
            "facility_id": place.id, "residence_area_id": residence.area_id, "date_of_birth": born,
            "age_years": 0, "age_days": 0, "mother_given_names": mother["given_names"],
            "mother_family_name": mother["family_name"],
            "mother_date_of_birth": date.fromisoformat(mother["date_of_birth"]),
            "mother_age_years": 30, "birth_weight_grams": child["birth_weight_grams"],
            "type_of_birth": child["type_of_birth"], "attendant": facts["attendant"],
        })  # fmt: skip
        match = dedupe.Record(record_id, {
            "given_names": child["given_names"], "family_name": child["family_name"],
            "date_of_birth": child["date_of_birth"], "sex": child["sex"], "area": area.code,
            "mother": f"{mother['given_names']} {mother['family_name']}",
        })  # fmt: skip
        keys = sorted(set(keys_for(EventType.BIRTH, match)))
        conn.execute(KEYS_INSERT, [{"record_id": record_id, "key": k} for k in keys])
        params = {"keys": keys, "record_id": record_id, "event_type": "birth"}
        conn.execute(CANDIDATES, params).all()
        _seal(conn, actor, "declare", record_id, "{}")
    body = json.dumps({"id": record_id, "status": "declared"})
    return Response(body, status=201, content_type="application/json")


@app.post("/api/v1/births/<record_id>/register")
def register(record_id: str) -> Response:
    today = date.today()
    with engine.begin() as conn:
        actor = _actor(conn)
        row = conn.execute(REGISTER_FOR_UPDATE, {"record_id": record_id}).one()
        office_id, office_code = row.id_3, row.code_1  # the office's id and code
        seq = conn.execute(
            COUNTER_BUMP,
            {"b_office": office_id, "b_event_type": "birth", "b_year": today.year, "b_count": 1},
        ).scalar_one()
        number = format_registration_number(
            NUMBER_FORMAT, office=office_code, event_type=EventType.BIRTH, year=today.year, seq=seq
        )
        conn.execute(RECORD_UPDATE, {
            "b_record_id": record_id, "registration_number": number, "status": "registered",
            "office_id": office_id, "registration_date": today, "timeliness": "current",
            "delayed_reason": None, "registered_by_id": actor.id, "updated_at": datetime.now(UTC),
        })  # fmt: skip
        details = json.dumps({"registration_number": number, "timeliness": "current"},
                             sort_keys=True, separators=(",", ":"))  # fmt: skip
        _seal(conn, actor, "register", record_id, details)
    body = json.dumps({"id": record_id, "status": "registered", "registration_number": number})
    return Response(body, status=200, content_type="application/json")
