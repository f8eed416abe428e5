"""In a real browser: an admin creates, changes and deactivates an LRS client."""

import re

import pytest

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_admin_manages_lrs_clients(live_server, page, axe):
    """The LRS client pages work in a browser and pass axe-core (WCAG 2.1 AA)."""
    base, _app = live_server
    sign_in(page, base, "admin@example.org", "admin-demo-2026")
    page.goto(f"{base}/admin/lrs/clients")
    axe.check(page)
    page.click("form button.primary")  # nothing filled in: errors at the fields
    assert page.locator("#name-error").is_visible()
    axe.check(page)
    page.fill("#name", "Region H analytics")
    page.fill("#key", "region-h")
    page.check("input[value='statements/read']")
    page.click("form button.primary")
    page.wait_for_selector("dd code")
    assert "region-h" in page.content()
    axe.check(page)
    page.goto(f"{base}/admin/lrs/clients")
    page.click("text=Region H analytics")
    page.wait_for_url(re.compile(r"/admin/lrs/clients/\d+$"))
    axe.check(page)
    page.uncheck("input[value='statements/write']")
    page.click("form button.primary")
    page.wait_for_url(re.compile(r"/admin/lrs/clients/\d+$"))
    page.click("form[action$='/active'] button")
    page.wait_for_url(re.compile(r"/admin/lrs/clients/\d+$"))
    axe.check(page)
    assert axe.pages == 5
    assert axe.findings == []
