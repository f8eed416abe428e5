"""Who may download a certificate, and who may revoke one."""

import pytest

from lms.extensions import db
from lms.models import AuditRecord, Mail, ManagedUnit, Unit

DOWNLOADS = ("certificate.pdf", "credential.json")


def _manager_of(make_user, unit_code: str, email: str):
    manager = make_user(role="manager", unit_code=unit_code, email=email)
    unit = db.session.execute(db.select(Unit).filter_by(code=unit_code)).scalar_one()
    db.session.add(ManagedUnit(user_id=manager.id, unit_id=unit.id))
    db.session.commit()
    return manager


@pytest.mark.parametrize(
    "who, expected",
    [
        ("holder", 200),
        ("admin", 200),
        ("manager of the holder's organisation (Ældre og Sundhed)", 200),
        ("manager of the holder's unit (Hjemmeplejen Syd)", 200),
        ("manager of a sibling unit (Hjemmeplejen Nord)", 403),
        ("manager in another municipality", 403),
        ("another learner", 403),
        ("educator", 403),
    ],
)
@pytest.mark.parametrize("what", DOWNLOADS)
def test_download_permissions(client, auth, make_user, certified, who, expected, what):
    logins = {
        "holder": ("learner@example.org", "learner-demo-2026"),
        "admin": ("admin@example.org", "admin-demo-2026"),
        "manager of the holder's organisation (Ældre og Sundhed)": (
            "manager@example.org",
            "manager-demo-2026",
        ),
        "educator": ("educator@example.org", "educator-demo-2026"),
    }
    if who not in logins:
        if who.startswith("manager"):
            unit = next(
                code
                for name, code in (("Syd", "HJS"), ("Nord", "HJN"), ("another", "SUN"))
                if name in who
            )
            user = _manager_of(make_user, unit, "boss@example.org")
        else:
            user = make_user(email="other@example.org")
        logins[who] = (user.email, "password-1234")
    auth.login(*logins[who])
    response = client.get(f"/certificates/{certified.uuid}/{what}")
    assert response.status_code == expected
    if expected == 200:
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert certified.code in response.headers["Content-Disposition"]


@pytest.mark.parametrize("what", DOWNLOADS)
def test_anonymous_is_sent_to_log_in(client, certified, what):
    response = client.get(f"/certificates/{certified.uuid}/{what}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_unknown_certificate_is_not_found(client, auth, certified):
    auth.login()
    assert client.get("/certificates/no-such-id/certificate.pdf").status_code == 404


def test_the_learner_lists_their_certificates(client, auth, certified, make_user):
    auth.login()
    page = client.get("/certificates/")
    assert page.status_code == 200
    assert "Videokonsultationer med borgere" in page.text
    assert f"/certificates/{certified.uuid}/certificate.pdf" in page.text
    assert f"/verify/{certified.code}" in page.text
    auth.logout()
    make_user(email="someone@example.org")
    auth.login("someone@example.org", "password-1234")
    other = client.get("/certificates/")
    assert certified.uuid not in other.text


@pytest.mark.parametrize(
    "email, password",
    [
        ("learner@example.org", "learner-demo-2026"),
        ("manager@example.org", "manager-demo-2026"),
        ("educator@example.org", "educator-demo-2026"),
    ],
)
@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/certificates/admin/"),
        ("get", "/certificates/admin/{uuid}/revoke"),
        ("post", "/certificates/admin/{uuid}/revoke"),
        ("get", "/certificates/admin/keys"),
        ("post", "/certificates/admin/keys"),
    ],
)
def test_only_admins_revoke_or_rotate(
    client, auth, certified, email, password, method, path
):
    auth.login(email, password)
    url = path.format(uuid=certified.uuid)
    response = getattr(client, method)(url, data={"reason": "x"})
    assert response.status_code == 403
    db.session.refresh(certified)
    assert certified.revoked_at is None


def test_an_admin_revokes_with_a_reason(client, auth, certified, learner):
    auth.login("admin@example.org", "admin-demo-2026")
    listing = client.get(f"/certificates/admin/?q={certified.code}")
    assert listing.status_code == 200 and "Lene Sørensen" in listing.text
    by_name = client.get("/certificates/admin/?q=sørensen")
    assert certified.code in by_name.text
    url = f"/certificates/admin/{certified.uuid}/revoke"
    empty = client.post(url, data={"reason": "  "})
    assert empty.status_code == 400
    assert "Skriv begrundelsen for tilbagekaldelsen." in empty.text
    done = client.post(url, data={"reason": "Prøven blev ikke bestået"})
    assert done.status_code == 302
    db.session.expire_all()
    assert certified.revoked_at is not None
    assert certified.revocation_reason == "Prøven blev ikke bestået"
    (entry,) = db.session.execute(db.select(AuditRecord)).scalars()
    assert (entry.action, entry.target_id) == ("certificate.revoke", certified.uuid)
    assert entry.detail["reason"] == "Prøven blev ikke bestået"
    assert entry.actor_id is not None and entry.remote_addr == "127.0.0.1"
    recipients = sorted(
        m.recipient for m in db.session.execute(db.select(Mail)).scalars()
    )
    assert recipients == ["learner@example.org", "manager@example.org"]
    again = client.post(url, data={"reason": "Igen"})
    assert again.status_code == 409
    assert db.session.execute(db.select(db.func.count(AuditRecord.id))).scalar() == 1


def test_the_revocation_mail_is_in_the_recipients_language(certified, learner):
    from lms.models import User
    from lms.operations.certificates import revoke

    learner.locale = "en"
    admin = db.session.execute(
        db.select(User).filter_by(email="admin@example.org")
    ).scalar_one()
    revoke(certified, admin, "Wrong person")
    mails = {m.recipient: m for m in db.session.execute(db.select(Mail)).scalars()}
    assert mails["learner@example.org"].subject.startswith("Certificate revoked")
    assert mails["manager@example.org"].subject.startswith(
        "Kompetencebevis tilbagekaldt"
    )
    assert "Lene Sørensen" in mails["manager@example.org"].body
    assert f"/verify/{certified.code}" in mails["learner@example.org"].body
