"""In a real browser: the page shown while the database is locked (503)."""

import sqlite3

import pytest
from sqlalchemy import make_url

from lms.extensions import db
from tests.browser.conftest import sign_in
from tests.lms.journey import SLUG, shipped_module

pytestmark = pytest.mark.browser


def test_the_unavailable_page_is_accessible_in_both_languages(live_server, page, axe):
    """While another connection holds SQLite's write lock, opening an activity
    (which records that it was opened) shows the 503 page; it passes axe-core
    (WCAG 2.1 AA) in Danish and in English."""
    base, app = live_server
    app.config["LMS_DB_LOCK_TIMEOUT"] = 0.2
    with app.app_context():
        db.engine.dispose()  # new connections get the short busy timeout
        first = shipped_module().activities[0].id
    sign_in(page, base, "learner@example.org", "learner-demo-2026")
    page.goto(f"{base}/learn/modules/{SLUG}")
    page.click("form[action$='/enrol'] button")
    page.wait_for_load_state()
    holder = sqlite3.connect(
        make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database, isolation_level=None
    )
    holder.execute("BEGIN IMMEDIATE")
    try:
        response = page.goto(f"{base}/learn/modules/{SLUG}/{first}")
        assert response.status == 503
        assert (
            page.locator("h1").inner_text() == "Tjenesten er midlertidigt utilgængelig"
        )
        axe.check(page)
        response = page.goto(f"{base}/learn/modules/{SLUG}/{first}?lang=en")
        assert response.status == 503
        assert (
            page.locator("h1").inner_text() == "The service is temporarily unavailable"
        )
        axe.check(page)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert page.goto(f"{base}/learn/modules/{SLUG}/{first}").status == 200
    assert axe.pages == 2
    assert axe.findings == []
