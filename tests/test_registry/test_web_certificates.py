"""Certificates through the pages: issue (PDF download), ledger, revocation, public /verify."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import pytest
from babel.dates import format_date
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from registry.models import AuditEvent, IssuedCertificate
from tests.factories import birth
from tests.test_registry.test_web_support import Web

COLLECTOR = {
    "collector.name": "Grace Otieno",
    "collector.relationship": "mother",
    "collector.id_document": "National ID 12345678",
}


@pytest.fixture
def web(client: FlaskClient, session: Session) -> Web:
    return Web(client, session)


def registered(web: Web) -> str:
    record = web.api.as_user("clerk").declare(body=birth(4))
    done = web.api.as_user("registrar").post(f"/api/v1/births/{record['id']}/register", json={})
    assert done.status_code == 200, done.json
    return str(record["id"])


def payload_of(pdf: bytes, tmp_path: Path) -> str:
    """The QR payload of a certificate PDF (rendered with pdftoppm, read with zxing-cpp)."""
    import subprocess

    import zxingcpp
    from PIL import Image

    (tmp_path / "c.pdf").write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "150",
            "-png",
            "-singlefile",
            str(tmp_path / "c.pdf"),
            str(tmp_path / "c"),
        ],
        check=True,
    )
    with Image.open(tmp_path / "c.png") as image:
        found = zxingcpp.read_barcodes(image.convert("L"))
    return next(r.text for r in found if r.text.startswith("CRVS1:"))


def upload(web: Web, content: bytes, filename: str) -> TestResponse:
    """POST a file to /verify as a browser does (the body built here, in memory)."""
    boundary = "----crvs-test-boundary"
    token = web.token("/verify")
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
            f"--{boundary}\r\nContent-Disposition: form-data; "
            f'name="image"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return web.client.post(
        "/verify", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def issue(web: Web, rid: str, **extra: str) -> TestResponse:
    return web.post(f"/births/{rid}/certificates", COLLECTOR | extra)


def test_a_registrar_issues_a_certificate_as_a_download(
    web: Web, session: Session, signing: Path
) -> None:
    rid = registered(web)
    web.as_user("registrar")
    page = web.text(web.get(f"/births/{rid}"))
    assert 'id="issue-certificate"' in page
    assert "No certificate has been issued yet." in page
    response = issue(web, rid)
    assert response.status_code == 200
    assert response.content_type == "application/pdf"
    serial = response.headers["X-Certificate-Serial"]
    disposition = response.headers["Content-Disposition"]
    assert disposition == f'attachment; filename="{serial}.pdf"'
    assert response.headers["Cache-Control"] == "no-store"
    assert response.data.startswith(b"%PDF")
    row = session.get(IssuedCertificate, serial)
    assert row is not None and row.collector_name == "Grace Otieno"
    assert row.collector_id_document == "National ID 12345678"
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.record_id == rid)).all()
    assert "certificate_issued" in actions
    # A reprint and a certified copy; the ledger says which is which.
    issue(web, rid)
    issue(web, rid, copy="y")
    ledger = web.text(web.get(f"/births/{rid}")).split('id="h-certificates"')[1]
    ledger = ledger.split("</section>")[0]
    assert serial in ledger
    assert "First certificate" in ledger
    assert "Reprint 1" in ledger
    assert "Certified copy no. 1" in ledger
    assert "Grace Otieno" in ledger and "(mother)" in ledger


def test_the_issue_form_says_what_is_missing(web: Web, signing: Path) -> None:
    rid = registered(web)
    web.as_user("registrar")
    response = web.post(f"/births/{rid}/certificates", {"collector.name": "Grace"})
    assert response.status_code == 422
    text = web.text(response)
    assert re.search(r'id="c-relationship-error">Missing data for required field', text)
    assert 'value="Grace"' in text


def test_without_a_signing_key_the_page_says_so(web: Web) -> None:
    rid = registered(web)
    web.as_user("registrar")
    response = issue(web, rid)
    assert response.status_code == 503
    text = web.text(response)
    assert "No certificate signing key on this server" in text
    assert 'id="certificate-error"' in text


def test_only_registrars_of_the_area_issue(web: Web, signing: Path) -> None:
    rid = registered(web)
    web.as_user("clerk")
    page = web.text(web.get(f"/births/{rid}"))
    assert 'id="h-certificates"' in page and 'id="issue-certificate"' not in page
    assert issue(web, rid).status_code == 403
    web.post("/logout")
    web.as_user("registrar.d21")
    assert issue(web, rid).status_code == 403
    declared = web.api.as_user("clerk").declare(body=birth(9, child={"given_names": "Zuri"}))
    web.post("/logout")
    web.as_user("registrar")
    assert issue(web, declared["id"]).status_code == 409


def test_revoking_and_verifying_a_certificate(
    web: Web, session: Session, signing: Path, tmp_path: Path
) -> None:
    rid = registered(web)
    web.as_user("registrar")
    response = issue(web, rid)
    serial = response.headers["X-Certificate-Serial"]
    payload = payload_of(response.data, tmp_path)
    web.post("/logout")
    # Anyone can verify: no sign-in, but the form's CSRF token is needed.
    form = web.text(web.get("/verify"))
    assert 'name="csrf_token"' in form
    assert web.client.post("/verify", data={"payload": payload}).status_code == 400
    valid = web.post("/verify", {"payload": payload})
    text = web.text(valid)
    assert valid.status_code == 200
    assert "Valid: this certificate is genuine" in text
    assert "Amina Otieno" in text and serial in text and "Grace Otieno" in text
    assert "12345678" not in text  # the collector's document is not printed on it
    # A tampered payload is invalid.
    forged = payload[:-3] + ("AAA" if not payload.endswith("AAA") else "BBB")
    assert "Invalid" in web.text(web.post("/verify", {"payload": forged}))
    # The registrar revokes it with a reason; the page then says so.
    web.as_user("registrar")
    empty = web.post(f"/certificates/{serial}/revoke", {"reason": ""})
    assert empty.status_code == 422
    done = web.post(f"/certificates/{serial}/revoke", {"reason": "Lost, reported by the mother"})
    assert done.status_code == 303
    ledger = web.text(web.get(f"/births/{rid}"))
    assert "Lost, reported by the mother" in ledger
    web.post("/logout")
    revoked = web.text(web.post("/verify", {"payload": payload}))
    assert "Revoked: this certificate is no longer valid" in revoked
    assert "Lost, reported" not in revoked


def test_verify_reads_the_qr_from_an_uploaded_image(
    web: Web, signing: Path, tmp_path: Path
) -> None:
    rid = registered(web)
    web.as_user("registrar")
    pdf = issue(web, rid).data
    payload_of(pdf, tmp_path)
    png = (tmp_path / "c.png").read_bytes()
    web.post("/logout")
    ok = upload(web, png, "scan.png")
    assert ok.status_code == 200
    assert "Valid: this certificate is genuine" in web.text(ok)
    # JPEG works too.
    from PIL import Image

    jpeg = io.BytesIO()
    with Image.open(io.BytesIO(png)) as image:
        image.convert("RGB").save(jpeg, "JPEG", quality=90)
    assert "Valid:" in web.text(upload(web, jpeg.getvalue(), "photo.jpg"))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"%PDF-1.7 not an image", "Only PNG and JPEG images can be read."),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "Only PNG and JPEG images can be read."),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "The image could not be read."),
        (b"\xff\xd8\xff" + b"\x00" * 2_000_000, "too large"),
    ],
)
def test_verify_refuses_other_files(web: Web, content: bytes, message: str) -> None:
    response = upload(web, content, "file.png")
    assert response.status_code in (413, 422)
    if response.status_code == 422:
        assert message in web.text(response)


def test_verify_finds_no_qr_in_a_plain_image(web: Web) -> None:
    from PIL import Image

    blank = io.BytesIO()
    Image.new("L", (200, 200), 255).save(blank, "PNG")
    response = upload(web, blank.getvalue(), "blank.png")
    assert response.status_code == 422
    text = web.text(response)
    assert "No certificate QR code was found in the image." in text


def test_the_sign_in_page_links_to_verify(web: Web) -> None:
    assert 'href="/verify"' in web.text(web.get("/login"))
    assert web.get("/verify").status_code == 200
    assert "Not a valid" not in web.text(web.post("/verify", {"payload": "hello"}))


def test_verify_says_a_corrected_certificate_is_superseded(
    web: Web, signing: Path, tmp_path: Path
) -> None:
    """It tells the public that a certificate printed before a correction is genuine but
    superseded, on which date, and to ask for a new one."""
    rid = registered(web)
    web.as_user("registrar")
    payload = payload_of(issue(web, rid).data, tmp_path)
    corrected = web.api.correct(
        "births",
        rid,
        {"changes": {"child": {"family_name": "Odhiambo"}}, "reason": "clerk's typo",
              "evidence": "hospital notification"},
    )  # fmt: skip
    assert corrected.status_code == 200
    shown_on = format_date(date.today(), "medium", locale="en")  # dates as the page's locale says
    ledger = web.text(web.get(f"/births/{rid}")).split('id="h-certificates"')[1]
    assert f"Superseded by the correction of {shown_on}." in ledger  # the registrar sees it too
    web.post("/logout")
    text = web.text(web.post("/verify", {"payload": payload}))
    assert "Superseded: this certificate is genuine but no longer current" in text
    assert f"Superseded by a correction on {shown_on}: ask for a new certificate." in text
    assert "Amina Otieno" in text  # the name as printed on the paper in hand
    assert "clerk's typo" not in text and "hospital notification" not in text


def test_revoking_on_the_page_tells_the_public_the_category_only(
    web: Web, session: Session, signing: Path, tmp_path: Path
) -> None:
    """It revokes with a reason and a public category; /verify shows the category's words."""
    rid = registered(web)
    web.as_user("registrar")
    response = issue(web, rid)
    serial = response.headers["X-Certificate-Serial"]
    payload = payload_of(response.data, tmp_path)
    page = web.text(web.get(f"/births/{rid}"))
    assert f'id="rc-{serial}"' in page and 'value="printed_in_error"' in page
    bad = web.post(f"/certificates/{serial}/revoke", {"reason": "x", "category": "gossip"})
    assert bad.status_code == 422
    done = web.post(
        f"/certificates/{serial}/revoke",
        {"reason": "Wrong office printed, see memo 14", "category": "printed_in_error"},
    )
    assert done.status_code == 303
    row = session.get(IssuedCertificate, serial)
    assert row is not None and row.revocation_category == "printed_in_error"
    web.post("/logout")
    text = web.text(web.post("/verify", {"payload": payload}))
    assert "Revoked: this certificate is no longer valid" in text
    assert "Printed in error." in text
    assert "memo 14" not in text
