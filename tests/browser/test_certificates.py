"""In a real browser: a learner downloads their certificate, a stranger verifies it."""

import json
import re
from pathlib import Path

import pytest

from lms.extensions import db
from lms.models import User
from tests.browser.conftest import sign_in
from tests.lms.certificates.conftest import certify

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def issued(live_server):
    """A certificate for the demo learner, as completing the module gives."""
    _base, app = live_server
    with app.app_context():
        learner = db.session.execute(
            db.select(User).filter_by(email="learner@example.org")
        ).scalar_one()
        certificate = certify(learner)
        details = certificate.code, certificate.uuid
        db.session.remove()
    return details


def test_learner_downloads_and_a_stranger_verifies(
    live_server, browser, page, axe, issued
):
    base, _app = live_server
    code, _uuid = issued
    sign_in(page, base, "learner@example.org", "learner-demo-2026")

    page.click("a[href='/certificates/']")
    page.wait_for_url(re.compile(r"/certificates/$"))
    axe.check(page)
    assert page.locator("h1").inner_text() == "Mine kompetencebeviser"

    with page.expect_download() as pdf_download:
        page.get_by_role("link", name=re.compile("^Hent PDF")).click()
    pdf = pdf_download.value
    assert pdf.suggested_filename == f"certificate-{code}.pdf"
    assert Path(pdf.path()).read_bytes()[:5] == b"%PDF-"

    with page.expect_download() as credential_download:
        page.get_by_role("link", name=re.compile("^Hent digitalt bevis")).click()
    credential = json.loads(
        Path(credential_download.value.path()).read_text(encoding="utf-8")
    )
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["proof"]["cryptosuite"] == "eddsa-rdfc-2022"

    stranger = browser.new_context(locale="en-GB")
    visitor = stranger.new_page()
    try:
        visitor.goto(f"{base}/verify/")
        axe.check(visitor)
        visitor.fill("#code", code.lower())
        visitor.click("form button.primary")
        visitor.wait_for_url(re.compile(rf"/verify/{code.lower()}$"))
        axe.check(visitor)
        assert "Gyldigt" in visitor.locator(".verdict").inner_text()
        assert visitor.get_by_text("Lene Sørensen").count() == 1
        visitor.goto(f"{base}/verify/{code}?lang=en")
        axe.check(visitor)
        assert "Valid" in visitor.locator(".verdict").inner_text()
        visitor.goto(f"{base}/verify/AAAAAAAAAAAA")
        axe.check(visitor)
        assert visitor.locator("h1").inner_text() == "Certificate not found"
    finally:
        stranger.close()
    assert axe.pages == 5
    assert axe.findings == []


def test_an_admin_finds_and_revokes_in_chromium(live_server, page, axe, issued):
    base, _app = live_server
    code, certificate_uuid = issued
    sign_in(page, base, "admin@example.org", "admin-demo-2026")
    page.goto(f"{base}/certificates/admin/?q={code}")
    axe.check(page)
    page.click(f"a[href='/certificates/admin/{certificate_uuid}/revoke']")
    axe.check(page)
    page.click("form button.primary")  # no reason yet
    assert page.locator("#reason-error").is_visible()
    axe.check(page)
    page.fill("#reason", "Udstedt ved en fejl")
    page.click("form button.primary")
    page.wait_for_selector(".flash.success")
    axe.check(page)
    page.goto(f"{base}/certificates/admin/keys")
    axe.check(page)
    page.goto(f"{base}/verify/{code}")
    assert "Tilbagekaldt" in page.locator(".verdict").inner_text()
    assert axe.findings == []
