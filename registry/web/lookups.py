"""Small JSON answers for the pickers: reference data only (areas and facilities), no records.

Both answer from ``registry.services.areas`` (the same searches as ``GET /api/v1/areas`` and
``GET /api/v1/facilities``): indexed prefix ranges, fast with 100,000 locations.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from sqlalchemy.orm import Session

from registry.domain import FacilityKind
from registry.services.areas import search_facilities
from registry.web.i18n import gettext


def unauthorised() -> Response:
    response = jsonify({"code": 401, "message": gettext("Sign in first.")})
    response.status_code = 401
    return response


def facilities(session: Session, q: str, kind: str | None, limit: int) -> list[dict[str, Any]]:
    wanted = kind if kind in {k.value for k in FacilityKind} else None
    return [
        {"code": f.code, "name": f.name, "kind": f.kind, "area_code": code}
        for f, code in search_facilities(session, q, wanted, limit)
    ]
