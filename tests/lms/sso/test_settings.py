"""Single sign-on is configured from the environment, checked at start, or absent."""

import pytest

from lms import create_app
from lms.config import ConfigError
from lms.sso.settings import from_environment

BASE = {
    "LMS_OIDC_ISSUER": "https://login.kommune.example/realms/staff/",
    "LMS_OIDC_CLIENT_ID": "lms",
    "LMS_OIDC_CLIENT_SECRET": "s3cret",
}


def test_nothing_set_means_no_single_sign_on():
    assert from_environment({}) is None


def test_the_three_required_variables_give_the_defaults():
    settings = from_environment(BASE)
    assert settings.issuer == "https://login.kommune.example/realms/staff"
    assert settings.discovery_url == (
        "https://login.kommune.example/realms/staff/.well-known/openid-configuration"
    )
    assert settings.scopes == "openid email profile"
    assert settings.name == "SSO"
    assert settings.create_users is True
    assert settings.link_by_email is False
    assert (settings.org_claim, settings.unit_claim) == ("", "")


def test_the_optional_variables_are_read():
    settings = from_environment(
        BASE
        | {
            "LMS_OIDC_NAME": "KommuneLogin",
            "LMS_OIDC_SCOPES": "openid  email profile org",
            "LMS_OIDC_ORG_CLAIM": "organisation",
            "LMS_OIDC_UNIT_CLAIM": "unit_code",
            "LMS_OIDC_ORGANISATION": "Odense Kommune",
            "LMS_OIDC_CREATE_USERS": "0",
            "LMS_OIDC_LINK_BY_EMAIL": "true",
        }
    )
    assert settings.name == "KommuneLogin"
    assert settings.scopes == "openid email profile org"
    assert (settings.org_claim, settings.unit_claim) == ("organisation", "unit_code")
    assert settings.organisation == "Odense Kommune"
    assert settings.create_users is False
    assert settings.link_by_email is True


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"LMS_OIDC_ISSUER": "https://idp.example"}, "LMS_OIDC_CLIENT_ID"),
        (
            {"LMS_OIDC_ISSUER": "https://idp.example", "LMS_OIDC_CLIENT_ID": "x"},
            "LMS_OIDC_CLIENT_SECRET",
        ),
        ({"LMS_OIDC_CLIENT_ID": "x", "LMS_OIDC_CLIENT_SECRET": "y"}, "LMS_OIDC_ISSUER"),
        (BASE | {"LMS_OIDC_ISSUER": "http://idp.example"}, "LMS_OIDC_ISSUER"),
        (BASE | {"LMS_OIDC_ISSUER": "idp.example"}, "LMS_OIDC_ISSUER"),
        (BASE | {"LMS_OIDC_ISSUER": "https://idp.example?x=1"}, "LMS_OIDC_ISSUER"),
        (BASE | {"LMS_OIDC_SCOPES": "email profile"}, "LMS_OIDC_SCOPES"),
        (BASE | {"LMS_OIDC_CREATE_USERS": "maybe"}, "LMS_OIDC_CREATE_USERS"),
        (BASE | {"LMS_OIDC_LINK_BY_EMAIL": "sure"}, "LMS_OIDC_LINK_BY_EMAIL"),
    ],
)
def test_a_bad_setting_is_named(env, named):
    with pytest.raises(ConfigError, match=named):
        from_environment(env)


def test_plain_http_is_allowed_only_on_this_machine():
    settings = from_environment(BASE | {"LMS_OIDC_ISSUER": "http://127.0.0.1:8080"})
    assert settings.issuer == "http://127.0.0.1:8080"


def test_the_app_refuses_to_start_with_half_a_configuration(monkeypatch, tmp_path):
    monkeypatch.setenv("LMS_OIDC_ISSUER", "https://idp.example")
    monkeypatch.delenv("LMS_OIDC_CLIENT_ID", raising=False)
    with pytest.raises(ConfigError, match="LMS_OIDC_CLIENT_ID"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})


def test_the_app_reads_the_settings_at_start(monkeypatch, tmp_path):
    for name, value in BASE.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LMS_OIDC_NAME", "KommuneLogin")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})
    assert app.config["LMS_OIDC"].name == "KommuneLogin"
    with app.test_request_context():
        page = app.test_client().get("/login")
    assert "Log ind med KommuneLogin" in page.text


def test_not_configured_means_no_routes_and_no_button(client):
    assert client.get("/login/sso").status_code == 404
    assert client.get("/login/sso/callback?code=x&state=y").status_code == 404
    page = client.get("/login")
    assert page.status_code == 200
    assert "/login/sso" not in page.text
    assert "Log ind med" not in page.text


def test_configured_shows_the_button_in_both_languages(client, provider):
    page = client.get("/login")
    assert 'href="/login/sso"' in page.text
    assert "Log ind med KommuneLogin" in page.text
    page = client.get("/login?lang=en")
    assert "Log in with KommuneLogin" in page.text


def test_the_button_keeps_where_the_user_was_going(client, provider):
    page = client.get("/login?next=/learn/catalogue")
    assert 'href="/login/sso?next=/learn/catalogue"' in page.text
