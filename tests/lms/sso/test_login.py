"""Single sign-on from start to finish against the in-test OpenID Connect provider."""

from urllib.parse import parse_qs, urlsplit

from lms.extensions import db
from lms.models import AuditRecord, Unit, User, UserIdentity
from tests.lms.sso.conftest import back_to_app, configure, sso_login, to_provider
from tests.lms.sso.provider import CLIENT_ID


def _user(email):
    query = db.select(User).filter_by(email=email)
    return db.session.execute(query).scalar_one_or_none()


def _actions():
    return [r.action for r in db.session.execute(db.select(AuditRecord)).scalars()]


def test_first_login_creates_a_learner_in_the_unit_from_the_claims(client, provider):
    response = sso_login(client)
    assert response.status_code == 302
    assert response.headers["Location"] == "/learn/"
    user = _user("sso.nurse@odense.example")
    assert user is not None
    assert user.roles == {"learner"}
    assert user.primary_unit.code == "HJS"
    assert user.primary_unit.organisation.name == "Odense Kommune"
    assert user.name == "Sanne Sørensen"
    assert user.password_hash is None
    identity = db.session.execute(db.select(UserIdentity)).scalar_one()
    assert (identity.issuer, identity.subject) == (provider.issuer, "kl-7f3c2a9e")
    assert identity.user_id == user.id
    assert "sso.user_created" in _actions()
    page = client.get("/learn/")
    assert page.status_code == 200


def test_the_redirect_carries_state_nonce_and_pkce(client, provider):
    location = to_provider(client)
    ask = provider.authorize_requests[-1]
    assert ask["client_id"] == CLIENT_ID
    assert ask["response_type"] == "code"
    assert ask["code_challenge_method"] == "S256"
    assert len(ask["code_challenge"]) >= 43
    assert ask["state"] and ask["nonce"]
    assert set(ask["scope"].split()) == {"openid", "email", "profile"}
    assert ask["redirect_uri"] == "http://lms.test/login/sso/callback"
    assert parse_qs(urlsplit(location).query)["state"] == [ask["state"]]
    back_to_app(client, location)
    sent = provider.token_requests[-1]
    assert sent["basic"] is True  # client_secret_basic
    assert sent["form"]["code_verifier"]
    assert "client_secret" not in sent["form"]


def test_second_login_finds_the_same_user_though_the_email_changed(client, provider):
    sso_login(client)
    first = _user("sso.nurse@odense.example")
    client.post("/logout")
    provider.person["email"] = "sanne.new@odense.example"
    provider.person["name"] = "Sanne Holm"
    response = sso_login(client)
    assert response.status_code == 302
    users = db.session.execute(db.select(User)).scalars().all()
    assert len([u for u in users if "odense.example" in u.email]) == 1
    db.session.refresh(first)
    assert first.email == "sanne.new@odense.example"
    assert first.name == "Sanne Holm"
    assert db.session.execute(db.select(UserIdentity)).scalars().all()[0].user_id == (
        first.id
    )


def test_a_user_is_never_matched_by_name_or_unverified_email(client, provider):
    sso_login(client)
    client.post("/logout")
    # Another person at the provider with the same name and an unverified copy of
    # the e-mail address: a new subject never reaches the first account.
    provider.person.update(sub="kl-other", email_verified=False)
    configure(client.application, provider, link_by_email=True)
    response = sso_login(client)
    assert response.status_code == 409
    assert db.session.execute(db.select(UserIdentity)).scalars().all()[0].subject == (
        "kl-7f3c2a9e"
    )
    assert client.get("/learn/").status_code == 302


def test_a_different_known_unit_in_the_claims_moves_the_user(client, provider):
    sso_login(client)
    client.post("/logout")
    provider.person["unit_code"] = "HJN"
    sso_login(client)
    user = _user("sso.nurse@odense.example")
    assert user.primary_unit.code == "HJN"
    record = db.session.execute(
        db.select(AuditRecord).filter_by(action="sso.unit_changed")
    ).scalar_one()
    hjn = db.session.execute(db.select(Unit).filter_by(code="HJN")).scalar_one()
    assert record.detail["to_unit_id"] == hjn.id
    assert record.target_id == user.uuid


def test_an_unknown_unit_later_keeps_the_unit_and_is_audited(client, provider):
    sso_login(client)
    client.post("/logout")
    provider.person["unit_code"] = "NOPE"
    response = sso_login(client)
    assert response.status_code == 302
    assert _user("sso.nurse@odense.example").primary_unit.code == "HJS"
    assert "sso.unit_unknown" in _actions()


def test_unknown_unit_on_first_login_creates_no_account(client, provider):
    provider.person["unit_code"] = "XYZ"
    response = sso_login(client)
    assert response.status_code == 403
    assert "Din enhed er ikke oprettet" in response.text
    assert "Traceback" not in response.text
    assert _user("sso.nurse@odense.example") is None
    assert db.session.execute(db.select(UserIdentity)).first() is None
    record = db.session.execute(
        db.select(AuditRecord).filter_by(action="sso.refused")
    ).scalar_one()
    assert record.detail["reason"] == "unknown_unit"
    assert record.detail["unit_code"] == "XYZ"


def test_unknown_organisation_creates_no_account(client, provider):
    provider.person["organisation"] = "Atlantis Kommune"
    response = sso_login(client)
    assert response.status_code == 403
    assert _user("sso.nurse@odense.example") is None
    assert "sso.refused" in _actions()


def test_unit_code_is_looked_up_within_the_organisation(client, provider):
    # HJV exists only in Svendborg; claimed for Odense it is unknown.
    provider.person["unit_code"] = "HJV"
    assert sso_login(client).status_code == 403
    provider.person["organisation"] = "Svendborg Kommune"
    assert sso_login(client).status_code == 302
    assert _user("sso.nurse@odense.example").primary_unit.code == "HJV"


def test_a_configured_organisation_stands_in_for_a_missing_claim(client, provider):
    configure(
        client.application, provider, org_claim="", organisation="Svendborg Kommune"
    )
    provider.person["unit_code"] = "SHC"
    assert sso_login(client).status_code == 302
    unit = _user("sso.nurse@odense.example").primary_unit
    assert (unit.organisation.name, unit.code) == ("Svendborg Kommune", "SHC")


def test_missing_unit_claim_creates_no_account(client, provider):
    del provider.person["unit_code"]
    response = sso_login(client)
    assert response.status_code == 403
    assert _user("sso.nurse@odense.example") is None


def test_claims_missing_from_the_id_token_come_from_userinfo(client, provider):
    provider.userinfo_only = {"email", "email_verified", "unit_code"}
    assert sso_login(client).status_code == 302
    assert provider.userinfo_calls == 1
    assert _user("sso.nurse@odense.example").primary_unit.code == "HJS"


def test_userinfo_about_another_subject_is_refused(client, provider):
    provider.userinfo_only = {"email"}
    provider.fault = "userinfo_other_subject"
    response = sso_login(client)
    assert response.status_code == 401
    assert _user("sso.nurse@odense.example") is None


def test_existing_account_is_linked_by_verified_email_only_when_enabled(
    client, provider, make_user
):
    local = make_user(email="sso.nurse@odense.example", unit_code="HJN")
    # Off by default: the address is taken, so no account and no link.
    response = sso_login(client)
    assert response.status_code == 409
    assert db.session.execute(db.select(UserIdentity)).first() is None
    # Enabled, but the provider has not verified the address: still no link.
    configure(client.application, provider, link_by_email=True)
    provider.person["email_verified"] = False
    assert sso_login(client).status_code == 409
    assert db.session.execute(db.select(UserIdentity)).first() is None
    # Enabled and verified: linked, and the unit follows the claims.
    provider.person["email_verified"] = True
    assert sso_login(client).status_code == 302
    identity = db.session.execute(db.select(UserIdentity)).scalar_one()
    assert identity.user_id == local.id
    db.session.refresh(local)
    assert local.primary_unit.code == "HJS"
    assert {"sso.identity_linked", "sso.unit_changed"} <= set(_actions())
    # Linked accounts keep their password.
    client.post("/logout")
    assert (
        client.post(
            "/login", data={"email": local.email, "password": "password-1234"}
        ).status_code
        == 302
    )


def test_a_second_subject_cannot_take_over_a_linked_account(
    client, provider, make_user
):
    make_user(email="sso.nurse@odense.example")
    configure(client.application, provider, link_by_email=True)
    assert sso_login(client).status_code == 302
    client.post("/logout")
    provider.person["sub"] = "kl-impostor"
    assert sso_login(client).status_code == 409
    assert len(db.session.execute(db.select(UserIdentity)).scalars().all()) == 1


def test_no_account_is_created_when_creation_is_off(client, provider):
    configure(client.application, provider, create_users=False)
    response = sso_login(client)
    assert response.status_code == 403
    assert _user("sso.nurse@odense.example") is None


def test_a_deactivated_user_cannot_log_in(client, provider):
    sso_login(client)
    client.post("/logout")
    user = _user("sso.nurse@odense.example")
    user.active = False
    db.session.commit()
    assert sso_login(client).status_code == 403
    assert client.get("/learn/").status_code == 302


def test_the_session_is_renewed_on_login(client, provider):
    client.get("/login?lang=en")  # something in the session before the login
    with client.session_transaction() as session:
        session["planted"] = "from before the login"
    callback = to_provider(client)
    before = client.get_cookie("session").value
    response = back_to_app(client, callback)
    assert response.status_code == 302
    after = client.get_cookie("session").value
    assert after != before
    with client.session_transaction() as session:
        assert "planted" not in session
        assert not [key for key in session if key.startswith("_state_")]
        assert session["_user_id"] == _user("sso.nurse@odense.example").get_id()


def test_next_is_kept_through_the_provider_and_stays_on_site(client, provider):
    assert sso_login(client, "/learn/catalogue").headers["Location"] == (
        "/learn/catalogue"
    )
    client.post("/logout")
    assert sso_login(client, "//evil.example/x").headers["Location"] == "/learn/"


def test_sso_user_cannot_log_in_with_a_password(client, provider):
    sso_login(client)
    client.post("/logout")
    for password in ("", "None", "!", "password-1234"):
        response = client.post(
            "/login", data={"email": "sso.nurse@odense.example", "password": password}
        )
        assert response.status_code in (400, 401)
    assert client.get("/learn/").status_code == 302


def test_sso_user_sees_no_password_form_and_cannot_set_one_blind(client, provider):
    sso_login(client)
    page = client.get("/account")
    assert page.status_code == 200
    assert 'name="current"' not in page.text
    new = "a-new-password"
    response = client.post("/account", data={"current": "", "new": new, "confirm": new})
    assert response.status_code == 400
    assert _user("sso.nurse@odense.example").password_hash is None


def test_logout_stays_local(client, provider):
    sso_login(client)
    response = client.post("/logout")
    assert response.headers["Location"] == "/login"
    assert client.get("/learn/").status_code == 302


def test_the_same_first_login_twice_at_once_gives_one_account(
    client, provider, monkeypatch
):
    """Two tabs finishing the first login together: the loser finds the winner."""
    from sqlalchemy.orm import Session

    from lms.sso import operations

    real_identity = operations._identity
    calls = []

    def other_tab_wins(user, person):
        if not calls:
            with Session(db.engine) as other:
                winner = User(email=person.email, name="Other tab", password_hash=None)
                other.add(winner)
                other.add(
                    UserIdentity(
                        user=winner, issuer=person.issuer, subject=person.subject
                    )
                )
                other.commit()
        calls.append(person.subject)
        return real_identity(user, person)

    monkeypatch.setattr(operations, "_identity", other_tab_wins)
    response = sso_login(client)
    assert response.status_code == 302
    assert len(db.session.execute(db.select(UserIdentity)).scalars().all()) == 1
    assert _user("sso.nurse@odense.example").name == "Sanne Sørensen"  # updated


def test_an_admin_with_a_second_factor_gives_the_code_after_sso(client, provider):
    sso_login(client)
    client.post("/logout")
    user = _user("sso.nurse@odense.example")
    user.totp_enabled = True
    db.session.commit()
    callback = to_provider(client)
    response = back_to_app(client, callback)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login/code")
    assert client.get("/learn/").status_code == 302  # not signed in yet
