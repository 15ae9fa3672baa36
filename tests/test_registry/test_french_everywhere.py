"""Every page in French: a walk of every GET route of the pages, as every role, finds no English.

The routes come from the app's url map (every ``web.`` endpoint that answers GET), so a page added
later is walked too; its route parameters are filled with real records made here (a record in
each state, one outside the user's area, one that does not exist), and a parameter the walk does
not know fails the test. Each role signs in and chooses French with the language switch, as a
registrar would. A few forms are also posted, because their answers are pages too: /verify with
a valid, superseded, revoked, forged and unreadable certificate, an empty declaration, a wrong
password.

What counts as "left in English" (``Findings``):

- a visible text (text nodes outside ``script``/``style`` and the ``title``, ``alt``,
  ``placeholder``, ``aria-label`` attributes; JSON answers' string values) that contains an
  English message of the French catalogue whose French differs: a single-word message when it is
  the whole text, a longer one anywhere in it, a message with placeholders as a pattern;
- an English word or phrase that French pages never contain (``ENGLISH``), such as "the",
  "please", month names;
- a decimal number written the English way (``0.1 %``, ``1,234``).

Elements that declare another language (the switch's "English" button) are left out.
``test_the_check_finds_english`` shows that the check bites: the same walk in English finds
what it looks for.
"""

from __future__ import annotations

import ast
import io
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

import certificates as certs
from registry.models import CorrectionRequest, DuplicateCandidate, User
from registry.services import certificates as certificate_service
from registry.services.duplicates import DECISIONS
from registry.web import i18n
from tests import factories
from tests.test_registry.test_certificates_api import qr_payload
from tests.test_registry.test_web_support import Web, birth_form

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "registry" / "translations" / "fr" / "LC_MESSAGES" / "messages.po"

#: who walks the pages ("anonymous" signs nobody in)
ROLES = ("anonymous", "clerk", "registrar", "registrar.r1", "statistician", "admin")
#: query strings a page is also visited with (besides none)
QUERIES = {
    "web.search": ["q=Otieno", "q=000001", "q=zzzz"],
    "web.statistics": ["year=2026", "year=2026&period=quarter&level=region", "year=1800"],
    "web.home": ["page=2"],
}
#: English words and phrases that a French page never shows (matched as whole words)
ENGLISH = (
    "the", "and", "with", "your", "you", "this", "that", "please", "must", "only", "cannot",
    "not found", "not allowed", "sign in", "signed in", "record", "records", "registered",
    "declared", "birth", "births", "death", "deaths", "search", "should", "which", "when", "from",
    "has", "have", "will", "would", "there", "been", "into", "than", "who", "what", "why",
    "outbox", "certificate", "correction", "corrections", "pending", "queue",
    "approve", "approved", "reject", "rejected", "reason", "level", "region",
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
    "Saturday", "Sunday",
)  # fmt: skip
#: a number written the English way: a decimal point before a per cent sign, or 1,234
ENGLISH_NUMBER = re.compile(r"\d\.\d+\s*%|\b\d{1,3},\d{3}\b")
#: data of the reference tables that happens to be English (facility and area names)
DATA = re.compile(
    r"Amani District Hospital|Baraka Health Centre|Dunia Referral Hospital|"
    r"[A-Z][a-z]+ Civil Registration Office|Northern Region|Southern Region|"
    r"[A-Z][a-z]+ District"
)
#: a stored code shown as it is ("record.declared", "certificate_issued", "lost_or_stolen")
RAW_CODE = re.compile(r"[a-z]+([_:.][a-z]+)+")
#: reference users' names, shown as they are (the audit trail's "who")
USERNAME = re.compile(r"(admin|clerk|registrar|statistician)(\.[a-z0-9]+)?", re.IGNORECASE)
#: the keys of JSON answers whose values a page shows (the others are codes)
SHOWN_KEYS = frozenset({"name", "label", "message", "title", "text"})
#: Known gaps, each with its owner; the lead removes a line when its owner's branch lands.
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_]+\}")
SKIPPED = frozenset({"script", "style"})
VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
SHOWN_ATTRIBUTES = ("title", "alt", "placeholder", "aria-label")


# -- what a page shows ---------------------------------------------------------------------------


class VisibleText(HTMLParser):
    """The texts a reader sees or hears, one string per text node or shown attribute."""

    def __init__(self, language: str) -> None:
        super().__init__(convert_charrefs=True)
        self.language = language
        self.texts: list[str] = []
        self.depth = 0
        self.hidden_from: int | None = None  # depth at which a skipped element began

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        other_language = values.get("lang") not in (None, self.language)
        if self.hidden_from is None:
            if tag in SKIPPED or (other_language and tag != "html"):
                if tag not in VOID:
                    self.hidden_from = self.depth
            else:
                for name in SHOWN_ATTRIBUTES:
                    if values.get(name):
                        self.texts.append(str(values[name]))
                if tag == "input" and values.get("type") in ("submit", "button"):
                    self.texts.append(str(values.get("value") or ""))
        if tag not in VOID:
            self.depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.depth -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        self.depth -= 1
        if self.hidden_from is not None and self.depth <= self.hidden_from:
            self.hidden_from = None

    def handle_data(self, data: str) -> None:
        if self.hidden_from is None:
            self.texts.append(data)


def visible_texts(html: str, language: str = "fr") -> list[str]:
    parser = VisibleText(language)
    parser.feed(html)
    parser.close()
    texts = (" ".join(t.split()) for t in parser.texts)
    return [t for t in texts if t]


def json_texts(value: Any) -> Iterator[str]:
    """What a script shows of a JSON answer: ``name``/``label``/... values and the labels of
    ``[code, label]`` choice pairs (codes are not shown)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in SHOWN_KEYS and isinstance(item, str):
                yield item
            else:
                yield from json_texts(item)
    elif isinstance(value, list):
        if len(value) == 2 and all(isinstance(v, str) for v in value):
            yield value[1]
        else:
            for item in value:
                yield from json_texts(item)


# -- what counts as English ----------------------------------------------------------------------


def source_messages() -> set[str]:
    """Every message marked for translation in the pages' sources (as ``pybabel extract``)."""
    found: set[str] = set()
    methods = [("**.py", "python"), ("**.html", "jinja2")]
    keywords = DEFAULT_KEYWORDS | {"_l": None}
    for folder in ("registry/web", "registry/templates", "registry/presentation"):
        for _file, _line, message, _c, _x in extract_from_dir(ROOT / folder, methods, keywords):
            found.update(message if isinstance(message, tuple) else (message,))
    return {m for m in found if m}


@dataclass(frozen=True)
class Untranslated:
    """English messages of the catalogue whose French differs, as patterns."""

    words: frozenset[str]  # one-word messages: found when they are a whole text
    patterns: tuple[tuple[str, re.Pattern[str]], ...]  # longer ones: found anywhere

    @classmethod
    def from_catalogue(cls, path: Path = PO) -> Untranslated:
        """From the French catalogue, and the messages of the source that it lacks."""
        with path.open("rb") as f:
            catalogue = read_po(f, locale="fr")
        pairs = [
            (
                message.id if isinstance(message.id, tuple) else (message.id,),
                message.string if isinstance(message.string, tuple) else (message.string,),
            )
            for message in catalogue
            if message.id
        ]
        known = {english for ids, _ in pairs for english in ids}
        pairs += [((english,), ("",)) for english in sorted(source_messages() - known)]
        words: set[str] = set()
        patterns: dict[str, re.Pattern[str]] = {}
        for ids, strings in pairs:
            for english in ids:
                if english in strings:
                    continue  # the same in both languages ("Total", "Version %(n)s")
                literal = PLACEHOLDER.sub(" ", english).strip(" .:")
                if not re.search(r"[A-Za-z]{3}", literal):
                    continue  # nothing but placeholders and punctuation
                if " " not in english and not PLACEHOLDER.search(english):
                    words.add(english.strip(" .:"))
                    continue
                pieces = [re.escape(p) for p in PLACEHOLDER.split(english)]
                regex = r"(?<![\w])" + ".{1,120}?".join(pieces) + r"(?![\w])"
                patterns[english] = re.compile(regex.replace(r"\ ", r"\s+"))
        return cls(frozenset(words), tuple(patterns.items()))

    def find(self, text: str) -> list[str]:
        found = []
        bare = text.strip(" .:*()-\u2013")
        if bare in self.words:
            found.append(bare)
        found += [english for english, pattern in self.patterns if pattern.search(text)]
        return found


ENGLISH_WORDS = re.compile(
    r"(?<![\w.])(" + "|".join(re.escape(w) for w in ENGLISH) + r")(?![\w])", re.IGNORECASE
)


@dataclass
class Findings:
    untranslated: Untranslated
    found: dict[str, set[str]] = field(default_factory=dict)
    visited: list[str] = field(default_factory=list)
    answers: dict[str, TestResponse] = field(default_factory=dict)

    def check_texts(self, where: str, texts: list[str]) -> None:
        for text in texts:
            if USERNAME.fullmatch(text):
                continue
            scrubbed = DATA.sub(" ", text)
            hits = self.untranslated.find(scrubbed)
            hits += [f"code {text!r}"] if RAW_CODE.fullmatch(text) else []
            hits += [f"word {m.group(1)!r}" for m in ENGLISH_WORDS.finditer(scrubbed)]
            hits += [f"number {m.group(0)!r}" for m in ENGLISH_NUMBER.finditer(scrubbed)]
            for hit in hits:
                self.found.setdefault(where, set()).add(f"{hit} in {text[:160]!r}")

    def check(self, where: str, response: TestResponse) -> None:
        self.visited.append(where)
        self.answers[where] = response
        assert response.status_code < 500, where
        kind = response.mimetype
        if 300 <= response.status_code < 400:
            return  # the browser follows it: the page it lands on is walked on its own
        if kind == "text/html":
            self.check_texts(where, visible_texts(response.get_data(as_text=True)))
        elif kind == "application/json" and response.status_code < 300:
            self.check_texts(where, list(json_texts(response.get_json())))

    def report(self) -> str:
        return "\n".join(
            f"{where}: {hit}" for where, hits in sorted(self.found.items()) for hit in sorted(hits)
        )


# -- the records the routes are filled with --------------------------------------------------------

COLLECTOR = {"collector": {"name": "Grace Otieno", "relationship": "mère"}}
FIX = {
    "changes": {"child": {"given_names": "Aminah"}},
    "reason": "erreur de saisie",
    "evidence": "carnet de santé 44/2026",
    "requested_by": "Grace Otieno (mère)",
}


def birth(days_old: int, **overrides: Any) -> dict[str, Any]:
    """A birth whose free text is in French, as a French-speaking clerk would type it."""
    return factories.birth(
        days_old, **factories.merge({"informant": {"relationship": "mère"}}, overrides)
    )


def death(days_old: int) -> dict[str, Any]:
    cause = {"part1": [{"text": "Pneumonie", "icd10": "J18.9", "interval": "5 jours"}]}
    return factories.death(days_old, cause=cause, informant={"relationship": "enfant"})


@dataclass
class World:
    records: list[tuple[str, str]]  # (kind, record id)
    candidates: list[str]
    others: dict[str, list[str]]  # values of the other route parameters, by name
    payloads: dict[str, str]  # what /verify is given, by the status it should answer


def _ok(response: TestResponse, *codes: int) -> TestResponse:
    assert response.status_code in (codes or (200, 201)), response.get_data(as_text=True)
    return response


def signed(signer: certs.Signer, serial: str) -> str:
    """A payload of a certificate that the registry never issued, signed by ``signer``."""
    day = factories.days_ago(1)
    facts = certs.CertificateFacts("birth", "B-D11-2026-000999", serial, "Faux Nom", day, day)
    return signer.sign(facts)


@pytest.fixture
def world(
    app: Flask, client: FlaskClient, session: Session, signing: Path, tmp_path: Path
) -> World:
    api = Web(client, session).api
    clerk, registrar = api.as_user("clerk"), api.as_user("registrar")
    regional = api.as_user("registrar.r1")

    def registered(kind: str, body: dict[str, Any]) -> str:
        rid = str(clerk.declare(kind, body)["id"])
        _ok(registrar.post(f"/api/v1/{kind}/{rid}/register", json={}), 200)
        return rid

    def issue(kind: str, rid: str, name: str) -> tuple[str, str]:
        issued = _ok(registrar.post(f"/api/v1/{kind}/{rid}/certificates", json=COLLECTOR), 201)
        return issued.headers["X-Certificate-Serial"], qr_payload(issued.data, tmp_path / name)

    # a registered birth: a certificate superseded by a correction, one revoked, one in force
    first = registered("births", birth(4))
    _, old = issue("births", first, "old")
    asked = _ok(registrar.post(f"/api/v1/births/{first}/corrections", json=FIX), 201)
    _ok(regional.post(f"/api/v1/corrections/{asked.json['id']}/approve"), 200)  # type: ignore[index]
    lost, revoked = issue("births", first, "lost")
    revoke = {"reason": "perdu au marché", "category": "lost_or_stolen"}
    _ok(registrar.post(f"/api/v1/certificates/{lost}/revoke", json=revoke), 200)
    _, valid = issue("births", first, "valid")
    # a suspected duplicate of it, a rejected declaration, a notification, a delayed birth
    twin = str(clerk.declare("births", birth(4, child={"given_names": "Aminah"}))["id"])
    rejected = str(clerk.declare("births", birth(6))["id"])
    reason = {"reason": "le nom de la mère manque"}
    _ok(registrar.post(f"/api/v1/births/{rejected}/reject", json=reason), 200)
    notified = clerk.declare(
        body={
            "notification": True,
            "child": {"sex": "male", "date_of_birth": birth(2)["child"]["date_of_birth"]},
            "place": {"type": "health_facility", "facility_code": "F111"},
            "mother": {"given_names": "Zawadi", "family_name": "Barasa"},
        }
    )
    delayed = clerk.declare(body=birth(400, mother={"date_of_birth": "1990-01-01"}))
    # a registered death with a correction waiting for a second registrar, a declared death
    dead = registered("deaths", death(5))
    change = {**FIX, "changes": {"deceased": {"given_names": "Johnny"}}}
    _ok(registrar.post(f"/api/v1/deaths/{dead}/corrections", json=change), 201)
    declared_death = str(clerk.declare("deaths", death(3))["id"])
    # outside the D11 users' area, and a record that does not exist
    far = birth(3, place={"type": "health_facility", "facility_code": "F211"})
    far["mother"]["residence_area_code"] = "D21"
    elsewhere = str(api.as_user("clerk.d21").declare("births", far)["id"])
    assert session.scalars(select(CorrectionRequest)).first() is not None
    candidates = [c.id for c in session.scalars(select(DuplicateCandidate))]
    assert candidates, "the twin should be a suspected duplicate"
    damaged = valid[:-3] + ("A" if valid[-3] != "A" else "B") + valid[-2:]
    stranger = certs.Signer(certs.generate_signing_key()[0])
    ours = certificate_service.signer(app.extensions["crvs.settings"])
    return World(
        records=[
            ("births", first),
            ("births", twin),
            ("births", rejected),
            ("births", str(notified["id"])),
            ("births", str(delayed["id"])),
            ("births", elsewhere),
            ("births", str(uuid.uuid4())),
            ("deaths", dead),
            ("deaths", declared_death),
        ],
        candidates=[*candidates, str(uuid.uuid4())],
        others={
            "request_id": [str(r.id) for r in session.scalars(select(CorrectionRequest))],
            "serial": [lost, "2026-000999-7"],
            "user_id": [str(u.id) for u in session.scalars(select(User))] + ["999999"],
            "username": [u.username for u in session.scalars(select(User))],
            "area_code": ["D11", "D21"],
            "table": ["coverage"],
            "fmt": ["csv"],
        },
        payloads={
            "valid": valid,
            "superseded": old,
            "revoked": revoked,
            "damaged": damaged,
            "unknown key": signed(stranger, "2026-000999-7"),
            "not in the ledger": signed(ours, "2026-000999-7"),
            "unreadable": "CRVS1:n'importe quoi",
            "not ours": "bonjour",
        },
    )


# -- the walk ------------------------------------------------------------------------------------


def get_routes(app: Flask) -> list[tuple[str, list[str]]]:
    """Every GET endpoint of the pages with its parameters."""
    return sorted(
        (rule.endpoint, sorted(rule.arguments))
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("web.") and "GET" in (rule.methods or ())
    )


def fill(endpoint: str, arguments: list[str], world: World) -> list[dict[str, str]]:
    """The parameter sets an endpoint is visited with; an unknown parameter fails the walk."""
    values: dict[str, list[str]] = {"candidate_id": world.candidates, **world.others}
    combos: list[dict[str, str]] = [{}]
    for name in arguments:
        if name == "kind" and "record_id" in arguments:
            continue  # comes with the record
        if name == "record_id":
            combos = [c | {"kind": k, "record_id": r} for c in combos for k, r in world.records]
        elif name == "kind":
            combos = [c | {"kind": k} for c in combos for k in ("births", "deaths")]
        else:
            assert name in values, f"the French walk has no value for {name!r} of {endpoint}"
            combos = [c | {name: v} for c in combos for v in values[name]]
    return combos


def urls(app: Flask, world: World) -> list[tuple[str, str]]:
    out = []
    with app.test_request_context():
        for endpoint, arguments in get_routes(app):
            for args in fill(endpoint, arguments, world):
                url = url_for(endpoint, **args)
                out.append((endpoint, url))
                out += [(endpoint, f"{url}?{q}") for q in QUERIES.get(endpoint, [])]
    out.append(("(no route)", "/no-such-page"))
    return out


def browser(app: Flask, session: Session, role: str, language: str) -> Web:
    web = Web(app.test_client(), session)
    if role != "anonymous":
        web.as_user(role)
    switched = web.post("/language", {"lang": language, "next": "/"})
    assert switched.status_code in (302, 303), switched.status_code
    return web


def walk(app: Flask, session: Session, world: World, language: str = "fr") -> Findings:
    findings = Findings(Untranslated.from_catalogue())
    for role in ROLES:
        web = browser(app, session, role, language)
        for endpoint, url in urls(app, world):
            findings.check(f"{role} GET {url} ({endpoint})", web.get(url))
        # forms whose answers are pages
        for status, payload in world.payloads.items():
            answer = web.post("/verify", {"payload": payload})
            findings.check(f"{role} POST /verify ({status})", answer)
        empty = {"payload": "", "image": (io.BytesIO(b"pas une image"), "photo.png")}
        findings.check(f"{role} POST /verify (not an image)", web.post("/verify", empty))
        if role in ("clerk", "registrar"):
            findings.check(f"{role} POST /births/new (empty)", web.post("/births/new", {}))
            half = birth_form(**{"child.date_of_birth": "2999-01-01", "mother.given_names": ""})
            findings.check(f"{role} POST /births/new (bad)", web.post("/births/new", half))
    anonymous = browser(app, session, "anonymous", language)
    wrong = {"username": "clerk", "password": "pas le bon"}
    findings.check("anonymous POST /login (wrong password)", anonymous.post("/login", wrong))
    return findings


#: what /verify says in French for each payload (the status, then the reason)
VERIFIED = {
    "valid": "Valide : cet acte est authentique et en vigueur",
    "superseded": "Remplacé par une rectification du",
    "revoked": "Déclaré perdu ou volé.",
    "damaged": "Le texte n'est pas le code QR d'un acte",
    "unknown key": "Il est signé avec une clé que ce registre ne connaît pas.",
    "not in the ledger": "le registre n'a aucune trace de sa délivrance",
    "unreadable": "Le texte n'est pas le code QR d'un acte",
    "not ours": "Le texte n'est pas le code QR d'un acte",
}


def test_every_page_is_in_french(app: Flask, session: Session, world: World) -> None:
    """It walks every GET page as every role in French and finds no English on any; every
    page answered 200 to someone, and /verify gave each reason in French."""
    findings = walk(app, session, world)
    assert not findings.found, "English on French pages:\n" + findings.report()
    shown = {
        where.rsplit("(", 1)[-1].rstrip(")")
        for where, answer in findings.answers.items()
        if answer.status_code == 200
    }
    assert {endpoint for endpoint, _ in get_routes(app)} <= shown
    for status, words in VERIFIED.items():
        answer = findings.answers[f"anonymous POST /verify ({status})"]
        assert words in " ".join(visible_texts(answer.get_data(as_text=True))), status


def test_the_check_finds_english(app: Flask, session: Session, world: World) -> None:
    """The same walk in English finds what it looks for (so a French page passes for a reason):
    catalogue messages on the error, verification, record and form pages, and English words."""
    web = browser(app, session, "registrar", "en")
    findings = Findings(Untranslated.from_catalogue())
    for url in ("/no-such-page", "/", f"/births/{world.records[0][1]}", "/verify"):
        findings.check(url, web.get(url))
    findings.check("verify", web.post("/verify", {"payload": world.payloads["superseded"]}))
    report = findings.report()
    for english in (
        "Page not found",
        "History of versions",
        "Superseded by a correction on %(date)s: ask for a new certificate.",
        "word 'the'",
    ):
        assert english in report


def test_the_text_extraction() -> None:
    """Scripts, styles and parts in another language are left out; labels read aloud are kept."""
    html = (
        '<html lang="fr"><head><title>Titre</title><style>p{}</style></head><body>'
        '<button lang="en">English</button><img src="x" alt="Emblème"><br>'
        '<script>var s = "Sign in";</script><input type="submit" value="Envoyer">'
        '<nav aria-label="Principal"><p>Texte <b>gras</b></p></nav>'
        '<input placeholder="AAAA"></body>'
    )
    assert visible_texts(html) == [
        "Titre",
        "Emblème",
        "Envoyer",
        "Principal",
        "Texte",
        "gras",
        "AAAA",
    ]
    untranslated = Untranslated(
        frozenset({"Search"}),
        (
            (
                "Version %(n)s of %(m)s",
                re.compile(r"(?<![\w])Version\s+.{1,120}?\s+of\s+.{1,120}?(?![\w])"),
            ),
        ),
    )
    findings = Findings(untranslated)
    findings.check_texts("p", ["Search", "Rechercher", "Version 2 of 3", "0.1 %", "0,1 %"])
    assert sorted(findings.found["p"]) == [
        "Search in 'Search'",
        "Version %(n)s of %(m)s in 'Version 2 of 3'",
        "number '0.1 %' in '0.1 %'",
        "word 'Search' in 'Search'",
    ]


# -- what the walk cannot see: labels of codes, the outbox script's words ----------------------


def _audit_actions() -> tuple[set[str], set[str]]:
    """The actions the services write (literal ones, and prefixes of formatted ones)."""
    literal: set[str] = set()
    prefixes: set[str] = set()

    def collect(node: ast.expr) -> None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            literal.add(node.value)
        elif isinstance(node, ast.IfExp):
            collect(node.body)
            collect(node.orelse)
        elif isinstance(node, ast.JoinedStr) and isinstance(node.values[0], ast.Constant):
            prefixes.add(str(node.values[0].value))

    for path in (ROOT / "registry").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assigned: dict[str, list[ast.expr]] = {}  # an action kept in a variable first
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        assigned.setdefault(target.id, []).append(node.value)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "record"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "audit"
                and len(node.args) >= 3
            ):
                arg = node.args[2]
                for value in assigned.get(arg.id, []) if isinstance(arg, ast.Name) else [arg]:
                    collect(value)
    return literal, prefixes


def test_every_audit_action_has_a_french_label(app: Flask) -> None:
    """Each action a service writes to the audit trail has a label, translated; an unknown one
    would show as its code ("certificate_issued") in a record's audit trail."""
    literal, prefixes = _audit_actions()
    assert {"declare", "register", "certificate_issued"} <= literal  # the scan finds them
    assert literal - set(i18n.ACTIONS) == set()
    for prefix in prefixes:
        assert any(action.startswith(prefix) for action in i18n.ACTIONS), prefix
    for decision in DECISIONS:
        assert f"duplicate_decision:{decision}" in i18n.ACTIONS
    for kind in ("completion", "amendment", "resubmission"):  # written as a variable
        assert kind in i18n.ACTIONS
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        untranslated = Untranslated.from_catalogue()
        for action, english in i18n.ACTIONS.items():
            assert i18n.action_name(action) != english, action
            assert not untranslated.find(i18n.action_name(action)), action
        assert i18n.level_name("region") == "région"
        assert i18n.percent(0.1) == "0,1\u00a0%"
        assert i18n.number(1234.5) == "1\u202f234,5"
        assert i18n.day("2026-12-05") == "5 déc. 2026"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert i18n.percent(0.1) == "0.1\u00a0%"
        assert i18n.action_name("declare") == "Declared"


def test_the_outbox_script_speaks_french(app: Flask, session: Session, client: FlaskClient) -> None:
    """Every word the outbox script shows comes from the page, in French: each key it asks for
    is among the texts the page passes, and each text differs from its English."""
    script = (ROOT / "registry" / "static" / "js" / "offline" / "outbox.js").read_text()
    asked = set(re.findall(r'\bt\("([a-z_]+)"', script)) - {"status_"}
    asked |= {f"status_{s}" for s in ("pending", "sending", "sent", "refused", "duplicate")}
    asked |= set(re.findall(r'(?<=: ")([a-z_]+)(?=")', script.split("var keys =")[1].split(";")[0]))
    asked |= {"births", "deaths"}  # t(item.kind)
    texts = {}
    for language in ("en", "fr"):
        web = browser(app, session, "clerk", language)
        html = web.get("/outbox").get_data(as_text=True)
        found = re.search(r'<script type="application/json" id="outbox-texts">(.*?)</script>', html)
        assert found
        texts[language] = json.loads(found.group(1))
    assert asked <= set(texts["fr"]), asked - set(texts["fr"])
    untranslated = Untranslated.from_catalogue()
    for key, english in texts["en"].items():
        assert texts["fr"][key] != english, key
        assert not untranslated.find(texts["fr"][key]), key
    assert not ENGLISH_WORDS.search(" ".join(texts["fr"].values()))


def test_the_api_names_why_a_certificate_is_invalid(client: FlaskClient, world: World) -> None:
    """The API gives the category /verify translates, beside its English reason."""
    expected = {
        "damaged": "malformed",
        "unknown key": "unknown_key",
        "not in the ledger": "not_in_ledger",
        "not ours": "malformed",
        "superseded": "corrected",
    }
    for name, category in expected.items():
        body = {"payload": world.payloads[name]}
        answer = client.post("/api/v1/certificates/verify", json=body).get_json()
        assert answer["reason_category"] == category, name
