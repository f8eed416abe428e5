"""In a real browser: log in through the in-test OpenID Connect provider."""

import re

import pytest

from lms.extensions import db
from lms.models import User, UserIdentity
from tests.lms.sso.conftest import settings_for
from tests.lms.sso.provider import running_provider

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def sso_server(live_server):
    """The live app, configured for a provider running beside it."""
    base, app = live_server
    with running_provider() as provider:
        app.config["LMS_OIDC"] = settings_for(provider)
        yield base, app, provider
        app.config["LMS_OIDC"] = None


def _logout(page):
    page.click("form[action='/logout'] button")
    page.wait_for_url(re.compile(r"/login$"))


def test_sso_login_and_its_error_pages(sso_server, page, axe):
    """The whole round trip works, and the login and error pages pass axe-core."""
    base, app, provider = sso_server
    page.goto(f"{base}/login")
    axe.check(page)
    page.click("text=Log ind med KommuneLogin")
    page.wait_for_url(re.compile(r"/learn/$"))
    assert "Velkommen, Sanne Sørensen." in page.content()
    with app.app_context():
        user = db.session.execute(
            db.select(User).filter_by(email="sso.nurse@odense.example")
        ).scalar_one()
        assert user.primary_unit.code == "HJS"
        identity = db.session.execute(
            db.select(UserIdentity).filter_by(user_id=user.id)
        ).scalar_one()
        assert identity.issuer == provider.issuer
        db.session.remove()
    _logout(page)

    # The person cancels at the provider: a friendly page, not a stack trace.
    provider.deny = "access_denied"
    page.click("text=Log ind med KommuneLogin")
    page.wait_for_url(re.compile(r"/login/sso/callback"))
    assert page.locator("h1").inner_text() == "Login mislykkedes"
    assert page.locator("[role=alert]").is_visible()
    axe.check(page)
    provider.deny = None

    # A unit the platform does not know: no account, and the page says why.
    provider.person.update(sub="kl-new-person", email="new@odense.example")
    provider.person["unit_code"] = "UNKNOWN"
    page.click("text=Log ind med KommuneLogin igen")
    page.wait_for_url(re.compile(r"/login/sso/callback"))
    assert "Din enhed er ikke oprettet" in page.content()
    axe.check(page)
    page.click("text=Tilbage til login-siden")
    page.wait_for_url(re.compile(r"/login$"))
    assert axe.pages == 3
    assert axe.findings == []
