"""Several workers at once, and a worker killed while it sends."""

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from lms.extensions import db
from lms.forwarding.worker import forward_due
from lms.models import ForwardingEndpoint, OutboxStatement
from lms.records import ingest
from tests.conftest import BASE_URL, POSTGRES_URL

CLIENT = {
    "objectType": "Agent",
    "account": {"homePage": "https://client.example", "name": "client-1"},
}
ROOT = Path(__file__).resolve().parents[3]


def _statements(count: int) -> list[dict]:
    return [
        {
            "id": str(uuid.uuid4()),
            "actor": {
                "objectType": "Agent",
                "account": {"homePage": "https://x.dk", "name": "a1"},
            },
            "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
            "object": {"id": f"http://example.org/activities/worker/{n}"},
        }
        for n in range(count)
    ]


def _outbox_size() -> int:
    return db.session.execute(
        db.select(db.func.count()).select_from(OutboxStatement)
    ).scalar_one()


def test_two_workers_never_send_one_endpoint_at_once(
    app, proxy, receiver, make_endpoint, monkeypatch
):
    """Each endpoint gets its statements once each, in order, one request at a
    time, while two workers (threads with their own sessions) share the work."""
    monkeypatch.setitem(app.config, "LMS_FORWARDING_BATCH_SIZE", 3)
    proxy.delay = 0.02
    prefixes = ["a", "b", "c", "d"]
    for prefix in prefixes:
        make_endpoint(proxy.url(prefix), key=receiver.key, secret=receiver.secret)
    batch = _statements(20)
    ingest(batch, CLIENT)
    db.session.commit()
    delivered = {"w1": 0, "w2": 0}
    errors: list[BaseException] = []

    def work(name: str) -> None:
        with app.app_context():
            deadline = time.monotonic() + 60
            try:
                while _outbox_size() and time.monotonic() < deadline:
                    delivered[name] += forward_due(name)
                    db.session.commit()
            except BaseException as error:  # surface thread failures in the test
                errors.append(error)
            db.session.remove()

    threads = [threading.Thread(target=work, args=(name,)) for name in delivered]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    expected = [s["id"] for s in batch]
    for prefix in prefixes:
        sent = [i for seen in proxy.posts(prefix) for i in seen.statement_ids]
        assert sent == expected, prefix
        assert proxy.most_in_flight[prefix] == 1, prefix
    assert sum(delivered.values()) == len(prefixes) * len(batch)
    assert _outbox_size() == 0
    assert receiver.stored_ids() == expected


def _database_url(app) -> str:
    """Return the URL a worker process needs to reach this test's database."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if not uri.startswith("postgresql"):
        return uri
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["options"]
    url = make_url(POSTGRES_URL).update_query_dict({"options": options})
    return url.render_as_string(hide_password=False)


def _worker(app, *args: str) -> subprocess.Popen:
    """Start `flask --app lms worker` on this test's database."""
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(app),
        "SECRET_KEY": app.config["SECRET_KEY"],
        "LMS_BASE_URL": BASE_URL,
        "LMS_FORWARDING_TIMEOUT": "2",
        "LMS_FORWARDING_LEASE_SECONDS": "6",
        "LMS_FORWARDING_BATCH_SIZE": "5",
    }
    flask = str(Path(sys.executable).with_name("flask"))
    return subprocess.Popen(
        [flask, "--app", "lms", "worker", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def test_a_worker_killed_while_sending_loses_and_duplicates_nothing(
    app, proxy, receiver, make_endpoint
):
    """A worker is killed (SIGKILL) after the receiver stored its batch but before
    it answered. Once the lease expires another worker sends that batch again,
    which the receiver ignores (same ids, same content), and then the rest."""
    endpoint = make_endpoint(proxy.url(), key=receiver.key, secret=receiver.secret)
    batch = _statements(12)
    ingest(batch, CLIENT)
    db.session.commit()
    proxy.stall_first = True
    first = _worker(app, "--once")
    try:
        assert proxy.stalled.wait(60), first.communicate(timeout=5)[0]
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        first.kill()
        first.stdout.close()
    expected = [s["id"] for s in batch]
    assert receiver.stored_ids() == expected[:5]  # stored, never confirmed
    second = _worker(app, "--idle", "0.2")
    try:
        deadline = time.monotonic() + 90
        while len(receiver.stored_ids()) < len(expected):
            assert time.monotonic() < deadline, "the second worker did not finish"
            assert second.poll() is None, second.stdout.read()
            time.sleep(0.2)
        while _outbox_size() and time.monotonic() < deadline:
            db.session.commit()
            time.sleep(0.2)
    finally:
        second.terminate()
        second.wait(timeout=10)
        second.stdout.close()
    assert receiver.stored_ids() == expected  # every statement exactly once
    posts = [seen.statement_ids for seen in proxy.posts()]
    assert posts[0] == posts[1] == expected[:5]  # the unconfirmed batch went twice
    assert [i for ids in posts[1:] for i in ids] == expected
    db.session.commit()
    assert _outbox_size() == 0
    endpoint = db.session.get(ForwardingEndpoint, endpoint.id)
    assert endpoint.sent_count == len(expected)


@pytest.mark.postgres_only
def test_deleting_an_endpoint_waits_for_a_storing_transaction(app, make_endpoint):
    """A statement stored while an admin deletes its endpoint neither fails on the
    foreign key nor leaves a queued row behind: the delete waits for the commit."""
    from lms.forwarding.operations import delete_endpoint

    endpoint_id = make_endpoint("https://one.example/xapi/").id
    ingest(_statements(2), CLIENT)  # holds KEY SHARE on the endpoint until commit
    errors: list[BaseException] = []

    def delete() -> None:
        with app.app_context():
            try:
                delete_endpoint(db.session.get(ForwardingEndpoint, endpoint_id), None)
            except BaseException as error:  # surface thread failures in the test
                errors.append(error)
            db.session.remove()

    thread = threading.Thread(target=delete)
    thread.start()
    thread.join(timeout=1.5)
    assert thread.is_alive()  # waiting for the storing transaction
    db.session.commit()
    thread.join(timeout=10)
    assert not thread.is_alive() and errors == []
    assert _outbox_size() == 0
    assert db.session.get(ForwardingEndpoint, endpoint_id) is None
