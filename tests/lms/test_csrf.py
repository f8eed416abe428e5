"""CSRF protection on every state-changing route except the xAPI endpoint.

The routes are read from the app's URL map, so a route added later is covered
without touching this file.
"""

import re

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _

from lms import create_app
from lms.extensions import db
from lms.models import ROLES

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
#: The xAPI endpoint authenticates every request itself (HTTP Basic).
EXEMPT_PREFIX = "/xapi/"
#: Placeholder values for URL arguments, by converter.
PLACEHOLDER = {
    "int": "1",
    "path": "media/x.png",
    "uuid": "0" * 8 + "-0000-0000-0000-" + "0" * 12,
}
#: Settings taken over from the test app: the same database, the same speed-ups.
SHARED = (
    "TESTING",
    "LMS_BASE_URL",
    "SECRET_KEY",
    "PASSWORD_HASH_METHOD",
    "SQLALCHEMY_DATABASE_URI",
    "SQLALCHEMY_ENGINE_OPTIONS",
)


@pytest.fixture
def csrf_app(session_app, app):
    """The app as in production: CSRF checked, on the test database."""
    config = {key: session_app.config[key] for key in SHARED}
    config["WTF_CSRF_ENABLED"] = True
    protected = create_app(config)
    yield protected
    with protected.app_context():
        db.engine.dispose()


def _unsafe_routes(app) -> list[tuple[str, str]]:
    return sorted(
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in rule.methods & UNSAFE
    )


def _url(rule: str) -> str:
    def value(match: re.Match) -> str:
        converter = (match.group(1) or "default").split("(")[0]
        return PLACEHOLDER.get(converter, "x")

    return re.sub(r"<(?:([^:<>]+):)?[^<>]+>", value, rule)


def _token(client, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    field = re.search(r'<input[^>]*name="csrf_token"[^>]*>', page).group(0)
    return re.search(r'value="([^"]+)"', field).group(1)


@pytest.fixture
def everyone_client(csrf_app, make_user):
    """A client signed in through the real form as a user holding every role."""
    make_user(email="all-roles@example.org", roles=set(ROLES))
    client = csrf_app.test_client()
    response = client.post(
        "/login",
        data={
            "email": "all-roles@example.org",
            "password": "password-1234",
            "csrf_token": _token(client),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def _expired_message(app) -> str:
    with app.test_request_context(), force_locale("da"):
        return _("Your form expired. Please go back, reload the page and try again.")


def test_the_url_map_has_routes_of_both_kinds(csrf_app):
    routes = _unsafe_routes(csrf_app)
    assert any(rule.startswith(EXEMPT_PREFIX) for _method, rule in routes)
    assert sum(not rule.startswith(EXEMPT_PREFIX) for _method, rule in routes) > 20


def test_every_unsafe_route_refuses_a_request_without_a_token(
    csrf_app, everyone_client
):
    message = _expired_message(csrf_app)
    accepted = []
    for method, rule in _unsafe_routes(csrf_app):
        if rule.startswith(EXEMPT_PREFIX):
            continue
        response = everyone_client.open(_url(rule), method=method, data={"x": "1"})
        if response.status_code != 400 or message not in response.get_data(True):
            accepted.append(f"{method} {rule}: {response.status_code}")
    assert accepted == []


def test_a_wrong_token_is_refused_too(csrf_app, everyone_client):
    response = everyone_client.post(
        "/language", data={"locale": "en", "csrf_token": "forged"}
    )
    assert response.status_code == 400
    assert _expired_message(csrf_app) in response.get_data(as_text=True)


def test_the_same_request_with_a_token_is_accepted(csrf_app, everyone_client):
    """The refusals above are about the token: with one, the request goes through."""
    token = _token(everyone_client, "/learn/")
    response = everyone_client.post(
        "/language", data={"locale": "en", "csrf_token": token}
    )
    assert response.status_code == 302


def test_the_xapi_endpoint_does_not_ask_for_a_token(csrf_app, everyone_client):
    """xAPI clients authenticate with HTTP Basic and never hold a session token."""
    message = _expired_message(csrf_app)
    routes = [
        (method, rule)
        for method, rule in _unsafe_routes(csrf_app)
        if rule.startswith(EXEMPT_PREFIX)
    ]
    refused = []
    for method, rule in routes:
        response = everyone_client.open(
            _url(rule),
            method=method,
            json={},
            headers={
                "Authorization": "Basic eDp5",
                "X-Experience-API-Version": "1.0.3",
            },
        )
        body = response.get_json(silent=True) or {}
        if body.get("error") == message:
            refused.append(f"{method} {rule}")
        # Refused for the credentials (or the method), never for a CSRF token.
        assert response.status_code in (401, 405), (method, rule, response.status_code)
    assert routes and refused == []
