"""In a real browser: a learner finds the programme, enrols, and sees its progress."""

import re

import pytest

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser
SLUG = "bliv-digital-kompetent"


def test_learner_enrols_on_the_programme_in_chromium(live_server, page, axe):
    base, _app = live_server
    sign_in(page, base, "learner@example.org", "learner-demo-2026")
    axe.check(page)

    page.click("a[href='/learn/programmes/']")
    page.wait_for_url(re.compile(r"/learn/programmes/$"))
    axe.check(page)
    page.click(f"a[href='/learn/programmes/{SLUG}']")
    page.wait_for_url(re.compile(rf"/learn/programmes/{SLUG}$"))
    axe.check(page)
    assert page.locator("h1").inner_text() == "Bliv Digital Kompetent"

    page.click(f"form[action='/learn/programmes/{SLUG}/enrol'] button")
    page.wait_for_selector(".flash.success")
    axe.check(page)
    assert page.locator("table.programme-modules tbody tr").count() == 6
    assert page.locator("table.programme-sessions tbody tr").count() == 4
    assert page.locator(".progress-label").inner_text() == "Fremdrift: 0%"

    page.goto(f"{base}/learn/")
    axe.check(page)
    assert page.locator(f"a[href='/learn/programmes/{SLUG}']").count() == 1
    assert axe.pages == 5
    assert axe.findings == []
