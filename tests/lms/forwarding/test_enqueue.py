"""Every newly stored statement is queued per active endpoint, in its transaction."""

import base64
import uuid

import orjson

from lms.extensions import db
from lms.models import Enrolment, OutboxStatement
from lms.operations.lrs_clients import create_client
from lms.operations.progress import rebuild
from lms.records import ingest
from tests.lms.journey import SLUG

CLIENT = {
    "objectType": "Agent",
    "account": {"homePage": "https://client.example", "name": "client-1"},
}


def _statement(statement_id: str | None = None) -> dict:
    return {
        "id": statement_id or str(uuid.uuid4()),
        "actor": {
            "objectType": "Agent",
            "account": {"homePage": "https://x.dk", "name": "a1"},
        },
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": {"id": "http://example.org/activities/forwarding"},
    }


def _queued(endpoint_id: int | None = None) -> list[str]:
    query = db.select(OutboxStatement.statement_id).order_by(OutboxStatement.id)
    if endpoint_id is not None:
        query = query.where(OutboxStatement.endpoint_id == endpoint_id)
    return list(db.session.execute(query).scalars())


def test_ingested_statements_are_queued_for_each_active_endpoint(make_endpoint):
    first = make_endpoint("https://one.example/xapi/")
    second = make_endpoint("https://two.example/xapi/")
    batch = [_statement() for _ in range(3)]
    ingest(batch, CLIENT)
    db.session.commit()
    ids = [s["id"] for s in batch]
    assert _queued(first.id) == ids
    assert _queued(second.id) == ids


def test_a_rolled_back_store_queues_nothing(make_endpoint):
    make_endpoint("https://one.example/xapi/")
    ingest([_statement()], CLIENT)
    assert len(_queued()) == 1  # inside the transaction
    db.session.rollback()
    assert _queued() == []


def test_a_repeated_statement_is_queued_once(make_endpoint):
    """Communication 2.1.2 s2 b4: the LRS "MUST NOT make any modifications to its
    state based on receiving a Statement with an id that it already has"."""
    make_endpoint("https://one.example/xapi/")
    same = _statement()
    ingest([same], CLIENT)
    db.session.commit()
    ingest([same, _statement()], CLIENT)
    db.session.commit()
    assert len(_queued()) == 2
    assert _queued()[0] == same["id"]


def test_nothing_is_queued_without_an_active_endpoint(make_endpoint):
    from lms.forwarding.operations import set_active

    endpoint = make_endpoint("https://one.example/xapi/")
    set_active(endpoint, False, None)
    ingest([_statement()], CLIENT)
    db.session.commit()
    assert _queued() == []


def test_statements_posted_over_xapi_are_queued_and_a_failed_batch_is_not(
    client, make_endpoint
):
    make_endpoint("https://one.example/xapi/")
    key, secret = "poster", "p" * 20
    create_client("Poster", key=key, secret=secret, scopes=("statements/write",))
    headers = {
        "X-Experience-API-Version": "1.0.3",
        "Authorization": "Basic "
        + base64.b64encode(f"{key}:{secret}".encode()).decode(),
        "Content-Type": "application/json",
    }
    good = [_statement(), _statement()]
    response = client.post("/xapi/statements", data=orjson.dumps(good), headers=headers)
    assert response.status_code == 200, response.data
    # One bad statement rejects the whole batch (400), and nothing is queued.
    bad = [_statement(), {**_statement(), "verb": {}}]
    response = client.post("/xapi/statements", data=orjson.dumps(bad), headers=headers)
    assert response.status_code == 400
    # Sending the first batch again is a no-op (200) and queues nothing more.
    response = client.post("/xapi/statements", data=orjson.dumps(good), headers=headers)
    assert response.status_code == 200
    assert _queued() == [s["id"] for s in good]


def test_our_own_statements_are_queued_in_store_order(
    client, auth, demo, make_endpoint
):
    from xapi.store import statements

    endpoint = make_endpoint("https://one.example/xapi/")
    auth.login()
    assert client.post(f"/learn/modules/{SLUG}/enrol").status_code == 302
    enrolment = db.session.execute(db.select(Enrolment)).scalar_one()
    stored = list(
        db.session.execute(
            db.select(statements.c.statement_id).order_by(statements.c.seq)
        ).scalars()
    )
    assert stored and _queued(endpoint.id) == stored
    assert enrolment.uuid  # the registration statement was ours
    assert rebuild(check=True) == []
