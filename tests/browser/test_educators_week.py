"""In a real browser, one educator's week: create a cohort and add a learner,
schedule a webinar, record attendance, review a practice task and return it, review
the resubmission and approve it. axe-core checks every page on the way."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lms.content import current_version, module_of
from lms.extensions import db
from lms.models import Attendance, CohortSession, Submission
from tests.lms import files

pytestmark = pytest.mark.browser
COPENHAGEN = ZoneInfo("Europe/Copenhagen")
SLUG = "video-consultations"
TASK = "first-consultation"
LEARNER = ("learner@example.org", "learner-demo-2026")
EDUCATOR = ("educator@example.org", "educator-demo-2026")
DOCX = files.OOXML + "wordprocessingml.document"


def _login(page, base, account, axe):
    page.goto(f"{base}/login")
    axe.check(page)
    page.fill("#email", account[0])
    page.fill("#password", account[1])
    page.click("form button.primary")
    page.wait_for_url(re.compile(r"/learn/"))


def _logout(page):
    page.click("form[action='/logout'] button")
    page.wait_for_url(re.compile(r"/login"))


def _create_cohort(page, base, today, axe) -> str:
    page.goto(f"{base}/teach/cohorts/")
    axe.check(page)
    page.click("a[href='/teach/cohorts/new']")
    axe.check(page)
    page.fill("#name", "Hold Fyn – uge 48")
    page.select_option("#module", SLUG)
    page.fill("#starts_on", today.isoformat())
    page.fill("#ends_on", (today - timedelta(days=1)).isoformat())
    page.click("form button.primary")
    page.wait_for_selector(".error")
    axe.check(page)  # the form with an error
    page.fill("#ends_on", (today + timedelta(days=90)).isoformat())
    page.click("form button.primary")
    page.wait_for_selector(".flash.success")
    axe.check(page)
    return re.search(r"/teach/cohorts/(\d+)", page.url).group(1)


def _add_learner(page, axe):
    page.fill("#q", "Lene")
    page.click("form[role='search'] button")
    page.wait_for_selector("input[name='user_id']")
    axe.check(page)
    page.check("input[name='user_id']")
    page.click("form[action$='/members'] button.primary")
    page.wait_for_selector(".flash.success")
    assert "Lene Sørensen" in page.inner_text("main")


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


def _record_attendance(page, axe):
    page.click("a[href$='/attendance']")
    page.wait_for_selector("fieldset.attendance")
    axe.check(page)
    page.check("fieldset.attendance input[value='attended']")
    page.click("form button.primary")
    page.wait_for_selector(".flash.success")
    axe.check(page)


def _hand_in(page, text, name, content, mime):
    page.fill("#text", text)
    page.set_input_files("#file", {"name": name, "mimeType": mime, "buffer": content})
    page.click(f"form[action$='/{TASK}/submissions'] button")
    page.wait_for_load_state()


def _review(page, base, rubric, score, feedback, decision, axe):
    page.goto(f"{base}/teach/")
    axe.check(page)
    page.click("a[href^='/teach/submissions/']")
    axe.check(page)
    for criterion in rubric:
        page.fill(f"#score-{criterion.id}", str(score))
    page.fill("#feedback", feedback)
    page.check(f"#decision-{decision}")
    page.click("form button.primary")
    page.wait_for_url(re.compile(r"/teach/$"))
    assert page.locator(".flash.success").count() == 1
    axe.check(page)


def test_an_educators_week(live_server, page, axe, tmp_path):
    base, app = live_server
    app.config["LMS_STORAGE_DIR"] = str(tmp_path / "uploads")
    today = datetime.now(COPENHAGEN).date()
    with app.app_context():
        rubric = module_of(current_version(SLUG)).activity(TASK).content.rubric
    reflection = " ".join(["Jeg forberedte borgeren og testede forbindelsen."] * 30)

    # Monday: the educator sets up the cohort and its webinars.
    _login(page, base, EDUCATOR, axe)
    cohort_id = _create_cohort(page, base, today, axe)
    _add_learner(page, axe)
    _schedule(page, "Opstartswebinar", today, "00:00", axe)
    _schedule(page, "Opfølgningswebinar", today + timedelta(days=7), "10:00", axe)
    assert "kl. 10.00" in page.inner_text("main")
    # Tuesday: after the kick-off webinar, attendance.
    _record_attendance(page, axe)
    _logout(page)

    # The learner sees the sessions and hands in the practice task.
    _login(page, base, LEARNER, axe)
    assert "Opfølgningswebinar" in page.inner_text("#main")
    page.click("a[href='/learn/sessions/']")
    axe.check(page)
    assert page.locator("a[href$='.ics']").count() >= 1
    page.goto(f"{base}/learn/modules/{SLUG}")
    enrol = page.locator(f"form[action='/learn/modules/{SLUG}/enrol'] button")
    if enrol.count():
        enrol.click()
    page.goto(f"{base}/learn/modules/{SLUG}/{TASK}")
    axe.check(page)
    # A program renamed .pdf is refused, and the reflection stays in the form.
    _hand_in(page, reflection, "rapport.pdf", files.executable(), "application/pdf")
    assert page.locator(".error-summary").count() == 1
    assert page.input_value("#text") == reflection
    axe.check(page)
    _hand_in(page, reflection, "rapport.pdf", files.pdf(), "application/pdf")
    assert page.locator(".flash.success").count() == 1
    axe.check(page)
    _logout(page)

    # Wednesday: the educator reviews and returns it for revision.
    _login(page, base, EDUCATOR, axe)
    page.goto(f"{base}/teach/cohorts/{cohort_id}/overview")
    axe.check(page)
    page.goto(f"{base}/teach/")
    page.click("a[href^='/teach/submissions/']")
    # A score out of range comes back with a message naming the criterion.
    page.fill(f"#score-{rubric[0].id}", str(rubric[0].max_score + 5))
    page.fill("#feedback", "Mangler plan B.")
    page.check("#decision-1")
    page.click("form button.primary")
    page.wait_for_load_state()
    assert page.locator(".error-summary").count() == 1
    assert page.input_value("#feedback") == "Mangler plan B."
    axe.check(page)
    with page.expect_download() as download:
        page.click("a[href$='/file']")
    assert download.value.suggested_filename == "rapport.pdf"
    _review(page, base, rubric, 1, "Beskriv din plan B mere konkret.", 1, axe)
    _logout(page)

    # Thursday: the learner reads the feedback and hands in again.
    _login(page, base, LEARNER, axe)
    page.goto(f"{base}/learn/modules/{SLUG}/{TASK}")
    assert "Beskriv din plan B mere konkret." in page.inner_text("main")
    axe.check(page)
    revised = reflection + " Plan B er et telefonopkald."
    _hand_in(page, revised, "plan.docx", files.ooxml("docx"), DOCX)
    assert page.locator("ol.versions > li").count() == 2
    axe.check(page)
    _logout(page)

    # Friday: the educator approves the resubmission.
    _login(page, base, EDUCATOR, axe)
    _review(page, base, rubric, 2, "Godt arbejde.", 0, axe)
    page.goto(f"{base}/teach/cohorts/{cohort_id}/overview")
    axe.check(page)
    _logout(page)

    _login(page, base, LEARNER, axe)
    page.goto(f"{base}/learn/modules/{SLUG}/{TASK}")
    assert "Godkendt" in page.inner_text("ol.versions")
    axe.check(page)

    with app.app_context():
        held = db.session.execute(
            db.select(CohortSession).filter_by(title="Opstartswebinar")
        ).scalar_one()
        (row,) = db.session.execute(
            db.select(Attendance).filter_by(session_id=held.id)
        ).scalars()
        assert row.status == "attended" and row.statement_id is not None
        versions = (
            db.session.execute(db.select(Submission).order_by(Submission.number))
            .scalars()
            .all()
        )
        assert [v.status for v in versions] == ["returned", "approved"]
        db.session.remove()

    assert axe.pages >= 25
    assert axe.findings == []
