"""In a real browser: a manager follows their staff, in Danish and English."""

import re
from datetime import UTC, datetime, timedelta

import pytest

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def staffed(live_server):
    """The live server with the competence demo and a few certificates."""
    base, app = live_server
    with app.app_context():
        from lms.competence.demo import load_competence_demo
        from lms.extensions import db
        from lms.models import User
        from tests.lms import competence_fixture

        load_competence_demo()
        now = datetime.now(UTC)
        # certify() dates certificates from the fixture's NOW; restore it for others.
        fixed, competence_fixture.NOW = competence_fixture.NOW, now
        try:
            maria = db.session.execute(
                db.select(User).filter_by(email="staff3@example.org")
            ).scalar_one()
            competence_fixture.certify(
                maria, {"use.video": 2}, now + timedelta(days=30)
            )
            sara = db.session.execute(
                db.select(User).filter_by(email="staff1@example.org")
            ).scalar_one()
            competence_fixture.certify(
                sara, {"use.secure": 2}, now + timedelta(days=700)
            )
        finally:
            competence_fixture.NOW = fixed
        ids = {"maria": maria.id}
        db.session.remove()
    return base, ids


def _login(page, base, email, password):
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("form button.primary")
    page.wait_for_url(re.compile(r"/learn/"))


def test_manager_dashboard_in_danish_and_english(staffed, page, axe):
    base, ids = staffed
    _login(page, base, "manager@example.org", "manager-demo-2026")
    page.click("nav a[href='/manage/']")
    page.wait_for_url(re.compile(r"/manage/$"))
    assert page.locator("h1").inner_text() == "Lederoverblik"
    axe.check(page)

    page.click(".unit-tree a:text('Ældre og Sundhed')")
    page.wait_for_url(re.compile(r"/manage/units/\d+$"))
    assert page.locator("table.heatmap").count() == 1
    cell = page.locator("td.heat.poor, td.heat.fair, td.heat.good").first
    cell.focus()
    counts = cell.locator(".counts")
    assert re.fullmatch(r"\d+ af \d+ lever op til den", counts.inner_text())
    assert counts.evaluate("e => getComputedStyle(e).opacity") == "1"
    assert page.locator("svg[role=img]").count() == 1
    assert page.locator("table.chart-data tbody tr").count() == 12
    axe.check(page)

    page.locator(f"a[href='/manage/people/{ids['maria']}']").first.click()
    page.wait_for_url(re.compile(r"/manage/people/\d+$"))
    assert page.locator("h1").inner_text() == "Maria Jensen"
    assert "Udløber inden for 90 dage" in page.content()
    axe.check(page)

    page.go_back()
    page.click("a.button:text('Tildel uddannelse')")
    page.wait_for_url(re.compile(r"/assignments$"))
    axe.check(page)
    page.select_option(
        "#target", label="Sikker digital kommunikation og databeskyttelse"
    )
    page.fill("#due_on", "bad date")
    page.click("form button.primary")
    assert page.locator(".error-summary").count() == 1
    axe.check(page)
    page.fill("#due_on", (datetime.now(UTC) + timedelta(days=60)).date().isoformat())
    page.check("input[name=job_roles][value=nurse]")
    page.click("form button.primary")
    page.wait_for_selector(".flash.success")
    assert page.locator("table tbody tr").count() == 2
    axe.check(page)

    page.click("header button[name=locale][value=en]")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Required training"
    axe.check(page)
    page.click("p.crumbs a")
    page.wait_for_url(re.compile(r"/manage/units/\d+$"))
    assert (
        page.locator("h2#heat-title").inner_text()
        == "Competences against role profiles"
    )
    axe.check(page)
    page.click("a[href$='/lists/due_soon']")
    page.wait_for_url(re.compile(r"/lists/due_soon$"))
    axe.check(page)
    assert axe.pages == 9
    assert axe.findings == []


def test_admin_edits_a_role_profile(staffed, page, axe):
    base, _ids = staffed
    _login(page, base, "admin@example.org", "admin-demo-2026")
    page.click("nav a[href='/admin/role-profiles/']")
    page.wait_for_url(re.compile(r"/admin/role-profiles/$"))
    axe.check(page)
    page.click("a[href='/admin/role-profiles/care_helper']")
    axe.check(page)
    page.select_option("#c_use__telemonitoring", "2")
    page.click("form button.primary")
    page.wait_for_selector(".flash.success")
    assert "Sundhedsapps og telemonitorering: niveau 2" in page.content()
    axe.check(page)
    assert axe.findings == []
