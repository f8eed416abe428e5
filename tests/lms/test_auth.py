"""Signing in and out, the password and the language."""

from lms.extensions import db
from lms.models import User


def test_login_page_is_danish_by_default(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert '<html lang="da">' in response.text
    assert "Log ind" in response.text


def test_wrong_password_is_401_and_keeps_the_email(client, demo):
    response = client.post(
        "/login", data={"email": "learner@example.org", "password": "wrong-password"}
    )
    assert response.status_code == 401
    assert 'value="learner@example.org"' in response.text
    assert "Traceback" not in response.text


def test_malformed_login_form_is_400_with_the_field_named(client, demo):
    response = client.post("/login", data={"email": "not-an-email", "password": ""})
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.text
    assert 'value="not-an-email"' in response.text


def test_login_and_logout(client, auth, demo):
    response = auth.login()
    assert response.status_code == 302
    assert response.headers["Location"] == "/learn/"
    assert client.get("/learn/").status_code == 200
    auth.logout()
    assert client.get("/learn/").status_code == 302


def test_login_never_redirects_off_site(client, demo):
    response = client.post(
        "/login?next=//evil.example/x",
        data={"email": "learner@example.org", "password": "learner-demo-2026"},
    )
    assert response.headers["Location"] == "/learn/"


def test_passwords_are_hashed_with_scrypt_by_default(app):
    from lms.config import from_environment

    assert from_environment(app.instance_path)["PASSWORD_HASH_METHOD"] == "scrypt"


def test_passwords_are_hashed(demo):
    user = db.session.execute(
        db.select(User).filter_by(email="learner@example.org")
    ).scalar_one()
    assert "learner-demo-2026" not in user.password_hash
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))


def test_password_change(client, auth, demo):
    auth.login()
    response = client.post(
        "/account",
        data={
            "current": "learner-demo-2026",
            "new": "a-new-password-1",
            "confirm": "a-new-password-1",
        },
    )
    assert response.status_code == 302
    auth.logout()
    assert auth.login().status_code == 401
    assert auth.login(password="a-new-password-1").status_code == 302


def test_password_change_rejects_wrong_current_and_short_new(client, auth, demo):
    auth.login()
    wrong = client.post(
        "/account",
        data={
            "current": "nope",
            "new": "a-new-password-1",
            "confirm": "a-new-password-1",
        },
    )
    assert wrong.status_code == 400
    short = client.post(
        "/account",
        data={
            "current": "learner-demo-2026",
            "new": "short",
            "confirm": "short",
        },
    )
    assert short.status_code == 400


def test_language_choice_is_kept_for_the_user(client, auth, demo):
    auth.login()
    client.post("/language", data={"locale": "en", "next": "/learn/"})
    page = client.get("/learn/")
    assert '<html lang="en">' in page.text
    assert "My learning" in page.text
    auth.logout()
    auth.login()
    assert '<html lang="en">' in client.get("/learn/").text
    user = db.session.execute(
        db.select(User).filter_by(email="learner@example.org")
    ).scalar_one()
    assert user.locale == "en"


def test_csrf_is_enforced_on_forms(app, demo):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        client = app.test_client()
        response = client.post(
            "/login",
            data={"email": "learner@example.org", "password": "learner-demo-2026"},
        )
        assert response.status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
