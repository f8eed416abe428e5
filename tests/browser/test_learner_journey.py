"""In a real browser: a learner completes the shipped module and sees 100%."""

import re

import pytest

from lms.content import current_version, module_of

pytestmark = pytest.mark.browser
SLUG = "video-consultations"


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


def _answer_quiz(page, quiz):
    for question in quiz.questions:
        name = f"q-{question.id}"
        kind = question.type_name
        if kind in ("single_choice", "multiple_choice"):
            for option in question.options:
                if option.correct:
                    page.check(f"#{name}-{option.id}")
        elif kind == "true_false":
            page.check(f"#{name}-{'true' if question.answer else 'false'}")
        elif kind == "numeric":
            page.fill(f"#{name}-input", str(question.answer).replace(".", ","))
        elif kind == "matching":
            for pair in question.pairs:
                page.select_option(f"#{name}-{pair.id}", pair.id)
        elif kind == "ordering":
            for position, item in enumerate(question.items, start=1):
                page.select_option(f"#{name}-{item.id}", str(position))


def _do_activity(page, base, activity, axe):
    url = f"{base}/learn/modules/{SLUG}/{activity.id}"
    page.goto(url)
    axe.check(page)
    if activity.kind == "lesson":
        page.click(f"form[action$='/{activity.id}/read'] button")
    elif activity.kind == "case":
        for step in activity.content.steps:
            best = next(o for o in step.options if o.best)
            page.check(f"#step-{step.id}-{best.id}")
            page.click(f"#step-{step.id} form button")
            page.wait_for_selector(f"#step-{step.id} .feedback")
        axe.check(page)
    elif activity.kind == "quiz":
        page.click(f"form[action$='/{activity.id}/attempts'] button")
        page.wait_for_url(re.compile(r"/attempts/1$"))
        axe.check(page)
        _answer_quiz(page, activity.content)
        page.click("form button.primary")
        page.wait_for_url(re.compile(r"/result$"))
        axe.check(page)
        assert page.locator(".outcome.good").count() == 1
    elif activity.kind == "practice_task":
        words = max(activity.content.min_words, 1) + 10
        page.fill("#text", " ".join(["Jeg planlagde en videokonsultation."] * words))
        page.click(f"form[action$='/{activity.id}/submissions'] button")
        page.wait_for_selector(".flash.success")
        axe.check(page)


def test_learner_completes_the_module_in_chromium(live_server, page, axe):
    base, app = live_server
    with app.app_context():
        module = module_of(current_version(SLUG))

    _login(page, base, "learner@example.org", "learner-demo-2026", axe)
    assert page.get_attribute("html", "lang") == "da"
    axe.check(page)
    page.goto(f"{base}/learn/catalogue")
    axe.check(page)
    page.click(f"a[href='/learn/modules/{SLUG}']")
    axe.check(page)
    page.click(f"form[action='/learn/modules/{SLUG}/enrol'] button")
    for activity in module.activities:
        _do_activity(page, base, activity, axe)
    _logout(page)

    _login(page, base, "educator@example.org", "educator-demo-2026", axe)
    page.goto(f"{base}/teach/")
    axe.check(page)
    page.click("a[href^='/teach/submissions/']")
    axe.check(page)
    task = next(a for a in module.activities if a.kind == "practice_task").content
    for criterion in task.rubric:
        page.fill(f"#score-{criterion.id}", str(criterion.max_score))
    page.fill("#feedback", "Godt arbejde med forberedelsen.")
    page.check("#decision-0")
    page.click("form button.primary")
    page.wait_for_url(re.compile(r"/teach/$"))
    axe.check(page)
    _logout(page)

    _login(page, base, "learner@example.org", "learner-demo-2026", axe)
    page.goto(f"{base}/learn/modules/{SLUG}")
    axe.check(page)
    assert "100%" in page.inner_text(".progress-label")
    page.click("form[action='/language'] button")
    page.wait_for_load_state()
    assert page.get_attribute("html", "lang") == "en"
    assert "Progress: 100%" in page.inner_text(".progress-label")
    axe.check(page)

    assert axe.pages >= 15
    assert axe.findings == []


def test_axe_reports_a_serious_violation(page, axe):
    """The checker itself must catch a known failure, or the journey proves nothing."""
    page.set_content(
        '<html lang="da"><body><main><img src="x.png"></main></body></html>'
    )
    axe.check(page)
    assert any("image-alt" in finding for finding in axe.findings)
