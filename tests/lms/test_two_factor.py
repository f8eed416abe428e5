"""TOTP for admins: enrolment, the sign-in code step, replay, lockout, turning off."""

import pytest

from lms.auth import totp
from lms.extensions import db
from lms.models import AuditRecord, Mail, User

ADMIN = "admin@example.org"
PASSWORD = "admin-demo-2026"


class Clock:
    """The TOTP clock, moved by the test in 30-second steps."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def tick(self) -> None:
        self.now += 30


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(totp, "_clock", clock)
    return clock


def _admin() -> User:
    db.session.expire_all()
    return db.session.execute(db.select(User).filter_by(email=ADMIN)).scalar_one()


def _secret() -> str:
    return totp.decrypt(_admin().totp_secret)


def _enrol(client, auth, clock) -> str:
    """Sign in, turn TOTP on, sign out; return the secret."""
    auth.login(ADMIN, PASSWORD)
    client.post("/account/two-factor/start")
    secret = _secret()
    response = client.post(
        "/account/two-factor/confirm", data={"code": totp.code_for(secret)}
    )
    assert response.status_code == 302
    auth.logout()
    clock.tick()
    return secret


def _code(client, code):
    return client.post("/login/code", data={"code": code})


def test_enrolment_shows_a_qr_code_and_the_secret(client, auth, demo, clock):
    auth.login(ADMIN, PASSWORD)
    page = client.get("/account/two-factor")
    assert page.status_code == 200
    assert "<svg" not in page.text
    assert client.post("/account/two-factor/start").status_code == 302
    page = client.get("/account/two-factor")
    secret = _secret()
    assert '<svg role="img" aria-label=' in page.text
    assert totp.grouped(secret) in page.text
    assert "<script" not in page.text
    assert not _admin().totp_enabled
    assert secret not in (_admin().totp_secret or "")  # encrypted at rest


def test_the_secret_is_encrypted_with_a_key_from_secret_key(app, monkeypatch):
    stored = totp.encrypt("JBSWY3DPEHPK3PXP")
    assert "JBSWY3DPEHPK3PXP" not in stored
    assert totp.decrypt(stored) == "JBSWY3DPEHPK3PXP"
    monkeypatch.setitem(app.config, "SECRET_KEY", "another-secret")
    assert totp.decrypt(stored) is None


def test_a_wrong_code_does_not_turn_it_on(client, auth, demo, clock):
    auth.login(ADMIN, PASSWORD)
    client.post("/account/two-factor/start")
    wrong = client.post("/account/two-factor/confirm", data={"code": "000000"})
    assert wrong.status_code == 400
    assert 'id="code-error"' in wrong.text
    assert not _admin().totp_enabled


def test_confirming_turns_it_on_and_is_audited(client, auth, demo, clock):
    _enrol(client, auth, clock)
    admin = _admin()
    assert admin.totp_enabled
    record = db.session.execute(
        db.select(AuditRecord).filter_by(action="user.totp_enable")
    ).scalar_one()
    assert record.target_id == admin.uuid


def test_sign_in_asks_for_the_code(client, auth, demo, clock):
    secret = _enrol(client, auth, clock)
    response = auth.login(ADMIN, PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == "/login/code"
    assert client.get("/login/code").status_code == 200
    done = _code(client, totp.code_for(secret))
    assert done.status_code == 302
    assert done.headers["Location"] == "/learn/"
    assert client.get("/admin/users").status_code == 200


@pytest.mark.parametrize(
    "url", ["/learn/", "/admin/users", "/account", "/account/two-factor", "/manage/"]
)
def test_the_half_way_state_grants_nothing(client, auth, demo, clock, url):
    _enrol(client, auth, clock)
    auth.login(ADMIN, PASSWORD)
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    disabled = client.post("/account/two-factor/disable", data={"code": "1"})
    assert disabled.status_code == 302
    assert _admin().totp_enabled


def test_the_code_step_needs_a_right_password_first(client, demo, clock):
    response = _code(client, "123456")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"


def test_the_half_way_state_expires(client, auth, demo, clock, monkeypatch):
    from lms.auth import signin

    secret = _enrol(client, auth, clock)
    auth.login(ADMIN, PASSWORD)
    monkeypatch.setattr(signin, "PENDING_SECONDS", -1)
    assert _code(client, totp.code_for(secret)).status_code == 302
    assert client.get("/learn/").status_code == 302


def test_a_code_cannot_be_used_twice(client, auth, demo, clock):
    secret = _enrol(client, auth, clock)
    code = totp.code_for(secret)
    auth.login(ADMIN, PASSWORD)
    assert _code(client, code).status_code == 302
    auth.logout()
    auth.login(ADMIN, PASSWORD)
    replay = _code(client, code)
    assert replay.status_code == 401
    assert client.get("/learn/").status_code == 302
    clock.tick()
    assert _code(client, totp.code_for(secret)).status_code == 302


def test_an_older_code_within_the_drift_is_refused_after_a_newer_one(
    client, auth, demo, clock
):
    secret = _enrol(client, auth, clock)
    older = totp.code_for(secret, clock.now - 30)
    auth.login(ADMIN, PASSWORD)
    assert _code(client, totp.code_for(secret)).status_code == 302
    auth.logout()
    auth.login(ADMIN, PASSWORD)
    assert _code(client, older).status_code == 401


def test_the_enrolment_code_cannot_sign_in(client, auth, demo, clock):
    auth.login(ADMIN, PASSWORD)
    client.post("/account/two-factor/start")
    code = totp.code_for(_secret())
    client.post("/account/two-factor/confirm", data={"code": code})
    auth.logout()
    auth.login(ADMIN, PASSWORD)
    assert _code(client, code).status_code == 401


def test_wrong_codes_count_towards_lockout(app, client, auth, demo, clock, monkeypatch):
    monkeypatch.setitem(app.config, "LMS_LOCKOUT_THRESHOLD", 3)
    secret = _enrol(client, auth, clock)
    auth.login(ADMIN, PASSWORD)
    assert _code(client, "000000").status_code == 401
    assert _code(client, "111111").status_code == 401
    locked = _code(client, "222222")
    assert locked.status_code == 302
    assert locked.headers["Location"] == "/login"
    assert _admin().locked_until is not None
    assert db.session.query(Mail).filter_by(recipient=ADMIN).count() == 1
    assert _code(client, totp.code_for(secret)).status_code == 302  # state gone
    assert client.get("/learn/").status_code == 302
    assert auth.login(ADMIN, PASSWORD).status_code == 401  # locked


def test_wrong_codes_are_throttled(app, client, auth, demo, clock, monkeypatch):
    monkeypatch.setitem(app.config, "LMS_LOGIN_LIMIT_PER_ACCOUNT", "2 per 15 minutes")
    secret = _enrol(client, auth, clock)
    auth.login(ADMIN, PASSWORD)
    assert _code(client, "000000").status_code == 401
    assert _code(client, "111111").status_code == 401
    assert _code(client, totp.code_for(secret)).status_code == 429


def test_turning_off_needs_the_password_and_a_code(client, auth, demo, clock):
    secret = _enrol(client, auth, clock)
    auth.login(ADMIN, PASSWORD)
    _code(client, totp.code_for(secret))
    clock.tick()
    code = totp.code_for(secret)
    wrong_password = client.post(
        "/account/two-factor/disable", data={"password": "nope", "code": code}
    )
    assert wrong_password.status_code == 400
    assert 'id="password-error"' in wrong_password.text
    wrong_code = client.post(
        "/account/two-factor/disable", data={"password": PASSWORD, "code": "000000"}
    )
    assert wrong_code.status_code == 400
    assert 'id="code-error"' in wrong_code.text
    assert _admin().totp_enabled
    done = client.post(
        "/account/two-factor/disable", data={"password": PASSWORD, "code": code}
    )
    assert done.status_code == 302
    admin = _admin()
    assert not admin.totp_enabled
    assert admin.totp_secret is None
    assert db.session.execute(
        db.select(AuditRecord).filter_by(action="user.totp_disable")
    ).scalar_one()
    auth.logout()
    assert auth.login(ADMIN, PASSWORD).headers["Location"] == "/learn/"


@pytest.mark.parametrize("role", ["learner", "educator", "manager"])
def test_only_admins_have_two_factor_pages(client, auth, demo, role):
    auth.login(f"{role}@example.org", f"{role}-demo-2026")
    assert client.get("/account/two-factor").status_code == 403
    assert client.post("/account/two-factor/start").status_code == 403
    assert "two-factor" not in client.get("/account").text


def test_required_totp_sends_admins_to_enrolment_first(
    app, client, auth, demo, clock, monkeypatch
):
    monkeypatch.setitem(app.config, "LMS_REQUIRE_ADMIN_TOTP", True)
    response = auth.login(ADMIN, PASSWORD)
    assert response.headers["Location"] == "/account/two-factor"
    for url in ("/admin/users", "/learn/", "/account"):
        blocked = client.get(url)
        assert blocked.status_code == 302
        assert blocked.headers["Location"] == "/account/two-factor"
    assert client.post("/account/two-factor/start").status_code == 302
    page = client.get("/account/two-factor")
    assert page.status_code == 200
    assert "<svg" in page.text
    client.post("/account/two-factor/confirm", data={"code": totp.code_for(_secret())})
    assert client.get("/admin/users").status_code == 200
    auth.logout()
    learner = auth.login()
    assert learner.headers["Location"] == "/learn/"


def test_cli_turns_two_factor_off_for_a_lost_device(client, auth, runner, demo, clock):
    _enrol(client, auth, clock)
    result = runner.invoke(args=["users", "disable-2fa", ADMIN])
    assert result.exit_code == 0, result.output
    assert not _admin().totp_enabled
    missing = runner.invoke(args=["users", "disable-2fa", "nobody@example.org"])
    assert missing.exit_code == 1
