"""Certificates issued by the registry: ledger, latest version, QR verification, revocation."""

from __future__ import annotations

import hashlib
import io
import subprocess
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import zxingcpp
from click.testing import CliRunner
from flask import Flask
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from certificates import check_serial
from config import ConfigError, DevelopmentConfig
from registry.cli import main
from registry.db import make_engine, make_sessionmaker
from registry.domain import EventType
from registry.models import AuditEvent, IssuedCertificate, Record
from registry.schemas.records import DeathIn
from registry.services import certificates as certificate_service
from registry.services import records
from registry.services.settings import RegistrySettings
from tests import factories
from tests.conftest import POSTGRES_URL, FreshDatabases
from tests.factories import ApiClient, birth, death
from tests.test_registry.test_postgres_concurrency import actor, run_together

COLLECTOR = {"name": "Grace Otieno", "relationship": "mother", "id_document": "ID 1234"}


def registered(api: ApiClient, kind: str = "births", body: dict | None = None) -> str:
    record = api.as_user("clerk").declare(kind, body)
    response = api.as_user("registrar").post(f"/api/v1/{kind}/{record['id']}/register", json={})
    assert response.status_code == 200, response.json
    return str(record["id"])


def qr_payload(pdf: bytes, tmp_path: Path) -> str:
    tmp_path.mkdir(parents=True, exist_ok=True)
    source = tmp_path / "certificate.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "150", "-f", "1", "-l", "1", "-png", str(source), str(tmp_path / "p")],
        check=True,
        timeout=60,
    )
    page = next(tmp_path.glob("p*.png"))
    with Image.open(page) as image:
        found = [
            r for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode
        ]
    assert found, "no QR code on the page"
    return found[0].text


def test_a_certificate_of_the_latest_version_verifies_from_its_printed_qr(
    api: ApiClient, signing: Path, session: Session, tmp_path: Path
) -> None:
    record_id = registered(api)
    registrar = api.as_user("registrar")
    api.correct(
        "births",
        record_id,
        {"changes": {"child": {"given_names": "Aminah"}}, "reason": "typo", "evidence": "card"},
    )
    response = registrar.post(
        f"/api/v1/births/{record_id}/certificates", json={"collector": COLLECTOR}
    )
    assert response.status_code == 201, response.data[:200]
    assert response.content_type == "application/pdf"
    pdf = response.data
    assert pdf.startswith(b"%PDF")
    serial = response.headers["X-Certificate-Serial"]
    assert check_serial(serial)
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Amani District Hospital" in text  # the place of birth, from the record
    assert "Amani Civil Registration Office" in text  # the issuing office
    payload = qr_payload(pdf, tmp_path)
    verified = api.client.post("/api/v1/certificates/verify", json={"payload": payload})
    assert verified.status_code == 200
    assert verified.json["status"] == "valid"
    assert verified.json["facts"]["serial"] == serial
    assert verified.json["facts"]["name"] == "Aminah Otieno"
    assert set(verified.json["facts"]) <= {
        "kind", "registration_number", "serial", "name", "event_date", "issue_date",
        "mother_name", "father_name", "date_of_birth", "copy_number", "key_id",
    }  # fmt: skip
    ledger = session.get(IssuedCertificate, serial)
    assert ledger is not None
    assert ledger.pdf_sha256 == hashlib.sha256(pdf).hexdigest()
    assert (ledger.record_version, ledger.copy_number, ledger.collector_relationship) == (
        2,
        None,
        "mother",
    )
    assert (
        session.scalars(select(AuditEvent).where(AuditEvent.action == "certificate_issued"))
        .one()
        .record_id
        == record_id
    )


def test_copies_are_numbered_and_reprints_counted(api: ApiClient, signing: Path) -> None:
    record_id = registered(api, "deaths", death())
    registrar = api.as_user("registrar")
    url = f"/api/v1/deaths/{record_id}/certificates"
    for copy in (False, False, True, True):
        assert registrar.post(url, json={"collector": COLLECTOR, "copy": copy}).status_code == 201
    ledger = registrar.get(url).json
    assert [(row["copy_number"], row["reprint"]) for row in ledger] == [
        (None, 0),
        (None, 1),
        (1, 0),
        (2, 0),
    ]
    serials = [row["serial"] for row in ledger]
    numbers = [int(s.split("-")[1]) for s in serials]
    assert numbers == list(range(numbers[0], numbers[0] + 4))  # gap-free serials


def test_tampered_unknown_and_revoked_payloads(
    api: ApiClient, signing: Path, tmp_path: Path
) -> None:
    record_id = registered(api)
    registrar = api.as_user("registrar")
    response = registrar.post(
        f"/api/v1/births/{record_id}/certificates", json={"collector": COLLECTOR}
    )
    payload = qr_payload(response.data, tmp_path)
    tampered = payload[:-3] + ("A" if payload[-3] != "A" else "B") + payload[-2:]
    assert (
        api.client.post("/api/v1/certificates/verify", json={"payload": tampered}).json["status"]
        == "invalid"
    )
    assert (
        api.client.post("/api/v1/certificates/verify", json={"payload": "hello"}).json["status"]
        == "invalid"
    )
    serial = response.headers["X-Certificate-Serial"]
    private = "Lost at the market, says the mother (phone 0722 000 111)"
    revoked = registrar.post(
        f"/api/v1/certificates/{serial}/revoke",
        json={"reason": private, "category": "lost_or_stolen"},
    )
    assert revoked.status_code == 200
    assert revoked.json["revocation_reason"] == private  # the ledger keeps the registrar's text
    response = api.client.post("/api/v1/certificates/verify", json={"payload": payload})
    result = response.json
    assert result["status"] == "revoked"
    assert (result["reason"], result["reason_category"]) == (
        "Reported lost or stolen.",
        "lost_or_stolen",
    )
    assert b"market" not in response.data  # the public never sees the registrar's text
    again = registrar.post(f"/api/v1/certificates/{serial}/revoke", json={"reason": "lost"})
    assert again.status_code == 409


def test_only_registrars_of_the_area_print_registered_records(
    api: ApiClient, signing: Path
) -> None:
    declared = api.as_user("clerk").declare()
    url = f"/api/v1/births/{declared['id']}/certificates"
    assert api.as_user("registrar").post(url, json={"collector": COLLECTOR}).status_code == 409
    record_id = registered(api, body=birth(8, child={"given_names": "Juma", "sex": "male"}))
    url = f"/api/v1/births/{record_id}/certificates"
    assert api.as_user("clerk").post(url, json={"collector": COLLECTOR}).status_code == 403
    assert api.as_user("registrar.d21").post(url, json={"collector": COLLECTOR}).status_code == 403
    assert api.as_user("registrar").post(url, json={"collector": {}}).status_code == 422


def test_without_a_signing_key_the_answer_is_a_clear_503(
    api: ApiClient, app: Flask, tmp_path: Path
) -> None:
    app.extensions["crvs.settings"] = replace(
        app.extensions["crvs.settings"], cert_keys_dir=str(tmp_path / "none")
    )
    record_id = registered(api)
    response = api.as_user("registrar").post(
        f"/api/v1/births/{record_id}/certificates", json={"collector": COLLECTOR}
    )
    assert response.status_code == 503
    assert "crvs keys generate" in response.json["message"]


def test_keys_and_batch_printing_on_the_command_line(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CERT_KEYS_DIR", str(tmp_path / "keys"))
    runner = CliRunner()
    assert runner.invoke(main, ["demo", "--births", "12", "--deaths", "4"]).exit_code == 0
    assert runner.invoke(main, ["keys", "generate"]).exit_code == 0
    private = next((tmp_path / "keys").glob("*.key.pem"))
    assert private.stat().st_mode & 0o077 == 0
    exported = runner.invoke(main, ["keys", "export", "--out", str(tmp_path / "pub")])
    assert exported.exit_code == 0
    assert len(list((tmp_path / "pub").glob("*.pub.pem"))) == 1
    out = tmp_path / "batch.pdf"
    result = runner.invoke(
        main,
        [
            "certificates",
            "print",
            "--area",
            "DL",
            "--registered-since",
            "2000-01-01",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output + result.stderr
    line = next(x for x in result.output.splitlines() if x.startswith("printed "))
    pages = int(line.split()[1])
    assert pages >= 1
    assert len(PdfReader(str(out)).pages) == pages
    engine = make_engine(db_url)
    with Session(engine) as session:
        digests = set(session.scalars(select(IssuedCertificate.pdf_sha256)))
    engine.dispose()
    assert digests == {hashlib.sha256(out.read_bytes()).hexdigest()}  # the ledger knows the file
    none = runner.invoke(
        main,
        [
            "certificates",
            "print",
            "--area",
            "D11",
            "--registered-since",
            "2999-01-01",
            "--out",
            str(out),
        ],
    )
    assert none.exit_code == 1


# -- issue 13: certificates agree with the register -------------------------------------------


def pdf_text(pdf: bytes, tmp_path: Path) -> list[str]:
    """The lines poppler's pdftotext extracts from a certificate, stripped."""
    source = tmp_path / "text.pdf"
    source.write_bytes(pdf)
    done = subprocess.run(["pdftotext", str(source), "-"], check=True, capture_output=True)
    return [line.strip() for line in done.stdout.decode().splitlines() if line.strip()]


CHAIN = {
    "part1": [
        {"text": "Acute myocardial infarction", "icd10": "I21.9", "interval": "2 hours"},
        {"text": "Chronic ischaemic heart disease", "icd10": "I25.1", "interval": "6 years"},
        {"text": "Essential hypertension", "icd10": "I10", "interval": "15 years"},
    ],
    "underlying_icd10": "I25.1",
    "manner": "disease",
    "established_by": "medical_certificate",
}


def test_a_death_certificate_prints_the_coded_underlying_cause(
    api: ApiClient, app: Flask, signing: Path, tmp_path: Path
) -> None:
    """It prints the underlying cause as certified (the Part 1 line carrying the coded cause,
    with its code), not the last line's text; Part 1 only when configured."""
    record_id = registered(api, "deaths", death(cause=CHAIN))
    url = f"/api/v1/deaths/{record_id}/certificates"
    registrar = api.as_user("registrar")
    lines = pdf_text(registrar.post(url, json={"collector": COLLECTOR}).data, tmp_path)
    assert "Chronic ischaemic heart disease (I25.1)" in lines
    assert not any("Essential hypertension" in line for line in lines)
    assert not any("Acute myocardial infarction" in line for line in lines)
    app.extensions["crvs.settings"] = replace(
        app.extensions["crvs.settings"], cert_cause_sequence=True
    )
    lines = pdf_text(registrar.post(url, json={"collector": COLLECTOR}).data, tmp_path)
    assert "Chronic ischaemic heart disease (I25.1)" in lines
    assert lines.index("a) Acute myocardial infarction (I21.9), 2 hours") < lines.index(
        "b) Chronic ischaemic heart disease (I25.1), 6 years"
    )
    assert "c) Essential hypertension (I10), 15 years" in lines


def test_an_underlying_cause_on_no_line_prints_as_its_code(
    api: ApiClient, signing: Path, tmp_path: Path
) -> None:
    """It prints the coded underlying cause alone when no Part 1 line carries that code."""
    cause = dict(CHAIN, underlying_icd10="E11.9")
    record_id = registered(api, "deaths", death(cause=cause))
    response = api.as_user("registrar").post(
        f"/api/v1/deaths/{record_id}/certificates", json={"collector": COLLECTOR}
    )
    assert "E11.9" in pdf_text(response.data, tmp_path)


def test_a_correction_supersedes_the_certificates_printed_before_it(
    api: ApiClient, signing: Path, tmp_path: Path
) -> None:
    """It reports a certificate printed before a correction of a printed fact as superseded
    (genuine, not current), with the correction's date; the new certificate is valid; a
    correction of a fact not printed leaves certificates in force."""
    record_id = registered(api)
    registrar = api.as_user("registrar")
    url = f"/api/v1/births/{record_id}/certificates"
    old = qr_payload(registrar.post(url, json={"collector": COLLECTOR}).data, tmp_path)

    def verify(payload: str) -> dict:
        response = api.client.post("/api/v1/certificates/verify", json={"payload": payload})
        assert response.status_code == 200
        return dict(response.json)

    weight = api.correct(
        "births",
        record_id,
        {"changes": {"child": {"birth_weight_grams": 3300}}, "reason": "scale",
              "evidence": "clinic card"},
    )  # fmt: skip
    assert weight.status_code == 200, weight.json
    assert verify(old)["status"] == "valid"  # the weight is not on the certificate
    name = api.correct(
        "births",
        record_id,
        {"changes": {"child": {"given_names": "Aminah"}}, "reason": "typo",
              "evidence": "clinic card"},
    )  # fmt: skip
    assert name.status_code == 200, name.json
    result = verify(old)
    assert result["status"] == "superseded"
    on = date.today().isoformat()
    assert result["superseded_at"] == on
    assert result["reason"] == f"Superseded by a correction on {on}: ask for a new certificate."
    assert result["reason_category"] == "corrected"
    assert result["facts"]["name"] == "Amina Otieno"  # as printed on the old paper
    assert "typo" not in str(result) and "clinic card" not in str(result)
    new = qr_payload(registrar.post(url, json={"collector": COLLECTOR}).data, tmp_path / "n")
    assert verify(new)["status"] == "valid"
    assert verify(new)["facts"]["name"] == "Aminah Otieno"


def test_names_are_signed_as_printed(api: ApiClient, signing: Path, tmp_path: Path) -> None:
    """It signs and shows the names exactly as recorded and printed (case and accents kept)."""
    body = birth(
        child={"given_names": "Grace Wanjiru", "family_name": "KAMAU-Adébáyọ̀"},
        mother={"given_names": "Zoë", "family_name": "McKenzie"},
    )
    record_id = registered(api, body=body)
    response = api.as_user("registrar").post(
        f"/api/v1/births/{record_id}/certificates", json={"collector": COLLECTOR}
    )
    lines = pdf_text(response.data, tmp_path)
    assert "Grace Wanjiru KAMAU-Adébáyọ̀" in lines and "Zoë McKenzie" in lines
    payload = qr_payload(response.data, tmp_path / "q")
    facts = api.client.post("/api/v1/certificates/verify", json={"payload": payload}).json["facts"]
    assert (facts["name"], facts["mother_name"]) == ("Grace Wanjiru KAMAU-Adébáyọ̀", "Zoë McKenzie")


def test_the_longest_names_the_form_accepts_are_certified(
    api: ApiClient, signing: Path, tmp_path: Path
) -> None:
    """It certifies a record whose names are as long as registration accepts (199 and 200
    characters): the whole name is printed, and the QR code verifies."""
    given = ("Nyambura " * 25)[:198] + "X"
    family = "Wairimu" + "k" * 193
    assert (len(given), len(family)) == (199, 200)
    body = birth(
        child={"given_names": given, "family_name": family},
        mother={"given_names": given, "family_name": family},
    )
    record_id = registered(api, body=body)
    response = api.as_user("registrar").post(
        f"/api/v1/births/{record_id}/certificates", json={"collector": COLLECTOR}
    )
    assert response.status_code == 201, response.json
    printed = "".join(pdf_text(response.data, tmp_path)).replace(" ", "")
    assert f"{given}{family}".replace(" ", "") in printed
    payload = qr_payload(response.data, tmp_path / "q")
    result = api.client.post("/api/v1/certificates/verify", json={"payload": payload}).json
    assert result["status"] == "valid"
    assert result["facts"]["name"].endswith("…")
    assert f"{given} {family}".startswith(result["facts"]["name"][:-1])


def _png(colour: tuple[int, int, int], path: Path) -> Path:
    Image.new("RGB", (120, 120), colour).save(path, "PNG")
    return path


def test_the_authority_identity_comes_from_configuration(
    api: ApiClient, app: Flask, signing: Path, tmp_path: Path
) -> None:
    """It prints the configured country, authority, signer's title, emblem and seal."""
    app.extensions["crvs.settings"] = replace(
        app.extensions["crvs.settings"],
        cert_country="Republic of Amani",
        cert_authority="Office of the Registrar General",
        cert_signer_title="District Registrar, Amani",
        cert_emblem=str(_png((0, 90, 40), tmp_path / "emblem.png")),
        cert_seal=str(_png((150, 0, 0), tmp_path / "seal.png")),
    )
    record_id = registered(api)
    response = api.as_user("registrar").post(
        f"/api/v1/births/{record_id}/certificates", json={"collector": COLLECTOR}
    )
    lines = pdf_text(response.data, tmp_path)
    for text in (
        "Republic of Amani",
        "Office of the Registrar General",
        "District Registrar, Amani",
    ):
        assert text in lines
    page = tmp_path / "page"
    (tmp_path / "c.pdf").write_bytes(response.data)
    subprocess.run(
        ["pdftoppm", "-r", "40", "-png", "-singlefile", str(tmp_path / "c.pdf"), str(page)],
        check=True,
    )
    with Image.open(f"{page}.png") as rendered:
        rgb = rendered.convert("RGB")
        colours = {rgb.getpixel((x, y)) for x in range(rgb.width) for y in range(rgb.height)}
    assert (0, 90, 40) in colours and (150, 0, 0) in colours  # the emblem and the seal


def test_an_unreadable_configured_image_is_a_clear_503(
    api: ApiClient, app: Flask, signing: Path, tmp_path: Path
) -> None:
    """It answers 503 naming the setting when the configured seal has gone from the disk."""
    app.extensions["crvs.settings"] = replace(
        app.extensions["crvs.settings"], cert_seal=str(tmp_path / "gone.png")
    )
    record_id = registered(api)
    response = api.as_user("registrar").post(
        f"/api/v1/births/{record_id}/certificates", json={"collector": COLLECTOR}
    )
    assert response.status_code == 503
    assert "CERT_SEAL" in response.json["message"]


@pytest.mark.postgres_only
@pytest.mark.skipif(not POSTGRES_URL, reason="concurrency needs PostgreSQL")
def test_concurrent_issues_number_copies_and_reprints_one_by_one(
    fresh_databases: FreshDatabases, tmp_path: Path
) -> None:
    """It gives 8 simultaneous certified copies of one record the numbers 1-8, and 6
    simultaneous originals the reprint numbers 0-5, with gap-free serials."""
    url = fresh_databases.create("postgresql")
    engine = make_engine(url, pool_size=16, max_overflow=0)
    maker = make_sessionmaker(engine)
    settings = replace(factories.SETTINGS, cert_keys_dir=str(tmp_path / "keys"))
    try:
        with maker() as session:
            registrar = actor(session, "registrar")
            record = records.declare(
                session, actor(session, "clerk"), EventType.DEATH,
                DeathIn().load(factories.unique("deaths")),
            )  # fmt: skip
            records.register(session, settings, registrar, EventType.DEATH, record.id)
            certificate_service.generate_key(session, settings)
            session.commit()
            record_id = record.id

        def issue(copy: bool) -> tuple[int | None, int, str]:
            with maker() as session:
                _pdf, row = certificate_service.issue(
                    session, settings, actor(session, "registrar"), EventType.DEATH,
                    record_id, certificate_service.Collector("Mary Mwangi", "child"), copy=copy,
                )  # fmt: skip
                session.commit()
                return row.copy_number, row.reprint, row.serial

        copies = run_together(8, lambda _: issue(True))
        originals = run_together(6, lambda _: issue(False))
    finally:
        engine.dispose()
    assert sorted(c for c, _, _ in copies) == list(range(1, 9))
    assert sorted(r for _, r, _ in originals) == list(range(6))
    numbers = sorted(int(s.split("-")[1]) for _, _, s in copies + originals)
    assert numbers == list(range(numbers[0], numbers[0] + 14))


def test_the_ledger_refuses_a_second_certificate_with_the_same_number(
    api: ApiClient, signing: Path, session: Session
) -> None:
    """It refuses, in the database itself, two copies or two originals of one record with the
    same number."""
    record_id = registered(api)
    url = f"/api/v1/births/{record_id}/certificates"
    registrar = api.as_user("registrar")
    for copy in (False, True):
        assert registrar.post(url, json={"collector": COLLECTOR, "copy": copy}).status_code == 201
    rows = session.scalars(
        select(IssuedCertificate).where(IssuedCertificate.record_id == record_id)
    ).all()
    for row in rows:
        twin = IssuedCertificate(
            **{
                column: getattr(row, column)
                for column in ("record_id", "record_version", "template", "copy_number",
                               "reprint", "issued_by_id", "collector_name",
                               "collector_relationship", "pdf_sha256", "key_id")
            },
            serial=row.serial + "X",
        )  # fmt: skip
        with pytest.raises(IntegrityError), session.begin_nested():
            session.add(twin)
            session.flush()


def test_certificate_settings_are_read_and_checked_at_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """It reads the authority's identity from the environment and refuses, naming the
    setting, an emblem or seal that is not a readable PNG file, or a cause flag not a boolean."""
    emblem = _png((0, 0, 0), tmp_path / "emblem.png")
    monkeypatch.setenv("CERT_COUNTRY", "République d'Amani")
    monkeypatch.setenv("CERT_SIGNER_TITLE", "Officier de l'état civil")
    monkeypatch.setenv("CERT_EMBLEM", str(emblem))
    monkeypatch.setenv("CERT_CAUSE_SEQUENCE", "true")
    loaded = RegistrySettings.from_config(DevelopmentConfig().as_dict())
    assert (loaded.cert_country, loaded.cert_signer_title, loaded.cert_emblem) == (
        "République d'Amani",
        "Officier de l'état civil",
        str(emblem),
    )
    assert loaded.cert_cause_sequence is True
    (tmp_path / "seal.svg").write_text("<svg/>")
    for name, value, message in (
        ("CERT_SEAL", str(tmp_path / "seal.svg"), "CERT_SEAL: .* is not a PNG image"),
        ("CERT_EMBLEM", str(tmp_path / "none.png"), "CERT_EMBLEM: cannot read"),
        ("CERT_CAUSE_SEQUENCE", "maybe", "CERT_CAUSE_SEQUENCE must be true or false"),
    ):
        with monkeypatch.context() as patch:
            patch.setenv(name, value)
            with pytest.raises(ConfigError, match=message):
                DevelopmentConfig()


def test_cancelling_a_registration_revokes_its_certificates_in_force(
    api: ApiClient, signing: Path, session: Session, tmp_path: Path
) -> None:
    """It revokes every certificate of a record still in force with the category "cancelled
    registration", keeps an earlier revocation as it was, and /verify says so in words."""
    record_id = registered(api)
    registrar = api.as_user("registrar")
    url = f"/api/v1/births/{record_id}/certificates"
    first, second = (registrar.post(url, json={"collector": COLLECTOR}) for _ in range(2))
    lost = registrar.post(
        f"/api/v1/certificates/{first.headers['X-Certificate-Serial']}/revoke",
        json={"reason": "lost", "category": "lost_or_stolen"},
    )
    assert lost.status_code == 200
    record = session.get(Record, record_id)
    assert record is not None
    revoked = certificate_service.revoke_for_record(
        session, actor(session, "registrar"), record, "duplicate of B-000001"
    )
    assert [row.serial for row in revoked] == [second.headers["X-Certificate-Serial"]]
    categories = {
        row.serial: row.revocation_category
        for row in session.scalars(
            select(IssuedCertificate).where(IssuedCertificate.record_id == record_id)
        )
    }
    assert sorted(categories.values()) == ["cancelled_registration", "lost_or_stolen"]
    payload = qr_payload(second.data, tmp_path)
    result = api.client.post("/api/v1/certificates/verify", json={"payload": payload}).json
    assert (result["status"], result["reason"]) == ("revoked", "The registration was cancelled.")
    assert "B-000001" not in str(result)
