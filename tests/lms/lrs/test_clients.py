"""LRS client credentials: the CLI, the admin pages, the credential cache."""

import base64
import threading
import time
import uuid

import pytest

from lms.extensions import db
from lms.lrs import credentials, write
from lms.models import LRSClient, User
from lms.operations.progress import rebuild
from tests.conftest import BASE_URL
from tests.lms.journey import SLUG
from tests.lms.lrs.conftest import VERSION, basic, statement

ADMIN = ("admin@example.org", "admin-demo-2026")


def _client(key: str) -> LRSClient:
    return db.session.execute(db.select(LRSClient).filter_by(key=key)).scalar_one()


def test_cli_creates_a_client_with_default_scopes(runner, client):
    """Communication 4.2.s5.b2: "assume a requested scope of statements/write and
    statements/read/mine if no scope is specified"; the secret is printed once."""
    result = runner.invoke(args=["lrs", "create-client", "Region H"])
    assert result.exit_code == 0, result.output
    lines = dict(line.split(":", 1) for line in result.output.splitlines())
    key, secret = lines["key"].strip(), lines["secret"].strip()
    assert len(secret) >= 32
    row = _client(key)
    assert row.scopes == ["statements/write", "statements/read/mine"]
    assert row.authority == {
        "objectType": "Agent",
        "account": {"homePage": BASE_URL, "name": f"client/{key}"},
    }
    assert secret not in row.secret_hash
    headers = {**VERSION, "Authorization": basic(key, secret)}
    assert client.get("/xapi/statements", headers=headers).status_code == 200


def test_cli_takes_key_secret_and_scopes(runner):
    """The CLI sets the key, the secret and several scopes as given."""
    result = runner.invoke(
        args=[
            "lrs", "create-client", "Analytics", "--key", "analytics",
            "--secret", "a-long-enough-secret", "--scope", "all/read",
            "--scope", "state",
        ]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert _client("analytics").scopes == ["state", "all/read"]
    assert _client("analytics").check_secret("a-long-enough-secret")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--key", "has:colon"], "key"),
        (["--secret", "short"], "secret"),
        (["--scope", "statements/delete"], "statements/delete"),
    ],
)
def test_cli_refuses_bad_input(runner, args, message):
    """A bad key, a short secret or an unknown scope is refused with a message."""
    result = runner.invoke(args=["lrs", "create-client", "X", *args])
    assert result.exit_code != 0
    assert message in result.output


def test_cli_refuses_a_taken_key(runner):
    """Keys are unique."""
    args = ["lrs", "create-client", "X", "--key", "same-key"]
    assert runner.invoke(args=args).exit_code == 0
    result = runner.invoke(args=args)
    assert result.exit_code == 1 and "taken" in result.output


def test_credential_checks_are_cached(client, make_client, monkeypatch):
    """Credential checks are cached, so ingestion does not pay for password hashing
    on every request: the hash is checked once for many requests."""
    headers = make_client("all")
    calls = []
    original = LRSClient.check_secret

    def counting(self, secret):
        calls.append(secret)
        return original(self, secret)

    monkeypatch.setattr(LRSClient, "check_secret", counting)
    for _ in range(5):
        assert client.get("/xapi/statements", headers=headers).status_code == 200
    assert len(calls) == 1


def test_the_cache_expires(client, app, make_client, monkeypatch):
    """A cached check lasts LRS_CREDENTIAL_CACHE_SECONDS, then the hash is checked
    again (so other processes notice a deactivation)."""
    headers = make_client("all")
    assert client.get("/xapi/statements", headers=headers).status_code == 200
    now = credentials.time.monotonic()
    monkeypatch.setattr(credentials.time, "monotonic", lambda: now + 3600)
    row = db.session.execute(db.select(LRSClient)).scalar_one()
    row.active = False  # changed behind the app's back, as by another process
    db.session.commit()
    assert client.get("/xapi/statements", headers=headers).status_code == 401


def test_concurrent_requests_with_unremembered_credentials_hash_once(
    app, make_client, monkeypatch
):
    """When a busy client's cache entry has expired, its concurrent requests wait
    for one check instead of each paying for the hash."""
    headers = make_client("all")
    key, secret = (
        base64.b64decode(headers["Authorization"].split()[1]).decode().split(":", 1)
    )
    calls = []
    real = credentials._check

    def slow_check(k, s):
        calls.append(k)
        time.sleep(0.2)
        return real(k, s)

    monkeypatch.setattr(credentials, "_check", slow_check)
    credentials.invalidate()
    found = []

    def check():
        with app.app_context():
            found.append(credentials.authenticate(key, secret))

    threads = [threading.Thread(target=check) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(calls) == 1
    assert len(found) == 6
    assert all(client is not None and client.key == key for client in found)
    assert credentials._checks == {}


def test_a_request_holds_no_connection_while_it_waits_for_its_round(
    app, make_client, monkeypatch
):
    """A POST that read its credentials from the database gives the connection
    back before it queues for a shared round; else queued requests could hold
    every pooled connection while the round's leader waits for one."""
    headers = make_client("all")
    credentials.invalidate()
    holding = []
    real = write.GROUPS.store

    def joining(*args, **kwargs):
        holding.append(db.session().in_transaction())
        return real(*args, **kwargs)

    monkeypatch.setattr(write.GROUPS, "store", joining)
    client = app.test_client()
    answer = client.post("/xapi/statements", json=statement(), headers=headers)
    assert answer.status_code == 200
    assert holding == [False]


# --- Admin pages ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "password", "status"),
    [
        (None, None, 302),
        ("learner@example.org", "learner-demo-2026", 403),
        ("educator@example.org", "educator-demo-2026", 403),
        ("manager@example.org", "manager-demo-2026", 403),
        (*ADMIN, 200),
    ],
)
def test_only_admins_see_lrs_clients(client, auth, demo, email, password, status):
    """LRS credentials are managed by admins only (DESIGN: admin manages "LRS
    credentials"); the check is on the server for every request."""
    if email:
        auth.login(email, password)
    assert client.get("/admin/lrs/clients").status_code == status
    created = client.post("/admin/lrs/clients", data={"name": "X", "scopes": ["all"]})
    assert created.status_code == (200 if status == 200 else status)


def test_admin_creates_a_client_and_sees_the_secret_once(client, auth, demo):
    """The created page shows the secret once; the list never shows it."""
    auth.login(*ADMIN)
    response = client.post(
        "/admin/lrs/clients",
        data={"name": "Region H", "key": "region-h", "scopes": ["statements/write"]},
    )
    assert response.status_code == 200
    row = _client("region-h")
    page = response.get_data(as_text=True)
    secret = page.split("<dt>", 5)[4].split("<code>")[1].split("</code>")[0]
    assert row.check_secret(secret)
    assert secret not in client.get("/admin/lrs/clients").get_data(as_text=True)
    assert row.scopes == ["statements/write"]


@pytest.mark.parametrize(
    ("data", "field_error"),
    [
        ({"name": "", "scopes": ["all"]}, "name"),
        ({"name": "X"}, "scopes"),
        ({"name": "X", "key": "bad key", "scopes": ["all"]}, "key"),
    ],
)
def test_admin_form_errors_are_400_and_keep_the_input(
    client, auth, demo, data, field_error
):
    """Bad input gets a 400 with a message at the field, keeping what was typed."""
    auth.login(*ADMIN)
    response = client.post("/admin/lrs/clients", data=data)
    assert response.status_code == 400
    assert f'id="{field_error}-error"' in response.get_data(as_text=True)
    assert db.session.execute(db.select(LRSClient)).first() is None


def test_admin_changes_scopes_and_deactivates(client, auth, demo, runner):
    """Changing scopes and deactivating take effect on the next request."""
    args = ["--key", "kx1", "--secret", "secret-secret-secret", "--scope", "all"]
    result = runner.invoke(args=["lrs", "create-client", "X", *args])
    assert result.exit_code == 0
    headers = {**VERSION, "Authorization": basic("kx1", "secret-secret-secret")}
    assert client.get("/xapi/statements", headers=headers).status_code == 200
    auth.login(*ADMIN)
    row = _client("kx1")
    page = client.get(f"/admin/lrs/clients/{row.id}")
    assert page.status_code == 200
    saved = client.post(
        f"/admin/lrs/clients/{row.id}", data={"scopes": ["statements/write"]}
    )
    assert saved.status_code == 302
    assert client.get("/xapi/statements", headers=headers).status_code == 403
    client.post(f"/admin/lrs/clients/{row.id}/active")
    assert client.get("/xapi/statements", headers=headers).status_code == 401
    assert not _client("kx1").active
    assert client.get("/admin/lrs/clients/999999").status_code == 404


# --- Statements from outside count (issue 3, item 6) ---------------------------------


def test_a_statement_posted_by_a_client_updates_progress(
    client, auth, demo, make_client
):
    """A statement posted by an LRS client about a known learner and a known
    activity updates progress like our own, and `progress rebuild --check` stays
    exact; voiding it over HTTP undoes it."""
    from lms.models import Enrolment

    auth.login()
    client.post(f"/learn/modules/{SLUG}/enrol")
    auth.logout()
    enrolment = db.session.execute(db.select(Enrolment)).scalar_one()
    learner = db.session.execute(
        db.select(User).filter_by(email="learner@example.org")
    ).scalar_one()
    headers = make_client("statements/write")
    read = {
        "id": str(uuid.uuid4()),
        "actor": {
            "objectType": "Agent",
            "account": {"homePage": BASE_URL, "name": learner.uuid},
        },
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"id": f"{BASE_URL}/xapi/activities/module/{SLUG}/lesson/when-video"},
        "context": {"registration": enrolment.uuid},
    }
    response = client.post("/xapi/statements", json=read, headers=headers)
    assert response.status_code == 200
    db.session.expire_all()
    assert enrolment.progress_percent > 0
    assert rebuild(check=True) == []
    void = {
        "actor": {"objectType": "Agent", "mbox": "mailto:ops@example.org"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
        "object": {"objectType": "StatementRef", "id": read["id"]},
    }
    assert (
        client.post("/xapi/statements", json=void, headers=headers).status_code == 200
    )
    db.session.expire_all()
    assert enrolment.progress_percent == 0
    assert rebuild(check=True) == []
