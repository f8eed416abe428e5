"""The forwarding admin pages: endpoints, backlog, errors, and who may use them."""

from datetime import UTC, datetime, timedelta

import pytest

from lms.extensions import db
from lms.forwarding.crypto import decrypt_secret
from lms.forwarding.worker import forward_due
from lms.models import AuditRecord, ForwardingEndpoint, OutboxStatement
from lms.records import ingest
from tests.lms.forwarding.conftest import free_port, statement

OBJECT = "http://example.org/activities/admin"

ADMIN = ("admin@example.org", "admin-demo-2026")
OTHERS = {
    "learner": ("learner@example.org", "learner-demo-2026"),
    "educator": ("educator@example.org", "educator-demo-2026"),
    "manager": ("manager@example.org", "manager-demo-2026"),
}
CLIENT = {
    "objectType": "Agent",
    "account": {"homePage": "https://client.example", "name": "client-1"},
}
SECRET = "very-secret-password-42"
FORM = {
    "name": "Region H LRS",
    "url": "https://lrs.regionh.example/xapi",
    "username": "lms-sender",
    "secret": SECRET,
}


def _actions() -> list[str]:
    query = db.select(AuditRecord.action).order_by(AuditRecord.id)
    return list(db.session.execute(query).scalars())


@pytest.fixture
def endpoint(make_endpoint):
    """An endpoint with two statements waiting and a recorded failure."""
    found = make_endpoint("https://lrs.example/xapi/", name="Kommune LRS")
    ingest([statement(OBJECT), statement(OBJECT)], CLIENT)
    found.last_error = "HTTP 503 Service Unavailable: down for maintenance"
    found.last_error_at = datetime.now(UTC)
    found.consecutive_failures = 3
    found.next_attempt_at = datetime.now(UTC) + timedelta(minutes=5)
    db.session.commit()
    return found


def _urls(endpoint_id: int) -> list[tuple[str, str]]:
    return [
        ("GET", "/admin/forwarding/"),
        ("GET", "/admin/forwarding/new"),
        ("POST", "/admin/forwarding/new"),
        ("GET", f"/admin/forwarding/{endpoint_id}"),
        ("POST", f"/admin/forwarding/{endpoint_id}"),
        ("POST", f"/admin/forwarding/{endpoint_id}/retry"),
        ("POST", f"/admin/forwarding/{endpoint_id}/requeue"),
        ("POST", f"/admin/forwarding/{endpoint_id}/active"),
        ("POST", f"/admin/forwarding/{endpoint_id}/test"),
        ("POST", f"/admin/forwarding/{endpoint_id}/backfill"),
        ("GET", f"/admin/forwarding/{endpoint_id}/delete"),
        ("POST", f"/admin/forwarding/{endpoint_id}/delete"),
    ]


@pytest.mark.parametrize("role", sorted(OTHERS))
def test_other_roles_get_403_everywhere(client, auth, demo, endpoint, role):
    auth.login(*OTHERS[role])
    for method, url in _urls(endpoint.id):
        response = client.open(url, method=method, data=FORM)
        assert response.status_code == 403, (role, method, url)
    assert db.session.get(ForwardingEndpoint, endpoint.id) is not None
    assert _actions() == ["forwarding_endpoint.create"]


def test_anonymous_is_sent_to_the_login_page(client, demo, endpoint):
    for method, url in _urls(endpoint.id):
        response = client.open(url, method=method, data=FORM)
        assert response.status_code == 302, (method, url)
        assert "/login" in response.headers["Location"]


def test_the_list_shows_backlog_and_last_error(client, auth, demo, endpoint):
    auth.login(*ADMIN)
    page = client.get("/admin/forwarding/").get_data(as_text=True)
    assert "Kommune LRS" in page
    assert "<td>2</td>" in page  # waiting
    assert "down for maintenance" in page
    detail = client.get(f"/admin/forwarding/{endpoint.id}").get_data(as_text=True)
    assert "down for maintenance" in detail and "<dd>2</dd>" in detail


def test_an_admin_adds_an_endpoint_whose_secret_is_never_shown(client, auth, demo):
    auth.login(*ADMIN)
    response = client.post("/admin/forwarding/new", data=FORM)
    assert response.status_code == 302
    endpoint = db.session.execute(db.select(ForwardingEndpoint)).scalar_one()
    assert endpoint.url == "https://lrs.regionh.example/xapi/"
    assert SECRET not in endpoint.secret_encrypted
    assert decrypt_secret(endpoint.secret_encrypted) == SECRET
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert SECRET not in page and endpoint.secret_encrypted not in page
    record = db.session.execute(db.select(AuditRecord)).scalar_one()
    assert record.action == "forwarding_endpoint.create"
    assert SECRET not in str(record.detail)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"url": "ftp://lrs.example/xapi/"}, "url", "http:// or https://"),
        ({"url": "not a url"}, "url", "http:// or https://"),
        ({"url": "https://u:p@lrs.example/xapi/"}, "url", "not in the URL"),
        ({"url": "https://lrs.example/xapi/?x=1"}, "url", "query"),
        ({"url": ""}, "url", "Enter the endpoint URL"),
        ({"name": ""}, "name", "Enter a name"),
        ({"username": "a:b"}, "username", "colon"),
        ({"secret": ""}, "secret", "Enter the secret"),
    ],
)
def test_bad_input_names_the_field(client, auth, demo, change, field, message):
    auth.login(*ADMIN)
    response = client.post("/admin/forwarding/new?lang=en", data={**FORM, **change})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page
    error = page.split(f'id="{field}-error">', 1)[1].split("</p>", 1)[0]
    assert message in error
    assert db.session.execute(db.select(ForwardingEndpoint)).first() is None


def test_a_taken_name_is_refused_at_the_name(client, auth, demo, endpoint):
    auth.login(*ADMIN)
    response = client.post(
        "/admin/forwarding/new", data={**FORM, "name": "Kommune LRS"}
    )
    assert response.status_code == 400
    assert 'id="name-error">Et andet endpoint har allerede dette navn.' in response.text


def test_editing_keeps_the_secret_unless_a_new_one_is_given(
    client, auth, demo, endpoint
):
    auth.login(*ADMIN)
    old = decrypt_secret(endpoint.secret_encrypted)
    data = {"name": "Kommune LRS 2", "url": "https://lrs.example/v2/", "username": "u2"}
    assert (
        client.post(
            f"/admin/forwarding/{endpoint.id}", data={**data, "secret": ""}
        ).status_code
        == 302
    )
    endpoint = db.session.get(ForwardingEndpoint, endpoint.id)
    assert (endpoint.name, endpoint.url, endpoint.username) == (
        "Kommune LRS 2",
        "https://lrs.example/v2/",
        "u2",
    )
    assert decrypt_secret(endpoint.secret_encrypted) == old
    client.post(
        f"/admin/forwarding/{endpoint.id}", data={**data, "secret": "new-secret"}
    )
    endpoint = db.session.get(ForwardingEndpoint, endpoint.id)
    assert decrypt_secret(endpoint.secret_encrypted) == "new-secret"
    assert _actions().count("forwarding_endpoint.update") == 2


def test_retry_now_clears_the_backoff_and_the_worker_sends(
    client, auth, demo, receiver, make_endpoint
):
    endpoint = make_endpoint(receiver.url, key=receiver.key, secret=receiver.secret)
    ingest([statement(OBJECT)], CLIENT)
    endpoint.next_attempt_at = datetime.now(UTC) + timedelta(hours=1)
    endpoint.consecutive_failures = 7
    db.session.commit()
    assert forward_due("w1") == 0  # backing off
    auth.login(*ADMIN)
    assert client.post(f"/admin/forwarding/{endpoint.id}/retry").status_code == 302
    endpoint = db.session.get(ForwardingEndpoint, endpoint.id)
    assert endpoint.next_attempt_at is None and endpoint.consecutive_failures == 0
    assert forward_due("w1") == 1
    assert "forwarding_endpoint.retry" in _actions()


def test_deactivate_reactivate_and_requeue(client, auth, demo, endpoint):
    auth.login(*ADMIN)
    client.post(f"/admin/forwarding/{endpoint.id}/active")
    assert db.session.get(ForwardingEndpoint, endpoint.id).active is False
    ingest([statement(OBJECT)], CLIENT)  # not queued while deactivated
    db.session.commit()
    assert (
        db.session.execute(db.select(db.func.count(OutboxStatement.id))).scalar() == 2
    )
    client.post(f"/admin/forwarding/{endpoint.id}/active")
    assert db.session.get(ForwardingEndpoint, endpoint.id).active is True
    db.session.execute(db.update(OutboxStatement).values(failed_at=datetime.now(UTC)))
    db.session.commit()
    page = client.get(f"/admin/forwarding/{endpoint.id}").get_data(as_text=True)
    assert "requeue" in page
    client.post(f"/admin/forwarding/{endpoint.id}/requeue")
    assert (
        db.session.execute(
            db.select(db.func.count()).where(OutboxStatement.failed_at.is_(None))
        ).scalar()
        == 2
    )
    assert _actions()[1:] == [
        "forwarding_endpoint.deactivate",
        "forwarding_endpoint.activate",
        "forwarding_endpoint.requeue",
    ]


def test_delete_asks_first_then_removes_the_queue(client, auth, demo, endpoint):
    auth.login(*ADMIN)
    confirm = client.get(f"/admin/forwarding/{endpoint.id}/delete")
    assert confirm.status_code == 200
    assert db.session.get(ForwardingEndpoint, endpoint.id) is not None
    response = client.post(f"/admin/forwarding/{endpoint.id}/delete")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.execute(db.select(ForwardingEndpoint)).first() is None
    assert db.session.execute(db.select(OutboxStatement)).first() is None
    record = db.session.execute(
        db.select(AuditRecord).filter_by(action="forwarding_endpoint.delete")
    ).scalar_one()
    assert record.detail["unsent"] == 2


def test_test_connection_reports_the_answer(
    client, auth, demo, receiver, make_endpoint
):
    good = make_endpoint(receiver.url, key=receiver.key, secret=receiver.secret)
    dead = make_endpoint(f"http://127.0.0.1:{free_port()}/xapi/")
    auth.login(*ADMIN)
    page = client.post(
        f"/admin/forwarding/{good.id}/test?lang=en", follow_redirects=True
    ).get_data(as_text=True)
    assert "The endpoint answered" in page and "1.0.3" in page
    page = client.post(
        f"/admin/forwarding/{dead.id}/test", follow_redirects=True
    ).get_data(as_text=True)
    assert "connection refused" in page
    assert _actions().count("forwarding_endpoint.test") == 2
