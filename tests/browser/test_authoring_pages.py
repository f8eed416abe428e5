"""In a browser: an educator reads a quiz's item analysis, uploads and publishes."""

import re

import pytest
from werkzeug.datastructures import MultiDict

from lms.content import module_of
from lms.extensions import db
from lms.learn.quizform import read_responses
from lms.models import User
from lms.operations import learning
from tests.lms.journey import SLUG, correct_form, wrong_form
from tests.lms.test_authoring import make_zip, package

pytestmark = pytest.mark.browser


def _login(page, base, email, password, axe):
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("form button.primary")
    page.wait_for_url(re.compile(r"/learn/"))


def _take_the_quiz_twice(app) -> None:
    """Let the demo learner fail and then pass the final quiz, through the LMS."""
    with app.test_request_context():
        learner = db.session.execute(
            db.select(User).filter_by(email="learner@example.org")
        ).scalar_one()
        enrolment = learning.enrol(learner, SLUG)
        activity = module_of(enrolment.module_version).activity("final-quiz")
        quiz = activity.content
        for form in ({**correct_form(quiz), **wrong_form(quiz)}, correct_form(quiz)):
            attempt = learning.start_quiz(enrolment, activity)
            responses, errors = read_responses(quiz, MultiDict(form))
            assert not errors
            learning.submit_quiz(enrolment, activity, attempt, responses)
        db.session.remove()


def _bumped(files: dict[str, bytes]) -> dict[str, bytes]:
    toml = files["module.toml"].decode()
    major, minor, _patch = re.search(
        r'(?m)^version = "(\d+)\.(\d+)\.(\d+)"', toml
    ).groups()
    files["module.toml"] = re.sub(
        r'(?m)^version = ".*"$', f'version = "{major}.{int(minor) + 1}.0"', toml
    ).encode()
    return files


def test_item_analysis_and_authoring_pages(live_server, page, axe, tmp_path):
    base, app = live_server
    _take_the_quiz_twice(app)
    _login(page, base, "educator@example.org", "educator-demo-2026", axe)

    page.click("a[href='/teach/analysis/']")
    axe.check(page)
    page.click(f"a[href^='/teach/analysis/{SLUG}/']")
    page.wait_for_selector("table.analysis")
    axe.check(page)
    page.click("details.explain summary")
    axe.check(page)
    assert "2 afsluttede forsøg" in page.inner_text("main")

    page.click("a[href='/teach/modules/']")
    axe.check(page)
    broken = package()
    broken["module.toml"] = broken["module.toml"].replace(
        b'kind = "lesson"', b'kind = "podcast"', 1
    )
    (tmp_path / "broken.zip").write_bytes(make_zip(broken))
    page.set_input_files("#package", str(tmp_path / "broken.zip"))
    page.click("form button.primary")
    page.wait_for_selector(".package-errors")
    axe.check(page)
    assert f"{SLUG}/module.toml:" in page.inner_text(".package-errors")

    (tmp_path / "good.zip").write_bytes(make_zip(_bumped(package())))
    page.set_input_files("#package", str(tmp_path / "good.zip"))
    page.click("form button.primary")
    page.wait_for_url(re.compile(r"/teach/modules/drafts/"))
    axe.check(page)

    for language in ("da", "en"):
        page.click(f"a[href$='/preview?lang={language}']")
        page.wait_for_selector(".preview-banner")
        assert page.get_attribute("html", "lang") == language
        axe.check(page)
        links = page.eval_on_selector_all(
            "ol.activities a", "links => links.map(link => link.href)"
        )
        for link in links:
            page.goto(link)
            axe.check(page)
        page.click(".preview-banner a[href*='/teach/modules/drafts/']:not([lang])")
        page.wait_for_selector("form[action$='/publish']")

    page.click("form[action$='/publish'] button")
    page.wait_for_selector(".flash.success")
    axe.check(page)
    assert axe.findings == [], axe.findings
    assert axe.pages >= 12
