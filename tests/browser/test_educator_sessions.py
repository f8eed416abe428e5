"""In a browser: an educator runs a cohort, schedules webinars, records attendance."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lms.extensions import db
from lms.models import Attendance, CohortSession

pytestmark = pytest.mark.browser
COPENHAGEN = ZoneInfo("Europe/Copenhagen")


def _login(page, base, email, password, axe):
    page.goto(f"{base}/login")
    axe.check(page)
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("form button.primary")
    page.wait_for_url(re.compile(r"/learn/"))


def _logout(page):
    page.click("form[action='/logout'] button")
    page.wait_for_url(re.compile(r"/login"))


def _schedule(page, title, day, at, axe):
    page.click("a[href$='/sessions/new']")
    page.wait_for_selector("#title")
    axe.check(page)
    page.fill("#title", title)
    page.check("#kind-0")  # webinar
    page.fill("#day", day.isoformat())
    page.fill("#at", at)
    page.fill("#duration", "60")
    page.fill("#meeting_url", "https://meet.example.org/hold-fyn")
    page.click("form button.primary")
    page.wait_for_selector(".flash.success")
    axe.check(page)


def test_educator_schedules_a_webinar_and_records_attendance(live_server, page, axe):
    base, app = live_server
    today = datetime.now(COPENHAGEN).date()

    _login(page, base, "educator@example.org", "educator-demo-2026", axe)
    page.goto(f"{base}/teach/cohorts/")
    axe.check(page)
    page.click("a[href='/teach/cohorts/new']")
    axe.check(page)
    page.fill("#name", "Hold Fyn – browser")
    page.select_option("#module", "video-consultations")
    page.fill("#starts_on", today.isoformat())
    page.fill("#ends_on", (today - timedelta(days=1)).isoformat())
    page.click("form button.primary")
    page.wait_for_selector(".error")
    axe.check(page)  # the form with an error
    page.fill("#ends_on", (today + timedelta(days=90)).isoformat())
    page.click("form button.primary")
    page.wait_for_selector(".flash.success")
    axe.check(page)

    page.fill("#q", "Lene")
    page.click("form[role='search'] button")
    page.wait_for_selector("input[name='user_id']")
    axe.check(page)
    page.check("input[name='user_id']")
    page.click("form[action$='/members'] button.primary")
    page.wait_for_selector(".flash.success")
    assert "Lene Sørensen" in page.inner_text("main")

    _schedule(page, "Opstartswebinar", today, "00:00", axe)
    _schedule(page, "Opfølgningswebinar", today + timedelta(days=7), "10:00", axe)
    assert "kl. 10.00" in page.inner_text("main")

    page.click("a[href$='/attendance']")
    page.wait_for_selector("fieldset.attendance")
    axe.check(page)
    page.check("fieldset.attendance input[value='attended']")
    page.click("form button.primary")
    page.wait_for_selector(".flash.success")
    axe.check(page)
    _logout(page)

    _login(page, base, "learner@example.org", "learner-demo-2026", axe)
    axe.check(page)  # the dashboard with its upcoming sessions
    assert "Opfølgningswebinar" in page.inner_text("#main")
    page.click("a[href='/learn/sessions/']")
    axe.check(page)
    assert page.locator("a[href$='.ics']").count() >= 1

    with app.app_context():
        held = db.session.execute(
            db.select(CohortSession).filter_by(title="Opstartswebinar")
        ).scalar_one()
        (row,) = db.session.execute(
            db.select(Attendance).filter_by(session_id=held.id)
        ).scalars()
        assert row.status == "attended" and row.statement_id is not None
        db.session.remove()

    assert axe.pages >= 12
    assert axe.findings == []
