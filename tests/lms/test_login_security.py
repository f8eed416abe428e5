"""Sign-in throttling, lockout, enumeration-safe answers, sessions and cookies."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from lms.extensions import db
from lms.models import AuditRecord, Mail, User

LEARNER = "learner@example.org"
RIGHT = "learner-demo-2026"


def _user(email: str = LEARNER) -> User:
    db.session.expire_all()
    return db.session.execute(db.select(User).filter_by(email=email)).scalar_one()


def _error(response) -> str:
    """Return the error text shown under the password field."""
    found = re.search(r'<p class="error" id="password-error">(.*?)</p>', response.text)
    assert found, response.text
    return found.group(1)


def _login(client, email=LEARNER, password="wrong-password-1", **kwargs):
    return client.post("/login", data={"email": email, "password": password}, **kwargs)


@pytest.fixture
def low_lockout(app, monkeypatch):
    """Lock after three failures; throttle far above that."""
    monkeypatch.setitem(app.config, "LMS_LOCKOUT_THRESHOLD", 3)
    monkeypatch.setitem(app.config, "LMS_LOGIN_LIMIT_PER_ACCOUNT", "50 per minute")


# Throttling


def test_per_ip_limit_answers_429_even_for_the_right_password(
    app, client, demo, monkeypatch
):
    monkeypatch.setitem(app.config, "LMS_LOGIN_LIMIT_PER_IP", "3 per minute")
    for number in range(3):
        assert _login(client, email=f"nobody{number}@example.org").status_code == 401
    limited = _login(client, password=RIGHT)
    assert limited.status_code == 429
    assert "Retry-After" in limited.headers
    assert "For mange forsøg" in limited.text
    assert "Traceback" not in limited.text
    english = _login(client, password=RIGHT, query_string={"lang": "en"})
    assert english.status_code == 429
    assert "Too many attempts" in english.text
    assert "Try again in about" in english.text


def test_per_ip_limit_is_per_address(app, client, demo, monkeypatch):
    monkeypatch.setitem(app.config, "LMS_LOGIN_LIMIT_PER_IP", "2 per minute")
    for _ in range(2):
        _login(client, email="nobody@example.org")
    assert _login(client, password=RIGHT).status_code == 429
    elsewhere = {"REMOTE_ADDR": "127.0.0.2"}
    assert _login(client, password=RIGHT, environ_base=elsewhere).status_code == 302


def test_per_account_limit_answers_429_and_spares_other_accounts(
    app, client, demo, monkeypatch
):
    monkeypatch.setitem(app.config, "LMS_LOGIN_LIMIT_PER_ACCOUNT", "2 per 15 minutes")
    assert _login(client).status_code == 401
    assert _login(client, email=" LEARNER@example.org ").status_code == 401
    assert _login(client, password=RIGHT).status_code == 429
    assert _user().locked_until is None  # the throttle, not the lockout
    other = _login(client, email="educator@example.org", password="educator-demo-2026")
    assert other.status_code == 302


def test_unknown_emails_are_throttled_like_real_ones(app, client, demo, monkeypatch):
    monkeypatch.setitem(app.config, "LMS_LOGIN_LIMIT_PER_ACCOUNT", "2 per 15 minutes")
    answers = [_login(client, email="ghost@example.org").status_code for _ in range(3)]
    assert answers == [401, 401, 429]


def test_successful_sign_ins_do_not_use_up_the_limit(
    app, client, auth, demo, monkeypatch
):
    monkeypatch.setitem(app.config, "LMS_LOGIN_LIMIT_PER_ACCOUNT", "2 per 15 minutes")
    monkeypatch.setitem(app.config, "LMS_LOGIN_LIMIT_PER_IP", "2 per minute")
    for _ in range(4):
        assert auth.login().status_code == 302
        auth.logout()


# Lockout


def test_lockout_refuses_even_the_right_password(client, demo, low_lockout):
    for _ in range(3):
        assert _login(client).status_code == 401
    user = _user()
    assert user.locked_until is not None
    assert user.locked_until > datetime.now(UTC) + timedelta(minutes=14)
    assert user.failed_logins == 0
    refused = _login(client, password=RIGHT)
    assert refused.status_code == 401
    assert client.get("/learn/").status_code == 302


def test_messages_do_not_tell_whether_the_account_exists(client, demo, low_lockout):
    wrong = _error(_login(client))
    unknown = _error(_login(client, email="nobody@example.org"))
    for _ in range(2):
        _login(client)
    locked = _error(_login(client, password=RIGHT))
    assert wrong == unknown == locked
    inactive = _user()
    inactive.active = False
    inactive.locked_until = None
    db.session.commit()
    assert _error(_login(client, password=RIGHT)) == wrong


def test_the_owner_gets_one_mail_per_lockout(client, demo, low_lockout):
    for _ in range(3):
        _login(client)
    for _ in range(3):  # attempts while locked neither count nor mail again
        _login(client)
    mails = db.session.execute(db.select(Mail).filter_by(recipient=LEARNER)).scalars()
    mails = list(mails)
    assert len(mails) == 1
    assert "låst" in mails[0].subject
    assert "/login/forgot" in mails[0].body
    user = _user()
    user.locked_until = datetime.now(UTC) - timedelta(seconds=1)  # it ran out
    db.session.commit()
    for _ in range(3):
        _login(client)
    assert db.session.query(Mail).filter_by(recipient=LEARNER).count() == 2


def test_lockout_is_audited(client, demo, low_lockout):
    for _ in range(3):
        _login(client)
    record = db.session.execute(
        db.select(AuditRecord).filter_by(action="user.lock")
    ).scalar_one()
    assert record.target_id == _user().uuid
    assert record.actor_id is None
    assert LEARNER not in str(record.detail)


def test_a_successful_sign_in_resets_the_count(client, auth, demo, low_lockout):
    _login(client)
    _login(client)
    assert _user().failed_logins == 2
    assert auth.login().status_code == 302
    assert _user().failed_logins == 0
    auth.logout()
    _login(client)
    _login(client)
    assert _user().locked_until is None


def test_an_ended_lockout_lets_the_user_in(client, demo, low_lockout):
    for _ in range(3):
        _login(client)
    user = _user()
    user.locked_until = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()
    assert _login(client, password=RIGHT).status_code == 302


# The admin sees and lifts lockouts


def _lock(client, email=LEARNER):
    for _ in range(3):
        _login(client, email=email)


def test_admin_sees_the_badge_and_the_filter(client, auth, demo, low_lockout):
    _lock(client)
    auth.login("admin@example.org", "admin-demo-2026")
    page = client.get("/admin/users")
    assert page.status_code == 200
    assert 'class="badge locked"' in page.text
    assert page.text.count('class="badge locked"') == 1
    locked = client.get("/admin/users?status=locked")
    assert LEARNER in locked.text
    assert "educator@example.org" not in locked.text
    assert 'aria-current="page"' in locked.text


def test_admin_unlocks_an_account(client, auth, demo, low_lockout):
    _lock(client)
    learner = _user()
    auth.login("admin@example.org", "admin-demo-2026")
    response = client.post(f"/admin/users/{learner.id}/unlock")
    assert response.status_code == 302
    assert _user().locked_until is None
    record = db.session.execute(
        db.select(AuditRecord).filter_by(action="user.unlock")
    ).scalar_one()
    assert record.target_id == learner.uuid
    assert record.actor_id == _user("admin@example.org").id
    assert "badge locked" not in client.get("/admin/users").text
    auth.logout()
    assert auth.login().status_code == 302


@pytest.mark.parametrize("role", ["learner", "educator", "manager"])
def test_only_admins_can_unlock(client, auth, demo, make_user, low_lockout, role):
    _lock(client)
    learner = _user()
    make_user(role=role, email=f"{role}-x@example.org", password="password-1234")
    auth.login(f"{role}-x@example.org", "password-1234")
    assert client.post(f"/admin/users/{learner.id}/unlock").status_code == 403
    assert client.get("/admin/users?status=locked").status_code == 403
    assert _user().locked_until is not None


def test_anonymous_cannot_unlock(client, demo):
    response = client.post(f"/admin/users/{_user().id}/unlock")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_unlocking_an_unknown_user_is_404(client, auth, demo):
    auth.login("admin@example.org", "admin-demo-2026")
    assert client.post("/admin/users/999999/unlock").status_code == 404


# Sessions and cookies


def test_sign_in_starts_a_new_session(app, client, demo):
    """Session fixation: nothing planted before sign-in survives it."""
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    before = client.get_cookie("session").value
    assert _login(client, password=RIGHT).status_code == 302
    after = client.get_cookie("session").value
    assert after != before
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] == _user().get_id()


def test_session_id_carries_a_token_that_a_password_change_renews(client, auth, demo):
    auth.login()
    user = _user()
    user_id, _, token = user.get_id().partition(":")
    assert user_id == str(user.id)
    assert len(token) == 32
    other = client.application.test_client()
    type(auth)(other).login()
    assert other.get("/learn/").status_code == 200
    changed = client.post(
        "/account",
        data={
            "current": RIGHT,
            "new": "another-fine-password-7",
            "confirm": "another-fine-password-7",
        },
    )
    assert changed.status_code == 302
    assert _user().session_token != token
    assert client.get("/learn/").status_code == 200  # this browser stays in
    assert other.get("/learn/").status_code == 302  # the other one is out
    record = db.session.execute(
        db.select(AuditRecord).filter_by(action="user.password_change")
    ).scalar_one()
    assert record.actor_id == user.id


def test_a_session_without_the_token_is_not_accepted(client, demo):
    with client.session_transaction() as session:
        session["_user_id"] = str(_user().id)  # the old form: just the id
        session["_fresh"] = True
    assert client.get("/learn/").status_code == 302


def test_cookie_flags_in_development(client, auth, demo):
    header = auth.login().headers["Set-Cookie"]
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header
    assert "Secure" not in header


def test_cookie_flags_in_production(app, demo, monkeypatch):
    from lms import create_app
    from lms.extensions import limiter

    monkeypatch.setenv("LMS_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-long-and-random-production-secret")
    keys = ("TESTING", "WTF_CSRF_ENABLED", "PASSWORD_HASH_METHOD")
    keys += ("SQLALCHEMY_DATABASE_URI", "SQLALCHEMY_ENGINE_OPTIONS", "LMS_BASE_URL")
    production = create_app({key: app.config[key] for key in keys})
    try:
        assert production.config["SESSION_COOKIE_SECURE"] is True
        assert production.config["REMEMBER_COOKIE_SECURE"] is True
        assert production.config["REMEMBER_COOKIE_HTTPONLY"] is True
        assert production.config["REMEMBER_COOKIE_SAMESITE"] == "Lax"
        with production.app_context():
            client = production.test_client()
            response = client.post(
                "/login",
                data={"email": LEARNER, "password": RIGHT},
                base_url="https://lms.test",
            )
            assert response.status_code == 302
            header = response.headers["Set-Cookie"]
            db.session.remove()
            db.engine.dispose()
        assert header.startswith("session=")
        for flag in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
            assert flag in header
    finally:
        limiter.init_app(app)
