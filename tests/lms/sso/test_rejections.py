"""Answers from the provider that must never log anyone in."""

import pytest

from lms.extensions import db
from lms.models import User, UserIdentity
from tests.lms.sso.conftest import back_to_app, configure, sso_login, to_provider


def _nobody_logged_in(client) -> None:
    assert client.get("/learn/").status_code == 302
    assert db.session.execute(db.select(UserIdentity)).first() is None
    assert (
        db.session.execute(
            db.select(User).filter_by(email="sso.nurse@odense.example")
        ).first()
        is None
    )


@pytest.mark.parametrize(
    "fault",
    [
        "wrong_audience",
        "wrong_issuer",
        "bad_signature",
        "expired",
        "wrong_nonce",
        "no_nonce",
        "unknown_key",
        "no_id_token",
    ],
)
def test_a_bad_id_token_is_rejected(client, provider, fault, caplog):
    provider.fault = fault
    response = sso_login(client)
    assert response.status_code == 401
    assert "Vi kunne ikke bekræfte" in response.text
    assert "Traceback" not in response.text
    _nobody_logged_in(client)
    assert "sso.nurse" not in caplog.text  # no personal data in the log


def test_a_token_that_verifies_logs_in(client, provider):
    # The same path as above, behaving: the rejections are not an accident.
    assert sso_login(client).status_code == 302


def test_a_state_that_does_not_match_is_rejected(client, provider):
    callback = to_provider(client)
    response = back_to_app(client, callback.replace("state=", "state=x"))
    assert response.status_code == 400
    assert "Log ind med KommuneLogin igen" in response.text
    _nobody_logged_in(client)


def test_an_answer_started_in_another_browser_is_rejected(app, client, provider):
    callback = to_provider(client)
    other = app.test_client()  # another browser, without the login's state
    assert back_to_app(other, callback).status_code == 400
    _nobody_logged_in(other)


def test_a_code_cannot_be_used_twice(client, provider):
    callback = to_provider(client)
    assert back_to_app(client, callback).status_code == 302
    client.post("/logout")
    # The state was used up with the first answer.
    assert back_to_app(client, callback).status_code == 400


def test_a_callback_without_anything_is_400(client, provider):
    response = client.get("/login/sso/callback")
    assert response.status_code == 400
    assert "Traceback" not in response.text


def test_access_denied_at_the_provider_is_a_friendly_401(client, provider):
    provider.deny = "access_denied"
    response = sso_login(client)
    assert response.status_code == 401
    assert "Login mislykkedes" in response.text
    assert "afbrudt eller afvist" in response.text
    assert "Traceback" not in response.text
    _nobody_logged_in(client)


def test_the_error_page_speaks_english_too(client, provider):
    client.get("/login?lang=en")
    provider.deny = "access_denied"
    response = sso_login(client)
    assert response.status_code == 401
    assert "Login failed" in response.text
    assert "cancelled or refused" in response.text


def test_another_provider_error_is_a_friendly_400(client, provider):
    provider.deny = "server_error"
    response = sso_login(client)
    assert response.status_code == 400
    assert "Traceback" not in response.text
    _nobody_logged_in(client)


def test_a_discovery_document_of_another_issuer_is_refused(client, provider):
    provider.fault = "discovery_other_issuer"
    response = client.get("/login/sso")
    assert response.status_code == 503
    assert "Traceback" not in response.text


def test_an_unreachable_provider_is_a_friendly_503(app, client, provider):
    configure(app, provider, issuer="http://127.0.0.1:9")  # nothing listens there
    response = client.get("/login/sso")
    assert response.status_code == 503
    assert "kan ikke nås" in response.text


def test_the_wrong_client_secret_is_rejected(app, client, provider):
    configure(app, provider, client_secret="not-the-secret")
    response = sso_login(client)
    assert response.status_code == 401
    _nobody_logged_in(client)
