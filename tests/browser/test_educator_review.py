"""In a real browser: a learner hands in with a PDF, the educator returns it, the
learner hands in again, and the educator approves; axe-core checks every page."""

import re

import pytest

from lms.content import current_version, module_of
from lms.extensions import db
from lms.models import Cohort
from tests.lms import files

pytestmark = pytest.mark.browser
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


def test_a_task_is_returned_resubmitted_and_approved(live_server, page, axe, tmp_path):
    base, app = live_server
    app.config["LMS_STORAGE_DIR"] = str(tmp_path / "uploads")
    with app.app_context():
        module = module_of(current_version(SLUG))
        cohort_id = db.session.execute(db.select(Cohort.id)).scalars().first()
    task = module.activity(TASK).content
    rubric = task.rubric
    reflection = " ".join(["Jeg forberedte borgeren og testede forbindelsen."] * 30)

    _login(page, base, LEARNER, axe)
    page.goto(f"{base}/learn/modules/{SLUG}")
    page.click(f"form[action='/learn/modules/{SLUG}/enrol'] button")
    page.goto(f"{base}/learn/modules/{SLUG}/{TASK}")
    axe.check(page)
    # A program renamed .pdf is refused, and the reflection stays in the form.
    _hand_in(page, reflection, "rapport.pdf", files.executable(), "application/pdf")
    assert page.locator(".error-summary").count() == 1
    assert page.input_value("#text") == reflection
    axe.check(page)
    _hand_in(page, reflection, "rapport.pdf", files.pdf(), "application/pdf")
    assert page.locator(".flash.success").count() == 1
    assert page.locator("a[href$='/file']").inner_text() == "rapport.pdf"
    axe.check(page)
    _logout(page)

    _login(page, base, EDUCATOR, axe)
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

    _login(page, base, LEARNER, axe)
    page.goto(f"{base}/learn/modules/{SLUG}/{TASK}")
    assert "Beskriv din plan B mere konkret." in page.inner_text("main")
    axe.check(page)
    revised = reflection + " Plan B er et telefonopkald."
    _hand_in(page, revised, "plan.docx", files.ooxml("docx"), DOCX)
    assert page.locator(".flash.success").count() == 1
    assert page.locator("ol.versions > li").count() == 2
    axe.check(page)
    _logout(page)

    _login(page, base, EDUCATOR, axe)
    page.goto(f"{base}/teach/cohorts/{cohort_id}/overview")
    axe.check(page)
    _review(page, base, rubric, 2, "Godt arbejde.", 0, axe)
    page.goto(f"{base}/teach/cohorts/{cohort_id}/overview")
    axe.check(page)
    _logout(page)

    _login(page, base, LEARNER, axe)
    page.goto(f"{base}/learn/modules/{SLUG}/{TASK}")
    assert "Godkendt" in page.inner_text("ol.versions")
    axe.check(page)

    assert axe.pages >= 15
    assert axe.findings == []
