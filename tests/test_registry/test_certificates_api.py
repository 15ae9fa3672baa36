"""Certificates issued by the registry: ledger, latest version, QR verification, revocation."""

from __future__ import annotations

import hashlib
import io
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
import zxingcpp
from click.testing import CliRunner
from flask import Flask
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from certificates import check_serial
from registry.cli import main
from registry.db import make_engine
from registry.models import AuditEvent, IssuedCertificate
from tests.factories import ApiClient, birth, death

COLLECTOR = {"name": "Grace Otieno", "relationship": "mother", "id_document": "ID 1234"}


def registered(api: ApiClient, kind: str = "births", body: dict | None = None) -> str:
    record = api.as_user("clerk").declare(kind, body)
    response = api.as_user("registrar").post(f"/api/v1/{kind}/{record['id']}/register", json={})
    assert response.status_code == 200, response.json
    return str(record["id"])


def qr_payload(pdf: bytes, tmp_path: Path) -> str:
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
    registrar.post(
        f"/api/v1/births/{record_id}/corrections",
        json={
            "changes": {"child": {"given_names": "Aminah"}},
            "reason": "typo",
            "evidence": "card",
        },
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
