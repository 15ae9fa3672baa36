"""Errors carry stable machine codes; pages translate messages by their code, never by text."""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Any

import pytest
from babel.messages.mofile import read_mo
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from registry import create_app, errors, messages
from registry.api.errors import register_error_handlers
from registry.errors import RegistryError
from registry.messages import Text
from tests.conftest import config_for
from tests.factories import ApiClient, birth
from tests.test_registry.test_web_support import Web, birth_form

#: The codes clients rely on: renaming one breaks them, so it breaks this test first.
CLASS_CODES = {
    "RegistryError": (500, "internal_error"),
    "ValidationFailed": (422, "validation_failed"),
    "ImportFailed": (422, "import_failed"),
    "BadRequest": (400, "bad_request"),
    "AuthenticationFailed": (401, "authentication_failed"),
    "TooManyAttempts": (429, "too_many_attempts"),
    "PermissionDenied": (403, "permission_denied"),
    "PasswordChangeRequired": (403, "password_change_required"),
    "NotFound": (404, "not_found"),
    "Conflict": (409, "conflict"),
    "Busy": (503, "busy"),
    "Unavailable": (503, "unavailable"),
}
FRENCH = Path(__file__).resolve().parents[2] / "registry/translations/fr/LC_MESSAGES/messages.mo"


def _tree(cls: type[RegistryError]) -> list[type[RegistryError]]:
    return [cls] + [sub for child in cls.__subclasses__() for sub in _tree(child)]


def _raise(cls: type[RegistryError]) -> RegistryError:
    return cls([(3, "bad date")]) if cls is errors.ImportFailed else cls()  # type: ignore[call-arg]


@pytest.fixture(scope="module")
def raising() -> FlaskClient:
    """The registry's error handlers on an app whose one route raises the error class named."""
    app = Flask(__name__)
    by_name = {cls.__name__: cls for cls in _tree(RegistryError)}

    @app.get("/api/v1/raise/<name>")
    def raise_(name: str) -> Any:
        raise _raise(by_name[name])

    register_error_handlers(app)
    return app.test_client()


def test_every_error_class_has_a_distinct_stable_code_in_the_api_body(
    raising: FlaskClient,
) -> None:
    """Every class of the tree (however it grows) answers with its own code, next to the HTTP
    status in ``code`` and the English ``message`` clients already read."""
    classes = _tree(RegistryError)
    assert {cls.__name__ for cls in classes} == set(CLASS_CODES)
    seen = set()
    for cls in classes:
        status, code = CLASS_CODES[cls.__name__]
        body = raising.get(f"/api/v1/raise/{cls.__name__}").json
        assert body is not None
        assert (body["code"], body["error_code"]) == (status, code), cls
        assert body["message"] == cls.default_message == str(messages.CATALOGUE[code])
        seen.add(body["error_code"])
    assert len(seen) == len(classes)


def test_one_class_with_several_meanings_says_which(raising: FlaskClient) -> None:
    """The code comes from the message a class is raised with; plain words keep the class's."""
    assert errors.Conflict(messages.CHANGED_MEANWHILE).code == "changed_meanwhile"
    assert errors.Conflict(messages.DUPLICATE_DECIDED.format(reason="x")).code == (
        "duplicate_decided"
    )
    assert errors.NotFound("No birth record 42.").code == "not_found"
    assert errors.field_error("child.sex", messages.REQUIRED).errors == {
        "child": {"sex": ["Missing data for required field."]}
    }


def test_api_bodies_carry_the_code_of_each_meaning(api: ApiClient) -> None:
    clerk, registrar = api.as_user("clerk"), api.as_user("registrar")
    clerk.declare(body=birth(3))
    newer = clerk.declare(body=birth(3))
    blocked = registrar.post(f"/api/v1/births/{newer['id']}/register", json={})
    assert blocked.status_code == 409
    assert blocked.json["error_code"] == "duplicate_pending"
    assert blocked.json["message"] == str(messages.DUPLICATE_PENDING)

    stats = api.as_user("statistician").get(f"/api/v1/births/{newer['id']}")
    assert stats.status_code == 403
    assert stats.json["error_code"] == "readers_only"

    invalid = clerk.post("/api/v1/births", json={"child": {}})
    assert invalid.status_code == 422
    assert invalid.json["error_code"] == "validation_failed"
    child = invalid.json["errors"]["json"]["child"]
    assert child["sex"] == ["Missing data for required field."]

    unknown = clerk.get("/api/v1/births?page=x")  # webargs' 422, the same code
    assert unknown.status_code == 422 and unknown.json["error_code"] == "validation_failed"
    missing = clerk.get("/api/v1/no-such-thing")
    assert missing.status_code == 404 and missing.json["error_code"] == "not_found"


def test_the_openapi_document_describes_the_error_body_sent() -> None:
    app = create_app(config_for("sqlite://"))
    document = app.test_client().get("/api/v1/openapi.json").json
    assert document is not None
    error = document["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"code", "status", "message", "error_code", "errors"}
    assert {"code", "status", "message", "error_code"} <= set(error["required"])
    default = document["components"]["responses"]["DEFAULT_ERROR"]
    assert default["content"]["application/json"]["schema"]["$ref"].endswith("/Error")


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_catalogue_message_has_a_french_translation_with_the_same_values() -> None:
    """A translation may reorder the values but never name one the message does not carry."""
    with FRENCH.open("rb") as f:
        french = {m.id: m.string for m in read_mo(f) if isinstance(m.id, str) and m.id}
    for code, text in messages.CATALOGUE.items():
        assert french.get(text.template), f"{code}: no French for {text.template!r}"
        assert _fields(french[text.template]) == _fields(text.template), code


def test_a_text_stays_a_string_with_its_code() -> None:
    text = messages.TOO_LONG.format(input="x" * 300, max=200)
    assert text == "Longer than maximum length 200."
    assert isinstance(text, Text) and text.code == "too_long" and text.values["max"] == 200


@pytest.fixture
def web(client: FlaskClient, session: Session) -> Web:
    return Web(client, session)


def _error_of(text: str, field: str) -> str:
    found = re.search(rf'id="f-{field}-error">([^<]+)<', text)
    assert found, f"no message on {field}"
    return found.group(1).strip()


def test_a_french_page_shows_field_messages_in_french_by_their_code(web: Web) -> None:
    """marshmallow's messages (with their figures) and a service's field message reach a
    French page through their codes; the same form in English keeps the English."""
    web.as_user("clerk")
    form = birth_form(**{"child.given_names": "A" * 201, "child.sex": ""})
    english = web.text(web.post("/births/new", form))
    assert _error_of(english, "child-given-names") == "Length must be between 1 and 200."
    assert _error_of(english, "child-sex") == "Missing data for required field."

    web.post("/language", {"lang": "fr"})
    response = web.post("/births/new", form)
    assert response.status_code == 422
    french = web.text(response)
    assert _error_of(french, "child-given-names") == "Doit compter entre 1 et 200 caractères."
    assert _error_of(french, "child-sex") == "Donnée obligatoire manquante."

    unknown = web.post("/births/new", birth_form(**{"place.facility_code": "F999"}))
    assert unknown.status_code == 422
    assert _error_of(web.text(unknown), "place-facility-code") == (
        "Code d&#39;établissement inconnu."
    )


def test_a_refused_form_token_is_a_translated_page(web: Web) -> None:
    web.as_user("clerk")
    web.post("/language", {"lang": "fr"})
    refused = web.client.post("/births/new", data={"child.given_names": "Amina"})
    assert refused.status_code == 400
    assert "Le jeton de sécurité (CSRF) du formulaire manque" in web.text(refused)
