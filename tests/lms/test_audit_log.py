"""The audit log: every admin and manager action is recorded, and none can change."""

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from lms import create_app
from lms.audit import audit
from lms.extensions import db
from lms.models import (
    AuditRecord,
    Cohort,
    LRSClient,
    SigningKey,
    Unit,
    User,
)
from lms.models.audit import AuditRecordImmutable
from tests.lms.certificates.conftest import certify

ADMIN = ("admin@example.org", "admin-demo-2026")
MANAGER = ("manager@example.org", "manager-demo-2026")
EDUCATOR = ("educator@example.org", "educator-demo-2026")
LEARNER = ("learner@example.org", "learner-demo-2026")
ADDRESS = "198.51.100.7"


def user(email: str) -> User:
    return db.session.execute(db.select(User).filter_by(email=email)).scalar_one()


def unit_id(code: str) -> int:
    return db.session.execute(db.select(Unit.id).filter_by(code=code)).scalar_one()


def records(action: str | None = None, after: int = 0) -> list[AuditRecord]:
    query = db.select(AuditRecord).where(AuditRecord.id > after)
    query = query.order_by(AuditRecord.id)
    if action:
        query = query.filter_by(action=action)
    db.session.expire_all()
    return list(db.session.execute(query).scalars())


def _last_id() -> int:
    return db.session.execute(db.select(db.func.max(AuditRecord.id))).scalar() or 0


@pytest.fixture
def world(demo, make_user, tmp_path, monkeypatch, app):
    """The demo people and cohort, a certificate, an LRS client and a new learner."""
    from lms.operations.lrs_clients import create_client

    monkeypatch.setitem(app.config, "LMS_SIGNING_KEYS_DIR", str(tmp_path / "keys"))
    client_row, _secret = create_client("Existing client", key="existing")
    return {
        "learner": user(LEARNER[0]),
        "newcomer": make_user(email="newcomer@example.org"),
        "cohort": db.session.execute(db.select(Cohort)).scalar_one(),
        "certificate": certify(user(LEARNER[0])),
        "lrs_client": client_row,
        "hjs": unit_id("HJS"),
        "aes": unit_id("AES"),
    }


# --- Each action, one case each -----------------------------------------------------


def _import_user(client, world):
    body = (
        "email,name,roles,organisation,unit,job_role\n"
        "ny@example.org,Ny Person,learner,Odense Kommune,HJS,nurse\n"
    )
    response = client.post(
        "/admin/users/import",
        data={"file": (io.BytesIO(body.encode()), "users.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.text
    created = user("ny@example.org")
    return "user", str(created.id), {"roles": ["learner"], "via": "csv_import"}


def _role_profile(client, world):
    from lms.admin.role_profiles import field_name
    from lms.content import framework

    competences = [c for area in framework().areas for c in area.competences]
    data = {field_name(c.id): "0" for c in competences}
    data[field_name(competences[0].id)] = "2"
    response = client.post("/admin/role-profiles/nurse", data=data)
    assert response.status_code == 302, response.text
    return "role_profile", "nurse", {"levels": {competences[0].id: 2}}


def _lrs_create(client, world):
    response = client.post(
        "/admin/lrs/clients",
        data={"name": "Partner LRS", "key": "partner", "scopes": ["statements/read"]},
    )
    assert response.status_code == 200, response.text
    created = db.session.execute(
        db.select(LRSClient).filter_by(key="partner")
    ).scalar_one()
    return "lrs_client", str(created.id), {"scopes": ["statements/read"]}


def _lrs_scopes(client, world):
    target = world["lrs_client"]
    response = client.post(
        f"/admin/lrs/clients/{target.id}", data={"scopes": ["statements/write"]}
    )
    assert response.status_code == 302
    return "lrs_client", str(target.id), {"scopes": ["statements/write"]}


def _lrs_deactivate(client, world):
    target = world["lrs_client"]
    assert client.post(f"/admin/lrs/clients/{target.id}/active").status_code == 302
    return "lrs_client", str(target.id), {}


def _revoke(client, world):
    certificate = world["certificate"]
    response = client.post(
        f"/certificates/admin/{certificate.uuid}/revoke", data={"reason": "Fejl"}
    )
    assert response.status_code == 302
    holder = world["learner"].id
    return "certificate", certificate.uuid, {"reason": "Fejl", "holder_id": holder}


def _certificate_export(client, world):
    certificate = world["certificate"]
    url = f"/certificates/{certificate.uuid}/credential.json"
    assert client.get(url).status_code == 200
    holder = world["learner"].id
    return (
        "certificate",
        certificate.uuid,
        {"format": "credential", "holder_id": holder},
    )


def _rotate(client, world):
    assert client.post("/certificates/admin/keys").status_code == 302
    active = db.session.execute(
        db.select(SigningKey).filter_by(retired_at=None)
    ).scalar_one()
    return "signing_key", active.kid, {}


def _assign(client, world):
    due = (date.today() + timedelta(days=30)).isoformat()
    response = client.post(
        f"/manage/units/{world['hjs']}/assignments",
        data={
            "target": "module:video-consultations",
            "due_on": due,
            "include_subunits": "y",
        },
    )
    assert response.status_code == 302, response.text
    made = records("assignment.create")[-1]
    detail = {"unit_id": world["hjs"], "slug": "video-consultations", "due_on": due}
    return "assignment", made.target_id, detail


def _withdraw(client, world):
    from lms.operations.assignments import create_assignment

    manager = user(MANAGER[0])
    assignment = create_assignment(
        manager, world["hjs"], "module", "video-consultations", date(2030, 1, 1)
    )
    url = f"/manage/assignments/{assignment.id}/withdraw"
    assert client.post(url).status_code == 302
    return "assignment", str(assignment.id), {"unit_id": world["hjs"]}


def _add_member(client, world):
    cohort, newcomer = world["cohort"], world["newcomer"]
    response = client.post(
        f"/teach/cohorts/{cohort.id}/members", data={"user_id": str(newcomer.id)}
    )
    assert response.status_code == 302, response.text
    return "user", str(newcomer.id), {"cohort_id": cohort.id}


def _remove_member(client, world):
    cohort, learner = world["cohort"], world["learner"]
    url = f"/teach/cohorts/{cohort.id}/members/{learner.id}/remove"
    assert client.post(url).status_code == 302
    return "user", str(learner.id), {"cohort_id": cohort.id}


def _unit_export(client, world):
    response = client.get(f"/manage/units/{world['aes']}/export/overdue.csv")
    assert response.status_code == 200
    return "unit", str(world["aes"]), {"list": "overdue", "format": "csv"}


def _cohort_export(client, world):
    cohort = world["cohort"]
    response = client.get(f"/teach/cohorts/{cohort.id}/overview.csv", buffered=True)
    assert response.status_code == 200
    return "cohort", str(cohort.id), {"format": "csv", "rows": 1}


def _audit_export(client, world):
    response = client.get("/admin/audit/export.csv?action=certificate")
    assert response.status_code == 200
    response.get_data()
    return "audit_log", "*", {"action": "certificate"}


ACTIONS = [
    ("user.create", ADMIN, _import_user),
    ("role_profile.update", ADMIN, _role_profile),
    ("lrs_client.create", ADMIN, _lrs_create),
    ("lrs_client.scopes", ADMIN, _lrs_scopes),
    ("lrs_client.deactivate", ADMIN, _lrs_deactivate),
    ("certificate.revoke", ADMIN, _revoke),
    ("certificate.export", MANAGER, _certificate_export),
    ("certificate.export", ADMIN, _certificate_export),
    ("signing_key.rotate", ADMIN, _rotate),
    ("assignment.create", MANAGER, _assign),
    ("assignment.withdraw", MANAGER, _withdraw),
    ("cohort.member_add", EDUCATOR, _add_member),
    ("cohort.member_remove", EDUCATOR, _remove_member),
    ("cohort.member_add", ADMIN, _add_member),
    ("export.unit_list", MANAGER, _unit_export),
    ("export.cohort_overview", EDUCATOR, _cohort_export),
    ("audit.export", ADMIN, _audit_export),
]


@pytest.mark.parametrize(
    ("action", "account", "act"),
    ACTIONS,
    ids=[f"{action}-{account[0].split('@')[0]}" for action, account, _ in ACTIONS],
)
def test_each_action_is_audited_with_who_what_when_and_where(
    client, auth, world, action, account, act
):
    auth.login(*account)
    client.environ_base["REMOTE_ADDR"] = ADDRESS
    before, last = datetime.now(UTC), _last_id()
    target_type, target_id, detail = act(client, world)
    (record,) = records(action, after=last)
    assert record.actor_id == user(account[0]).id
    assert (record.target_type, record.target_id) == (target_type, target_id)
    assert record.remote_addr == ADDRESS
    assert before - timedelta(seconds=1) <= record.at <= datetime.now(UTC)
    assert detail.items() <= record.detail.items()


def test_a_holder_downloading_their_own_certificate_is_not_audited(client, auth, world):
    auth.login(*LEARNER)
    url = f"/certificates/{world['certificate'].uuid}/credential.json"
    assert client.get(url).status_code == 200
    assert records("certificate.export") == []


def test_a_failed_import_writes_no_audit_record(client, auth, world):
    auth.login(*ADMIN)
    last = _last_id()
    body = "email,name,roles,organisation,unit\nbad,X,learner,Nowhere,Z\n"
    response = client.post(
        "/admin/users/import",
        data={"file": (io.BytesIO(body.encode()), "users.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert records(after=last) == []


def test_the_cli_import_is_audited_without_an_actor_or_address(app, world):
    from lms.operations.users import import_rows, parse_csv

    rows, errors = parse_csv(
        "email,name,roles,organisation,unit,job_role\n"
        "cli@example.org,Cli Person,learner,Odense Kommune,HJS,nurse\n"
    )
    assert not errors
    import_rows(rows)
    (record,) = records("user.create")
    assert record.actor_id is None and record.remote_addr is None


@pytest.fixture
def proxied_app(session_app, app):
    """The app behind one trusted reverse proxy, on the test database."""
    keys = (
        "TESTING",
        "WTF_CSRF_ENABLED",
        "LMS_BASE_URL",
        "SECRET_KEY",
        "PASSWORD_HASH_METHOD",
        "SQLALCHEMY_DATABASE_URI",
        "SQLALCHEMY_ENGINE_OPTIONS",
    )
    config = {key: session_app.config[key] for key in keys}
    behind = create_app({**config, "LMS_TRUSTED_PROXIES": 1})
    yield behind
    with behind.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("trusted", [True, False])
def test_the_address_is_the_clients_only_behind_a_trusted_proxy(
    app, proxied_app, world, trusted
):
    served = proxied_app if trusted else app
    client = served.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.0.0.2"
    client.post("/login", data={"email": ADMIN[0], "password": ADMIN[1]})
    response = client.get(
        "/admin/audit/export.csv", headers={"X-Forwarded-For": "203.0.113.9"}
    )
    assert response.status_code == 200
    response.get_data()
    (record,) = records("audit.export")
    assert record.remote_addr == ("203.0.113.9" if trusted else "10.0.0.2")


# --- Records never change -----------------------------------------------------------


@pytest.fixture
def record(app, demo) -> AuditRecord:
    """One committed audit record."""
    written = audit("certificate.revoke", "certificate", "abc", user(ADMIN[0]))
    db.session.commit()
    return written


def test_the_orm_refuses_to_change_a_record(record):
    record.action = "certificate.unrevoke"
    with pytest.raises(AuditRecordImmutable):
        db.session.commit()
    db.session.rollback()
    assert records()[0].action == "certificate.revoke"


def test_the_orm_refuses_to_delete_a_record(record):
    db.session.delete(record)
    with pytest.raises(AuditRecordImmutable):
        db.session.commit()
    db.session.rollback()
    assert len(records()) == 1


@pytest.mark.parametrize(
    "statement",
    [
        lambda: db.update(AuditRecord).values(action="x"),
        lambda: db.delete(AuditRecord),
        lambda: db.update(AuditRecord.__table__).values(action="x"),
        lambda: db.delete(AuditRecord.__table__).where(AuditRecord.id > 0),
    ],
)
def test_bulk_statements_through_the_session_are_refused(record, statement):
    with pytest.raises(AuditRecordImmutable):
        db.session.execute(statement())
    db.session.rollback()
    assert [r.action for r in records()] == ["certificate.revoke"]


def test_adding_records_still_works_after_a_refusal(record):
    record.detail = {"changed": True}
    with pytest.raises(AuditRecordImmutable):
        db.session.flush()
    db.session.rollback()
    audit("signing_key.rotate", "signing_key", "k1", None)
    db.session.commit()
    assert [r.action for r in records()] == ["certificate.revoke", "signing_key.rotate"]


@pytest.mark.postgres_only
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_records SET action = 'x'",
        "DELETE FROM audit_records",
    ],
)
def test_postgresql_refuses_changes_below_the_orm(record, sql):
    with pytest.raises(DBAPIError, match="append-only"):
        with db.engine.begin() as connection:
            connection.execute(text(sql))
    assert [r.action for r in records()] == ["certificate.revoke"]


def test_no_route_changes_or_deletes_audit_records(app):
    rules = [
        (rule.rule, sorted(rule.methods - {"HEAD", "OPTIONS"}))
        for rule in app.url_map.iter_rules()
        if "audit" in rule.rule or rule.endpoint.startswith("audit_log.")
    ]
    assert rules and all(methods == ["GET"] for _rule, methods in rules), rules
