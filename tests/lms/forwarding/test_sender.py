"""The worker sends the outbox to a second, real instance of the app, in order."""

import base64
import hashlib
import logging
import socket
import time
import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from tincan import Activity, Agent, Statement, Verb

from lms.extensions import db
from lms.forwarding.client import describe_response
from lms.forwarding.operations import requeue_failed
from lms.forwarding.worker import backoff, forward_due
from lms.models import ForwardingEndpoint, OutboxStatement
from lms.operations.lrs_clients import create_client
from lms.records import ingest
from tests.lms.forwarding.conftest import CLIENT_TIMEOUT, Proxy, free_port, statement
from tests.lms.journey import do_learner_part
from xapi.store import statements

CLIENT = {
    "objectType": "Agent",
    "account": {"homePage": "https://client.example", "name": "client-1"},
}
TEXT = b"an attachment forwarded with its statement"


def _statement(n: int = 0, **extra) -> dict:
    return statement(
        f"http://example.org/activities/forwarding/{n}",
        # tincan would rewrite it as PT01M30S
        **{"result": {"duration": "PT1M30S"}, **extra},
    )


def _ours() -> list[dict]:
    query = db.select(statements.c.payload).order_by(statements.c.seq)
    return [orjson.loads(p) for p in db.session.execute(query).scalars()]


def _pending() -> list[str]:
    query = (
        db.select(OutboxStatement.statement_id)
        .where(OutboxStatement.failed_at.is_(None))
        .order_by(OutboxStatement.id)
    )
    return list(db.session.execute(query).scalars())


def _without_receiver_fields(statement: dict) -> dict:
    """Drop what every LRS sets itself: stored, and the authority of its client."""
    return {k: v for k, v in statement.items() if k not in ("stored", "authority")}


def _post_with_attachment(client) -> str:
    """POST a statement with an attachment to our LRS as a client would."""
    key, secret = "attacher", "a" * 20
    create_client("Attacher", key=key, secret=secret, scopes=("statements/write",))
    sha2 = hashlib.sha256(TEXT).hexdigest()
    sent = _statement(
        attachments=[
            {
                "usageType": "http://example.com/attachment-usage/test",
                "display": {"en-US": "A test attachment"},
                "contentType": "text/plain",
                "length": len(TEXT),
                "sha2": sha2,
            }
        ]
    )
    boundary = "b0undary"
    body = b"".join(
        [
            f"--{boundary}\r\nContent-Type: application/json\r\n\r\n".encode(),
            orjson.dumps(sent),
            (
                f"\r\n--{boundary}\r\nContent-Type: text/plain\r\n"
                "Content-Transfer-Encoding: binary\r\n"
                f"X-Experience-API-Hash: {sha2}\r\n\r\n"
            ).encode(),
            TEXT,
            f"\r\n--{boundary}--".encode(),
        ]
    )
    response = client.post(
        "/xapi/statements",
        data=body,
        headers={
            "X-Experience-API-Version": "1.0.3",
            "Authorization": "Basic "
            + base64.b64encode(f"{key}:{secret}".encode()).decode(),
            "Content-Type": f'multipart/mixed; boundary="{boundary}"',
        },
    )
    assert response.status_code == 200, response.data
    return sha2


def test_every_statement_arrives_identical_and_in_order(
    app, client, auth, demo, receiver, receiving_endpoint, monkeypatch
):
    """Our own statements and those of LRS clients, attachments included, reach a
    second instance of the app; TinCanPython reads them back there."""
    monkeypatch.setitem(app.config, "LMS_FORWARDING_BATCH_SIZE", 7)
    auth.login()
    do_learner_part(client)
    ingest([_statement(n) for n in range(5)], CLIENT)
    db.session.commit()
    sha2 = _post_with_attachment(client)
    ours = _ours()
    assert len(ours) > 14  # several batches
    assert forward_due("w1", drain=True) == len(ours)
    theirs = receiver.statements_in_order()
    assert [s["id"] for s in theirs] == [s["id"] for s in ours]
    for mine, got in zip(ours, theirs, strict=True):
        assert _without_receiver_fields(got) == _without_receiver_fields(mine)
    assert receiver.attachment(sha2) == TEXT
    assert _pending() == []
    endpoint = db.session.get(ForwardingEndpoint, receiving_endpoint.id)
    assert endpoint.sent_count == len(ours) and endpoint.last_success_at is not None
    assert endpoint.locked_by is None
    assert forward_due("w1", drain=True) == 0  # nothing is sent twice


def test_a_hung_lrs_does_not_hang_the_worker(
    app, make_endpoint, silent_server, monkeypatch
):
    monkeypatch.setitem(app.config, "LMS_FORWARDING_TIMEOUT", 1.0)
    endpoint = make_endpoint(silent_server.url)
    ingest([_statement()], CLIENT)
    db.session.commit()
    started, before = time.monotonic(), datetime.now(UTC)
    assert forward_due("w1", drain=True) == 0
    assert time.monotonic() - started < 5
    endpoint = db.session.get(ForwardingEndpoint, endpoint.id)
    assert endpoint.last_error == "no answer within 1 seconds"
    assert endpoint.consecutive_failures == 1
    assert endpoint.next_attempt_at >= before + backoff(1)
    assert endpoint.locked_by is None
    assert len(_pending()) == 1
    started = time.monotonic()
    assert forward_due("w1") == 0  # backing off: no new request
    assert time.monotonic() - started < 0.9


def test_a_receiver_that_was_down_gets_everything_in_order(receiver, make_endpoint):
    proxy = Proxy(target_port=receiver.port, port=free_port())  # down: not listening
    endpoint = make_endpoint(proxy.url(), key=receiver.key, secret=receiver.secret)
    first = [_statement(n) for n in range(3)]
    ingest(first, CLIENT)
    db.session.commit()
    t0 = datetime.now(UTC)
    assert forward_due("w1", now=t0) == 0
    endpoint = db.session.get(ForwardingEndpoint, endpoint.id)
    assert endpoint.last_error == "connection refused"
    assert endpoint.next_attempt_at == t0 + backoff(1)
    later = [_statement(n) for n in range(3, 5)]
    ingest(later, CLIENT)  # a learner is never blocked by it
    db.session.commit()
    assert forward_due("w1", now=t0 + timedelta(seconds=6)) == 0
    endpoint = db.session.get(ForwardingEndpoint, endpoint.id)
    assert endpoint.consecutive_failures == 2
    assert endpoint.next_attempt_at == t0 + timedelta(seconds=6) + backoff(2)
    assert backoff(2) == 2 * backoff(1) and backoff(40) == timedelta(minutes=10)
    proxy.start()
    try:
        assert forward_due("w1", now=t0 + timedelta(seconds=10)) == 0  # still waiting
        assert proxy.posts() == []
        assert forward_due("w1", now=t0 + timedelta(seconds=17), drain=True) == 5
    finally:
        proxy.stop()
    expected = [s["id"] for s in first + later]
    assert receiver.stored_ids() == expected
    assert [s.statement_ids for s in proxy.posts()] == [expected]
    endpoint = db.session.get(ForwardingEndpoint, endpoint.id)
    assert endpoint.consecutive_failures == 0 and endpoint.next_attempt_at is None


def _store_at_receiver(receiver, statement_id: str) -> None:
    """Store a statement with this id, and other content, at the receiver."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(CLIENT_TIMEOUT)
    try:
        saved = receiver.remote().save_statement(
            Statement(
                id=statement_id,
                actor=Agent(mbox="mailto:someone@example.org"),
                verb=Verb(id="http://adlnet.gov/expapi/verbs/attempted"),
                object=Activity(id="http://example.org/activities/other"),
            )
        )
    finally:
        socket.setdefaulttimeout(previous)
    assert saved.success, saved.data


def test_a_refused_statement_is_set_aside_and_the_rest_go_on(
    receiver, receiving_endpoint
):
    """The receiver answers 409 for an id it holds with other content (Communication
    2.1.2 s2 b5); after a few refusals the batch goes one by one, the refused
    statement is set aside, visible, and the others are delivered in order."""
    batch = [_statement(n) for n in range(4)]
    _store_at_receiver(receiver, batch[1]["id"])
    ingest(batch, CLIENT)
    db.session.commit()
    t0 = datetime.now(UTC)
    rounds = [t0 + timedelta(seconds=s) for s in (0, 6, 20, 30)]
    assert [forward_due("w1", now=t, drain=True) for t in rounds] == [0, 0, 1, 2]
    ids = [s["id"] for s in batch]
    assert receiver.stored_ids() == [ids[1], ids[0], ids[2], ids[3]]
    [refused] = db.session.execute(db.select(OutboxStatement)).scalars().all()
    assert refused.statement_id == ids[1] and refused.failed_at is not None
    assert refused.last_error.startswith("HTTP 409")
    endpoint = db.session.get(ForwardingEndpoint, receiving_endpoint.id)
    assert (
        f"statement {ids[1]} was refused 4 times and set aside" in endpoint.last_error
    )
    assert endpoint.next_attempt_at is None
    # An admin queues it again; it is tried anew (and refused anew here).
    assert requeue_failed(endpoint, None) == 1
    assert _pending() == [ids[1]]


def test_secrets_stay_out_of_errors_and_logs(app, receiver, make_endpoint, caplog):
    secret = "wrong-secret-" + uuid.uuid4().hex
    endpoint = make_endpoint(receiver.url, key=receiver.key, secret=secret)
    assert secret not in endpoint.secret_encrypted
    ingest([_statement()], CLIENT)
    db.session.commit()
    with caplog.at_level(logging.DEBUG):
        assert forward_due("w1") == 0
    endpoint = db.session.get(ForwardingEndpoint, endpoint.id)
    assert endpoint.last_error.startswith("HTTP 401")
    assert secret not in caplog.text and secret not in endpoint.last_error
    encoded = base64.b64encode(f"{receiver.key}:{secret}".encode()).decode()
    assert encoded not in caplog.text


def test_a_changed_secret_key_is_reported_not_raised(app, make_endpoint, monkeypatch):
    endpoint = make_endpoint("http://127.0.0.1:9/xapi/")
    ingest([_statement()], CLIENT)
    db.session.commit()
    monkeypatch.setitem(app.config, "SECRET_KEY", "another-secret-key")
    assert forward_due("w1") == 0
    endpoint = db.session.get(ForwardingEndpoint, endpoint.id)
    assert "cannot be decrypted" in endpoint.last_error
    assert endpoint.consecutive_failures == 1


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (
            b'{"error": "bad mbox \'mailto:jane@example.org\' here"}',
            "HTTP 400 Bad: bad mbox '…' here",
        ),
        (b"plain text from jane@example.org", "HTTP 400 Bad: plain text from [e-mail]"),
        (b"", "HTTP 400 Bad"),
    ],
)
def test_an_answer_is_described_without_personal_data(answer, expected):
    assert describe_response(400, "Bad", answer) == expected


def test_the_worker_command_forwards(runner, receiver, receiving_endpoint):
    ingest([_statement(n) for n in range(3)], CLIENT)
    db.session.commit()
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "3 statement(s) forwarded" in result.output
    assert len(receiver.stored_ids()) == 3


def test_the_worker_loop_forwards_beside_the_jobs(app, receiver, receiving_endpoint):
    from lms.jobs import run_forever

    ingest([_statement()], CLIENT)
    db.session.commit()
    run_forever("w1", idle_seconds=0, max_loops=1, also=(forward_due,))
    assert len(receiver.stored_ids()) == 1
    assert _pending() == []
