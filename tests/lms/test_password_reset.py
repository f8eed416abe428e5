"""Password reset by a one-time link: the request, the mail and the new password."""

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest

from lms.extensions import db
from lms.models import AuditRecord, Mail, PasswordResetToken, User
from tests.conftest import BASE_URL, AuthActions

LEARNER = "learner@example.org"
NEW = "a-fresh-and-long-passphrase"


def _user(email=LEARNER) -> User:
    db.session.expire_all()
    return db.session.execute(db.select(User).filter_by(email=email)).scalar_one()


def _mails(email=LEARNER) -> list[Mail]:
    query = db.select(Mail).filter_by(recipient=email).order_by(Mail.id)
    return list(db.session.execute(query).scalars())


def _ask(client, email=LEARNER):
    return client.post("/login/forgot", data={"email": email})


def _token_from(mail: Mail) -> str:
    found = re.search(re.escape(BASE_URL) + r"/login/reset/([A-Za-z0-9_-]+)", mail.body)
    assert found, mail.body
    return found.group(1)


def _reset(client, token, password=NEW):
    return client.post(
        f"/login/reset/{token}", data={"new": password, "confirm": password}
    )


def test_login_page_links_to_the_reset(client):
    assert 'href="/login/forgot"' in client.get("/login").text
    assert client.get("/login/forgot").status_code == 200


def test_the_answer_is_the_same_whether_the_account_exists(client, demo):
    known = _ask(client)
    known_page = client.get(known.headers["Location"]).text
    unknown = _ask(client, "nobody@example.org")
    unknown_page = client.get(unknown.headers["Location"]).text
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"] == "/login"
    flash = re.compile(r'<p class="flash info">(.*?)</p>')
    assert flash.findall(known_page) == flash.findall(unknown_page)
    assert len(_mails()) == 1
    assert db.session.query(Mail).count() == 1


def test_a_bad_email_is_400_with_the_field_named(client):
    response = client.post("/login/forgot", data={"email": "not-an-email"})
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.text


def test_the_mail_is_in_the_users_language_with_a_link_from_the_base_url(client, demo):
    _ask(client)
    danish = _mails()[-1]
    assert danish.subject == "Vælg en ny adgangskode"
    assert BASE_URL + "/login/reset/" in danish.body
    user = _user()
    user.locale = "en"
    db.session.commit()
    _ask(client)
    english = _mails()[-1]
    assert english.subject == "Choose a new password"
    assert "60 minutes" in english.body


def test_only_a_hash_of_the_token_is_stored(client, demo):
    _ask(client)
    token = _token_from(_mails()[-1])
    stored = db.session.execute(db.select(PasswordResetToken)).scalar_one()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in stored.token_hash
    assert len(token) >= 40


def test_a_valid_link_sets_a_new_password(client, auth, demo):
    _ask(client)
    token = _token_from(_mails()[-1])
    page = client.get(f"/login/reset/{token}")
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"
    done = _reset(client, token)
    assert done.status_code == 302
    assert done.headers["Location"] == "/login"
    assert auth.login().status_code == 401
    assert auth.login(password=NEW).status_code == 302
    record = db.session.execute(
        db.select(AuditRecord).filter_by(action="user.password_reset")
    ).scalar_one()
    assert record.target_id == _user().uuid


def test_a_used_link_does_not_work_again(client, demo):
    _ask(client)
    token = _token_from(_mails()[-1])
    assert _reset(client, token).status_code == 302
    assert client.get(f"/login/reset/{token}").status_code == 404
    again = _reset(client, token, "yet-another-passphrase-9")
    assert again.status_code == 404
    assert "Linket virker ikke" in again.text
    assert _user().check_password(NEW)


def test_an_expired_link_does_not_work(client, demo):
    _ask(client)
    token = _token_from(_mails()[-1])
    stored = db.session.execute(db.select(PasswordResetToken)).scalar_one()
    assert stored.expires_at - stored.created_at == timedelta(minutes=60)
    stored.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()
    assert client.get(f"/login/reset/{token}").status_code == 404
    assert _reset(client, token).status_code == 404
    assert not _user().check_password(NEW)


@pytest.mark.parametrize("token", ["wrong", "A" * 43, "x" * 300])
def test_a_wrong_token_does_not_work(client, demo, token):
    _ask(client)
    assert client.get(f"/login/reset/{token}").status_code == 404
    assert _reset(client, token).status_code == 404


def test_a_newer_link_voids_the_older_one(client, demo):
    _ask(client)
    first = _token_from(_mails()[-1])
    _ask(client)
    second = _token_from(_mails()[-1])
    assert _reset(client, first).status_code == 404
    assert _reset(client, second).status_code == 302


def test_a_password_change_voids_open_links(client, auth, demo):
    _ask(client)
    token = _token_from(_mails()[-1])
    auth.login()
    client.post(
        "/account",
        data={"current": "learner-demo-2026", "new": NEW, "confirm": NEW},
    )
    assert client.get(f"/login/reset/{token}").status_code == 404


def test_the_reset_logs_out_every_other_session(app, client, demo):
    other = app.test_client()
    AuthActions(other).login()
    assert other.get("/learn/").status_code == 200
    _ask(client)
    assert _reset(client, _token_from(_mails()[-1])).status_code == 302
    assert other.get("/learn/").status_code == 302


def test_the_reset_lifts_a_lockout(app, client, auth, demo, monkeypatch):
    monkeypatch.setitem(app.config, "LMS_LOCKOUT_THRESHOLD", 2)
    auth.login(password="wrong-password-1")
    auth.login(password="wrong-password-1")
    assert _user().locked_until is not None
    _ask(client)
    _reset(client, _token_from(_mails()[-1]))
    assert auth.login(password=NEW).status_code == 302


def test_inactive_users_get_no_link(client, demo):
    user = _user()
    user.active = False
    db.session.commit()
    assert _ask(client).status_code == 302
    assert _mails() == []


def test_requests_are_rate_limited_per_email(client, demo):
    answers = [_ask(client, "Learner@Example.org").status_code for _ in range(4)]
    assert answers == [302, 302, 302, 429]
    assert len(_mails()) == 3
    assert _ask(client, "educator@example.org").status_code == 302


def test_requests_are_rate_limited_per_address(app, client, demo, monkeypatch):
    monkeypatch.setitem(app.config, "LMS_RESET_LIMIT_PER_IP", "2 per hour")
    assert _ask(client, "a@example.org").status_code == 302
    assert _ask(client, "b@example.org").status_code == 302
    limited = _ask(client, "c@example.org")
    assert limited.status_code == 429
    assert "For mange forsøg" in limited.text
