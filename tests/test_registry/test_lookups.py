"""Picker look-ups: case-insensitive prefixes of names and codes, as indexed ranges."""

from __future__ import annotations

import io

from sqlalchemy.orm import Session

from registry.services.areas import load_areas, load_facilities, search_areas, search_facilities
from tests.factories import ApiClient


def test_prefixes_of_names_and_codes_match_whatever_the_case(session: Session) -> None:
    load_areas(
        session,
        io.StringIO(
            "code,name,level,parent_code\n"
            "Z9,Zanzibar Urban,district,R1\nZ8,zanzibar rural,district,R1\n"
            "ET1,Ämbärä Šouth,district,R2\nZ10,Zaza,district,R1\n"
        ),
    )
    load_facilities(
        session, io.StringIO("code,name,kind,area_code\nZH1,Zanzibar Hospital,health_facility,Z9\n")
    )
    assert [a.code for a in search_areas(session, "ZANZ")] == ["Z8", "Z9"]
    assert [a.code for a in search_areas(session, "z1")] == ["Z10"]
    assert [a.code for a in search_areas(session, "ämb")] == ["ET1"]
    assert search_areas(session, "anzibar") == []  # a prefix, not a substring
    assert [f.code for f, area in search_facilities(session, "zanzibar h")] == ["ZH1"]
    assert search_facilities(session, "zh1", kind="office") == []
    assert [area for _, area in search_facilities(session, "ZH", kind="health_facility")] == ["Z9"]


def test_the_api_pickers_answer_by_prefix(api: ApiClient) -> None:
    clerk = api.as_user("clerk")
    assert [a["code"] for a in clerk.get("/api/v1/areas?q=amani").json] == ["D11"]
    found = clerk.get("/api/v1/facilities?q=o1&kind=office").json
    assert [f["code"] for f in found] == ["O11", "O12"]
