"""The password policy, and that every place which sets a password applies it."""

import pytest

from lms.auth import passwords
from lms.extensions import db
from lms.models import PasswordResetToken, User
from lms.operations import accounts

CSV_HEADER = "email,name,roles,organisation,unit,job_role,password\n"

#: (password, the rule it breaks) for an account with the email EMAIL.
WEAK = [
    ("short-pw", passwords.TOO_SHORT),
    ("Password1234", passwords.COMMON),  # common, whatever the case
    ("qwerty123456", passwords.COMMON),
    ("Nurse.Jensen@example.org", passwords.IS_EMAIL),
]
EMAIL = "nurse.jensen@example.org"


@pytest.mark.parametrize(("password", "problem"), WEAK)
def test_weak_passwords_break_one_rule(password, problem):
    assert passwords.problems(password, EMAIL) == [problem]


def test_limits_of_length():
    assert passwords.problems("x7#" * 4) == []  # exactly 12
    assert passwords.problems("x7#" * 4, min_length=13) == [passwords.TOO_SHORT]
    assert passwords.problems("a" * 129) == [passwords.TOO_LONG]
    assert passwords.problems("a" * 128) == []


def test_the_bundled_list_is_the_real_one():
    common = passwords.common_passwords()
    assert len(common) > 19_000
    assert {"123456", "password", "qwerty"} <= common
    assert all(word == word.lower() for word in list(common)[:500])


@pytest.mark.parametrize(
    "password",
    ["learner-demo-2026", "educator-demo-2026", "manager-demo-2026", "admin-demo-2026"],
)
def test_the_demo_passwords_meet_the_policy(password):
    assert passwords.problems(password, "someone@example.org") == []


def test_the_operation_refuses_a_weak_password_too(app, demo):
    learner = db.session.execute(
        db.select(User).filter_by(email="learner@example.org")
    ).scalar_one()
    with pytest.raises(accounts.PasswordRejected) as rejected:
        accounts.change_password(learner, "password")
    assert rejected.value.codes == [passwords.TOO_SHORT, passwords.COMMON]


def _change(client, new):
    return client.post(
        "/account",
        data={"current": "password-1234", "new": new, "confirm": new},
    )


def _reset_form(client, app):
    """Return a function that submits a password on a fresh reset link."""
    from lms.operations.accounts import request_reset

    tokens = []
    with app.test_request_context():
        request_reset(EMAIL, lambda token: tokens.append(token) or f"/{token}")
    token = tokens[-1]
    return lambda new: client.post(
        f"/login/reset/{token}", data={"new": new, "confirm": new}
    )


MESSAGES = {
    passwords.TOO_SHORT: "Use at least 12 characters.",
    passwords.COMMON: "This password is too common",
    passwords.IS_EMAIL: "must not be your email address",
}


@pytest.mark.parametrize(("password", "problem"), WEAK)
def test_account_page_applies_the_policy(client, auth, make_user, password, problem):
    make_user(email=EMAIL, password="password-1234")
    auth.login(EMAIL, "password-1234")
    response = _change(client, password)
    assert response.status_code == 400
    assert 'id="new-error"' in response.text
    client.post("/language", data={"locale": "en"})
    response = _change(client, password)
    assert MESSAGES[problem] in response.text
    auth.logout()
    assert auth.login(EMAIL, "password-1234").status_code == 302


@pytest.mark.parametrize(("password", "problem"), WEAK)
def test_reset_page_applies_the_policy(app, client, make_user, password, problem):
    make_user(email=EMAIL, password="password-1234")
    client.get("/login?lang=en")
    submit = _reset_form(client, app)
    response = submit(password)
    assert response.status_code == 400
    assert 'id="new-error"' in response.text
    assert MESSAGES[problem] in response.text
    # The token stays usable after a refused password.
    assert submit("a-much-better-passphrase").status_code == 302
    assert db.session.query(PasswordResetToken).filter_by(used_at=None).count() == 0


@pytest.mark.parametrize(("password", "problem"), WEAK)
def test_csv_import_applies_the_policy(app, demo, password, problem):
    from lms.operations.users import parse_csv

    row = f"{EMAIL},Nurse Jensen,learner,Odense Kommune,HJS,nurse,{password}\n"
    rows, errors = parse_csv(CSV_HEADER + row)
    assert rows == []
    assert [(e.line, e.field) for e in errors] == [(2, "password")]
    assert errors[0].message == passwords.english(problem, 12, 128)


def test_csv_import_accepts_a_good_password(app, demo):
    from lms.operations.users import import_rows, parse_csv

    row = f"{EMAIL},Nurse Jensen,learner,Odense Kommune,HJS,nurse,calm-river-stone-41\n"
    rows, errors = parse_csv(CSV_HEADER + row)
    assert errors == []
    assert import_rows(rows) == 1


def test_admin_csv_upload_names_the_password_field(client, auth, demo):
    import io

    auth.login("admin@example.org", "admin-demo-2026")
    row = f"{EMAIL},Nurse Jensen,learner,Odense Kommune,HJS,nurse,qwerty123456\n"
    response = client.post(
        "/admin/users/import",
        data={"file": (io.BytesIO((CSV_HEADER + row).encode()), "users.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "line 2: password: is too common" in response.text
