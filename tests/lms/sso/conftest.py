"""Fixtures for single sign-on: a live test provider and the app configured for it."""

from dataclasses import replace
from urllib.parse import urlsplit

import pytest
import requests

from lms.sso.settings import OIDCSettings
from tests.lms.sso.provider import CLIENT_ID, CLIENT_SECRET, running_provider


@pytest.fixture(scope="session")
def live_provider():
    """One provider for the session, on a random local port."""
    with running_provider() as provider:
        yield provider


def settings_for(provider, **changes) -> OIDCSettings:
    """Return settings that point the app at the test provider."""
    settings = OIDCSettings(
        issuer=provider.issuer,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        name="KommuneLogin",
        org_claim="organisation",
        unit_claim="unit_code",
    )
    return replace(settings, **changes)


@pytest.fixture
def provider(app, demo, live_provider, monkeypatch):
    """The provider, well-behaved again, and the app configured to use it."""
    live_provider.reset()
    monkeypatch.setitem(app.config, "LMS_OIDC", settings_for(live_provider))
    app.extensions.pop("lms_oidc_clients", None)
    yield live_provider
    app.extensions.pop("lms_oidc_clients", None)


def configure(app, provider, **changes) -> None:
    """Change the app's single sign-on settings for this test."""
    app.config["LMS_OIDC"] = settings_for(provider, **changes)


def to_provider(client, next_url=None):
    """Start the login; return the provider's answer (a redirect back to us)."""
    query = {"next": next_url} if next_url else {}
    start = client.get("/login/sso", query_string=query)
    assert start.status_code == 302, start.text
    authorize_url = start.headers["Location"]
    answer = requests.get(authorize_url, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def back_to_app(client, callback_url):
    """Follow the provider's redirect back into the app (the test client's host)."""
    parts = urlsplit(callback_url)
    return client.get(f"{parts.path}?{parts.query}")


def sso_login(client, next_url=None):
    """Log in through the provider from start to finish; return the callback answer."""
    return back_to_app(client, to_provider(client, next_url))
