"""Input a register can trust: names cleaned or refused in words, plausible dates, every error
in one pass, the type of birth never defaulted."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError
from sqlalchemy.orm import Session

from registry import create_app
from registry.schemas.common import EVENT_YEARS, clean_name
from registry.schemas.records import BirthIn, DeathIn
from tests.conftest import config_for
from tests.factories import ApiClient, birth, death
from tests.test_registry.test_web_support import Web, birth_form


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("   ", "Must not be blank."),
        ("Ami\tna", "control characters"),
        ("Amina\u202e", "text-direction"),
        ("\u2066Amina", "text-direction"),
        ("\u200b\u200b", "invisible formatting"),
        ("\u200d", "at least one letter"),
        ("Amina\ufdd0", "non-characters"),
        ("Amina\U0010ffff", "non-characters"),
        ("-'", "at least one letter"),
    ],
)
def test_names_that_are_not_names_are_refused_in_words(raw: str, message: str) -> None:
    """It refuses whitespace, control and direction characters, invisible-only names and
    non-characters, saying which."""
    with pytest.raises(ValidationError) as caught:
        clean_name(raw)
    assert message in " ".join(caught.value.messages)


def test_names_are_trimmed_and_nfc_normalised() -> None:
    """It trims and composes: 'Jose' + combining acute becomes 'José' in one code point."""
    assert clean_name("  Jose\u0301  ") == "Jos\u00e9"
    assert clean_name("N'Diaye-Sarr") == "N'Diaye-Sarr"
    assert clean_name("\u0645\u06cc\u200c\u0646\u0627") == "\u0645\u06cc\u200c\u0646\u0627"


LETTERS = st.characters(categories=("Lu", "Ll", "Lt", "Lo", "Lm"))
MARKS = st.characters(categories=("Mn", "Mc"))


@given(
    parts=st.lists(
        st.tuples(LETTERS, st.lists(MARKS, max_size=2)).map(lambda t: t[0] + "".join(t[1])),
        min_size=1,
        max_size=12,
    ),
    joiner=st.sampled_from(["", " ", "-", "'", "\u2019"]),
)
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_every_real_script_with_apostrophes_and_hyphens_is_accepted(
    parts: list[str], joiner: str
) -> None:
    """It accepts letters of any script with their marks, joined by spaces, hyphens and
    apostrophes, and gives back their NFC form."""
    raw = joiner.join(parts)
    if not raw.strip(" -'\u2019"):
        return
    assert clean_name(raw) == unicodedata.normalize("NFC", raw).strip()


def test_every_error_comes_in_one_pass_cross_field_checks_included() -> None:
    """It reports a field error, a missing name, an implausible mother's age and a missing
    type of birth together, not one after the other."""
    body = birth(5)
    body["child"]["sex"] = "robot"
    body["child"].pop("type_of_birth")
    body["mother"]["given_names"] = "  "
    body["mother"]["date_of_birth"] = "2017-01-01"  # aged 9 at the birth
    with pytest.raises(ValidationError) as caught:
        BirthIn().load(body)
    errors: Any = caught.value.messages
    assert errors["child"]["sex"]
    assert errors["child"]["type_of_birth"] == ["Missing data for required field."]
    assert errors["mother"]["given_names"] == ["Must not be blank."]
    assert "The mother would be 9 at the birth" in errors["mother"]["date_of_birth"][0]


def test_a_notification_may_leave_the_type_of_birth_out() -> None:
    """It never defaults the type of birth: a notification stores none."""
    minimal = {
        "notification": True,
        "child": {"sex": "female", "date_of_birth": birth(3)["child"]["date_of_birth"]},
        "place": {"type": "health_facility", "facility_code": "F111"},
        "mother": {"given_names": "Grace", "family_name": "Otieno"},
    }
    assert "type_of_birth" not in BirthIn().load(minimal)["child"]


@pytest.mark.parametrize(
    ("body", "path", "words"),
    [
        (birth(None, child={"date_of_birth": "1899-12-31"}), ("child", "date_of_birth"), "1900"),
        (death(None, date_of_death="1899-06-01"), ("date_of_death",), "1900"),
        (
            death(5, deceased={"date_of_birth": "1890-01-01"}),
            ("deceased", "date_of_birth"),
            "at most 130",
        ),
        (birth(5, mother={"date_of_birth": "1950-01-01"}), ("mother", "date_of_birth"), "10 to 60"),
        (death(5, deceased={"age_years": 131}), ("deceased", "age_years"), "130"),
    ],
)
def test_implausible_dates_and_ages_are_refused_in_words(
    body: dict[str, Any], path: tuple[str, ...], words: str
) -> None:
    """It refuses events before 1900, an age over 130 and a mother outside 10 to 60."""
    schema = BirthIn() if "child" in body else DeathIn()
    with pytest.raises(ValidationError) as caught:
        schema.load(body)
    node: Any = caught.value.messages
    for key in path:
        node = node[key]
    assert words in " ".join(node)


def test_the_earliest_year_is_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    """It takes EARLIEST_EVENT_YEAR from configuration."""
    monkeypatch.setitem(EVENT_YEARS, "earliest", 1900)  # restored after the test
    old = birth(None, child={"date_of_birth": "1899-12-31"}, mother={"date_of_birth": "1870-01-01"})
    with pytest.raises(ValidationError):
        BirthIn().load(old)
    create_app(config_for("sqlite://", EARLIEST_EVENT_YEAR=1850))
    assert BirthIn().load(old)["child"]["date_of_birth"].year == 1899


def test_the_api_refuses_a_bidi_override_with_the_field_named(api: ApiClient) -> None:
    """It answers 422 naming the field, and stores nothing."""
    body = birth(5, child={"given_names": "Amina\u202etxet"})
    response = api.as_user("clerk").post("/api/v1/births", json=body)
    assert response.status_code == 422
    assert "text-direction" in response.json["errors"]["json"]["child"]["given_names"][0]


@pytest.fixture
def web(client: FlaskClient, session: Session) -> Web:
    return Web(client, session)


def test_the_page_names_each_message_with_its_section(web: Web) -> None:
    """It lists every problem at once above the form, each named by section and field."""
    web.as_user("clerk")
    form = birth_form(**{"mother.given_names": " ", "child.type_of_birth": ""})
    page = web.post("/births/new", form)
    assert page.status_code == 422
    text = page.get_data(as_text=True)
    summary = text.split('id="error-summary"')[1].split("</div>")[0]
    assert "Mother — Given names</a>: Missing data for required field." in summary
    assert "Child — Type of birth</a>: " in summary
