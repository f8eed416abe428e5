"""In a real browser: the audit log page, and pages that break no CSP rule."""

import re

import pytest

from lms.audit import audit
from lms.extensions import db
from lms.models import User

pytestmark = pytest.mark.browser

ACCOUNTS = {
    "admin": ("admin@example.org", "admin-demo-2026"),
    "learner": ("learner@example.org", "learner-demo-2026"),
    "educator": ("educator@example.org", "educator-demo-2026"),
    "manager": ("manager@example.org", "manager-demo-2026"),
}
#: Pages each role visits in the CSP check: every layout the app has.
PAGES = {
    None: ["/login", "/verify/", "/verify/NO-SUCH-CODE", "/competences", "/nowhere"],
    "learner": [
        "/learn/",
        "/learn/catalogue",
        "/learn/modules/video-consultations",
        "/learn/programmes/",
        "/learn/sessions/",
        "/certificates/",
        "/account",
    ],
    "educator": ["/teach/", "/teach/cohorts/", "/teach/analysis/", "/teach/modules/"],
    "manager": ["/manage/"],
    "admin": [
        "/admin/users",
        "/admin/users/import",
        "/admin/lrs/clients",
        "/admin/role-profiles/",
        "/certificates/admin/",
        "/certificates/admin/keys",
        "/admin/audit/",
    ],
}


def _login(page, base, role):
    email, password = ACCOUNTS[role]
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("form button.primary")
    page.wait_for_url(re.compile(r"/learn/"))


def _some_records(app, count=3):
    with app.app_context():
        admin = db.session.execute(
            db.select(User).filter_by(email="admin@example.org")
        ).scalar_one()
        for number in range(count):
            audit(
                "certificate.revoke",
                "certificate",
                f"cert-{number}",
                admin,
                {"reason": "Udstedt ved en fejl"},
            )
        audit("user.create", "user", "999", None, {"roles": ["learner"]})
        db.session.commit()
        db.session.remove()


def test_the_audit_log_page_is_accessible(live_server, page, axe):
    """The audit page, its search errors and its English form pass axe-core."""
    base, app = live_server
    _some_records(app, count=55)
    _login(page, base, "admin")
    page.click("a[href='/admin/audit/']")
    page.wait_for_selector("table.audit")
    axe.check(page)
    page.fill("#action", "certificate")
    page.click("form[role=search] button.primary")
    page.wait_for_url(re.compile(r"action=certificate"))
    assert page.locator("table.audit tbody tr").count() == 50
    axe.check(page)
    page.click("a[rel=next]")
    page.wait_for_url(re.compile(r"before=\d+"))
    assert page.locator("table.audit tbody tr").count() == 5
    axe.check(page)
    page.fill("#date_from", "2026-07-02")
    page.fill("#date_to", "2026-07-01")
    page.click("form[role=search] button.primary")
    page.wait_for_selector(".error-summary")
    assert page.locator("#date_to-error").is_visible()
    axe.check(page)
    page.goto(f"{base}/admin/audit/?lang=en")
    assert page.locator("h1").inner_text() == "Audit log"
    axe.check(page)
    assert axe.pages == 5
    assert axe.findings == []


@pytest.fixture
def strict_page(browser):
    """A page whose context keeps the CSP (no bypass) and records every violation."""
    context = browser.new_context(locale="da-DK", bypass_csp=False)
    context.add_init_script(
        "window.__csp = [];"
        "document.addEventListener('securitypolicyviolation', e =>"
        " window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    page = context.new_page()
    messages = []
    page.on("console", lambda message: messages.append(message.text))
    yield page, messages
    context.close()


@pytest.mark.parametrize("role", list(PAGES), ids=lambda role: role or "anonymous")
def test_pages_load_without_a_csp_violation(live_server, strict_page, role):
    """Real users' browsers enforce the policy; nothing on our pages breaks it."""
    base, _app = live_server
    page, messages = strict_page
    if role:
        _login(page, base, role)
    visited = []
    for path in PAGES[role]:
        response = page.goto(f"{base}{path}")
        page.wait_for_load_state("load")
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "unsafe" not in policy
        violations = page.evaluate("window.__csp")
        visited.append((path, response.status, violations))
    assert all(status < 500 for _path, status, _violations in visited), visited
    assert all(not violations for _path, _status, violations in visited), visited
    assert [m for m in messages if "Content Security Policy" in m] == []


def test_the_check_sees_a_violation_when_there_is_one(live_server, strict_page):
    """An inline script on one of our pages would be blocked and reported."""
    base, _app = live_server
    page, messages = strict_page
    page.goto(f"{base}/login")
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.__ran = true'; document.body.append(s); }"
    )
    page.wait_for_function("window.__csp.length > 0")
    assert page.evaluate("window.__ran === undefined")
    assert any("script-src" in entry for entry in page.evaluate("window.__csp"))
    assert any("Content Security Policy" in m for m in messages)
