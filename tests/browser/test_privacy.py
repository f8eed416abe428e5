"""In a real browser: a learner downloads their data, an admin erases a person."""

import json
import re
import zipfile
from pathlib import Path

import pytest

from lms.extensions import db
from lms.models import User
from tests.browser.conftest import sign_in
from tests.lms.certificates.conftest import certify

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def code(live_server):
    """The demo learner's certificate code."""
    _base, app = live_server
    with app.app_context():
        learner = db.session.execute(
            db.select(User).filter_by(email="learner@example.org")
        ).scalar_one()
        found = certify(learner).code
        db.session.remove()
    return found


def test_a_learner_downloads_their_data(live_server, page, axe, code):
    base, _app = live_server
    sign_in(page, base, "learner@example.org", "learner-demo-2026")
    page.goto(f"{base}/account")
    axe.check(page)
    assert page.get_by_role("heading", name="Dine data").count() == 1

    with page.expect_download() as as_json:
        page.get_by_role("button", name="Hent mine data (JSON)").click()
    assert re.fullmatch(
        r"my-data-\d{4}-\d{2}-\d{2}\.json", as_json.value.suggested_filename
    )
    data = json.loads(Path(as_json.value.path()).read_text(encoding="utf-8"))
    assert data["profile"]["email"] == "learner@example.org"
    assert [c["code"] for c in data["certificates"]] == [code]

    with page.expect_download() as as_zip:
        page.get_by_role("button", name=re.compile(r"^Hent mine data \(CSV")).click()
    assert as_zip.value.suggested_filename.endswith(".zip")
    assert "statements.csv" in zipfile.ZipFile(as_zip.value.path()).namelist()
    page.goto(f"{base}/account?lang=en")
    axe.check(page)
    assert axe.findings == []


def test_an_admin_erases_a_person_after_confirming(live_server, page, axe, code):
    base, _app = live_server
    sign_in(page, base, "admin@example.org", "admin-demo-2026")
    page.goto(f"{base}/admin/users")
    axe.check(page)
    page.get_by_role("link", name=re.compile(r"^Slet\W+Lene")).click()
    page.wait_for_url(re.compile(r"/admin/users/\d+/erase$"))
    axe.check(page)
    assert page.get_by_text("Der videresendes ingen statements").count() == 1

    page.click("form button.primary")  # nothing typed yet
    assert page.locator("#email-error").is_visible()
    assert page.locator("#reason-error").is_visible()
    axe.check(page)
    page.fill("#email", "learner@example.org")
    page.fill("#reason", "Anmodning om sletning, sag 2026-114")
    page.click("form button.primary")
    page.wait_for_selector(".flash.success")
    axe.check(page)
    assert page.get_by_role("button").filter(has_text="Slet personens").count() == 0

    page.goto(f"{base}/verify/{code}")
    axe.check(page)
    assert "Gyldigt" in page.locator(".verdict").inner_text()
    assert page.get_by_text("Udstedt til en slettet indehaver").count() == 1
    assert page.get_by_text("Lene Sørensen").count() == 0
    page.goto(f"{base}/admin/users?lang=en")
    axe.check(page)
    assert axe.pages == 6
    assert axe.findings == []
