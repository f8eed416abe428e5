"""In a real browser: forgotten password, lockout, and an admin's two-step setup."""

import re

import pytest

from lms.extensions import db

pytestmark = pytest.mark.browser


def _last_mail_link(app, email: str) -> str:
    from lms.models import Mail

    with app.app_context():
        mail = (
            db.session.execute(
                db.select(Mail).filter_by(recipient=email).order_by(Mail.id.desc())
            )
            .scalars()
            .first()
        )
        db.session.remove()
    found = re.search(r"http://\S+/login/reset/\S+", mail.body)
    assert found, mail.body
    return found.group(0)


def _log_in(page, base, email, password):
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("form button.primary")
    page.wait_for_load_state()


def test_forgotten_password_and_lockout(live_server, page, axe, monkeypatch):
    """Login → forgot password → reset page → new password; the pages pass axe."""
    base, app = live_server
    monkeypatch.setitem(app.config, "LMS_LOCKOUT_THRESHOLD", 3)
    email = "learner@example.org"
    page.goto(f"{base}/login")
    axe.check(page)
    for _ in range(3):
        _log_in(page, base, email, "not-the-password")
    assert page.locator("#password-error").is_visible()
    axe.check(page)
    page.click("text=Glemt din adgangskode?")
    page.wait_for_url(f"{base}/login/forgot")
    axe.check(page)
    page.fill("#email", email)
    page.click("form button.primary")
    page.wait_for_url(f"{base}/login")
    assert page.locator(".flash.info").is_visible()
    page.goto(_last_mail_link(app, email))
    axe.check(page)
    page.fill("#new", "short")
    page.fill("#confirm", "short")
    page.click("form button.primary")
    assert page.locator("#new-error").is_visible()
    axe.check(page)
    page.fill("#new", "quiet-harbour-lantern-8")
    page.fill("#confirm", "quiet-harbour-lantern-8")
    page.click("form button.primary")
    page.wait_for_url(f"{base}/login")
    _log_in(page, base, email, "quiet-harbour-lantern-8")  # the reset lifted the lock
    assert page.url == f"{base}/learn/"
    assert axe.pages == 5
    assert axe.findings == []


def test_admin_sets_up_two_step_verification(live_server, page, axe, monkeypatch):
    """The locked badge, TOTP enrolment and the code step pass axe."""
    from lms.auth import totp
    from lms.models import User

    base, app = live_server
    monkeypatch.setitem(app.config, "LMS_LOCKOUT_THRESHOLD", 3)
    for _ in range(3):
        _log_in(page, base, "manager@example.org", "not-the-password")
    _log_in(page, base, "admin@example.org", "admin-demo-2026")
    page.goto(f"{base}/admin/users?status=locked")
    assert page.locator(".badge.locked").count() == 1
    axe.check(page)
    page.goto(f"{base}/account")
    axe.check(page)
    page.click("text=Administrér totrinsbekræftelse")
    page.wait_for_url(f"{base}/account/two-factor")
    axe.check(page)
    page.click("form button.primary")
    page.wait_for_selector("figure.qr svg")
    axe.check(page)
    with app.app_context():
        admin = db.session.execute(
            db.select(User).filter_by(email="admin@example.org")
        ).scalar_one()
        secret = totp.decrypt(admin.totp_secret)
        db.session.remove()
    code = totp.code_for(secret)
    page.fill("#code", code)
    page.click("form button.primary")
    page.wait_for_url(f"{base}/account")
    assert "Totrinsbekræftelse er slået til." in page.content()
    page.click("header form.inline:has-text('Log ud') button")
    page.wait_for_url(f"{base}/login")
    _log_in(page, base, "admin@example.org", "admin-demo-2026")
    assert page.url == f"{base}/login/code"
    axe.check(page)
    page.fill("#code", code)  # the enrolment code cannot be used again
    page.click("form button.primary")
    assert page.locator("#code-error").is_visible()
    axe.check(page)
    assert axe.pages == 6
    assert axe.findings == []
