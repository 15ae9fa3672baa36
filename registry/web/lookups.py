"""Small JSON answers for the pickers: reference data only (areas and facilities), no records.

The facility query mirrors ``GET /api/v1/facilities``; it belongs in ``registry.services.areas``
(``search_facilities``) once the core offers it, and this module then only calls it.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.domain import FacilityKind
from registry.models import Area, Facility
from registry.web.i18n import gettext


def unauthorised() -> Response:
    response = jsonify({"code": 401, "message": gettext("Sign in first.")})
    response.status_code = 401
    return response


def facilities(session: Session, q: str, kind: str | None, limit: int) -> list[dict[str, Any]]:
    pattern = q.lower()
    stmt = (
        select(Facility, Area.code)
        .join(Area, Area.id == Facility.area_id)
        .where(
            Facility.name.istartswith(pattern, autoescape=True)
            | Facility.code.istartswith(pattern, autoescape=True)
        )
        .order_by(Facility.name)
        .limit(limit)
    )
    if kind in {k.value for k in FacilityKind}:
        stmt = stmt.where(Facility.kind == kind)
    return [
        {"code": f.code, "name": f.name, "kind": f.kind, "area_code": code}
        for f, code in session.execute(stmt).all()
    ]
