"""Statements from outside count like our own, and voiding undoes their effect."""

import uuid

import pytest
from sqlalchemy import event

from lms import records
from lms.extensions import db
from lms.forwarding.operations import create_endpoint
from lms.models import Enrolment, OutboxStatement, User
from lms.operations.progress import rebuild
from lms.records import ingest
from tests.conftest import BASE_URL
from tests.lms.journey import SLUG
from xapi.documents import get_activity
from xapi.errors import ConflictError
from xapi.store import get_statement

CLIENT = {
    "objectType": "Agent",
    "account": {"homePage": "https://client.example", "name": "client-1"},
}


def _enrolment(client, auth) -> Enrolment:
    auth.login()
    client.post(f"/learn/modules/{SLUG}/enrol")
    return db.session.execute(db.select(Enrolment)).scalar_one()


def _lesson_read(user_uuid: str, registration: str, statement_id: str) -> dict:
    return {
        "id": statement_id,
        "actor": {
            "objectType": "Agent",
            "account": {"homePage": BASE_URL, "name": user_uuid},
        },
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"id": f"{BASE_URL}/xapi/activities/module/{SLUG}/lesson/when-video"},
        "context": {"registration": registration},
    }


def test_an_outside_statement_about_a_learner_updates_progress(client, auth, demo):
    enrolment = _enrolment(client, auth)
    learner = db.session.execute(
        db.select(User).filter_by(email="learner@example.org")
    ).scalar_one()
    ingest([_lesson_read(learner.uuid, enrolment.uuid, str(uuid.uuid4()))], CLIENT)
    db.session.commit()
    assert enrolment.progress_percent > 0
    assert rebuild(check=True) == []


@pytest.mark.parametrize(
    "limit", [records.AROUND_LIMIT, 0], ids=["one-query", "query-each"]
)
def test_what_a_batch_reads_around_it_is_the_same_either_way(
    client, auth, demo, monkeypatch, limit
):
    """A batch reads the forwarding endpoints, the stored definitions and which
    registrations are enrolments in one query, or (past AROUND_LIMIT) one query
    each; either way the statement is queued, its definition merged and the
    learner's progress updated."""
    monkeypatch.setattr(records, "AROUND_LIMIT", limit)
    enrolment = _enrolment(client, auth)
    learner = db.session.execute(
        db.select(User).filter_by(email="learner@example.org")
    ).scalar_one()
    url = "https://lrs.example.org/xapi/"
    endpoint = create_endpoint("Region", url, "k", "s", None)
    statement = _lesson_read(learner.uuid, enrolment.uuid, str(uuid.uuid4()))
    activity_id = statement["object"]["id"]
    statement["object"]["definition"] = {"description": {"da": "Læst"}}
    ingest([statement], CLIENT, define=True)
    db.session.commit()

    assert enrolment.progress_percent > 0
    queued = db.session.execute(db.select(OutboxStatement)).scalars().all()
    assert [(q.endpoint_id, q.statement_id) for q in queued] == [
        (endpoint.id, statement["id"])
    ]
    definition = get_activity(db.session.connection(), activity_id)["definition"]
    assert definition["description"] == {"da": "Læst"}
    assert rebuild(check=True) == []


@pytest.mark.parametrize(
    "limit", [records.AROUND_LIMIT, 0], ids=["one-query", "query-each"]
)
def test_what_the_store_looks_up_is_read_with_the_rest(app, monkeypatch, limit):
    """The stored payloads of the batch's ids and the statements that target them
    come in the look-around query (or, past AROUND_LIMIT, in one of their own).

    Communication 2.1.2 s2 b4: the LRS "MUST NOT make any modifications to its
    state based on receiving a Statement with an id that it already has"; Data
    2.3.2 s2 b5: a voiding statement may arrive before its target.
    """
    monkeypatch.setattr(records, "AROUND_LIMIT", limit)
    statement = _lesson_read(str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4()))
    voiding = {
        "id": str(uuid.uuid4()),
        "actor": CLIENT,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
        "object": {"objectType": "StatementRef", "id": statement["id"]},
    }
    ingest([voiding], CLIENT)
    seen: list[str] = []

    def executed(_conn, _cursor, text, *_args) -> None:
        seen.append(text)

    event.listen(db.engine, "before_cursor_execute", executed)
    try:
        ingest([statement], CLIENT)
        ingest([statement], CLIENT)
        db.session.commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", executed)
    # The look-around reads the enrolments; with them, once per batch, the store.
    merged = [
        text for text in seen if "enrolments" in text and "xapi_statements" in text
    ]
    assert len(merged) == (2 if limit else 0)
    alone = [
        text for text in seen if text.startswith("SELECT xapi_statements.statement_id")
    ]
    assert len(alone) == (0 if limit else 2)
    connection = db.session.connection()
    assert get_statement(connection, statement["id"]) is None
    stored = get_statement(connection, statement["id"], voided=True)
    assert stored["id"] == statement["id"]
    changed = {**statement, "verb": {"id": "http://adlnet.gov/expapi/verbs/failed"}}
    with pytest.raises(ConflictError):
        ingest([changed], CLIENT)


def test_a_statement_without_an_id_is_stored_under_the_one_it_gets(app):
    """Data 2.4.1: the LRS gives a statement without an id one. No stored
    statement can target that id yet, so the look-up asks only about it."""
    statement = _lesson_read("someone", str(uuid.uuid4()), "")
    del statement["id"]
    ids = ingest([statement], CLIENT)
    db.session.commit()
    assert get_statement(db.session.connection(), ids[0])["id"] == ids[0]


def test_a_statement_about_someone_else_changes_nothing(client, auth, demo):
    enrolment = _enrolment(client, auth)
    ingest([_lesson_read(str(uuid.uuid4()), enrolment.uuid, str(uuid.uuid4()))], CLIENT)
    db.session.commit()
    assert enrolment.progress_percent == 0
    assert rebuild(check=True) == []


def test_voiding_an_outside_statement_undoes_its_progress(client, auth, demo):
    enrolment = _enrolment(client, auth)
    learner = db.session.execute(
        db.select(User).filter_by(email="learner@example.org")
    ).scalar_one()
    target = str(uuid.uuid4())
    ingest([_lesson_read(learner.uuid, enrolment.uuid, target)], CLIENT)
    db.session.commit()
    assert enrolment.progress_percent > 0
    ingest(
        [
            {
                "actor": CLIENT,
                "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
                "object": {"objectType": "StatementRef", "id": target},
            }
        ],
        CLIENT,
    )
    db.session.commit()
    assert enrolment.progress_percent == 0
    assert rebuild(check=True) == []


def test_a_repeated_statement_is_counted_once(client, auth, demo):
    enrolment = _enrolment(client, auth)
    learner = db.session.execute(
        db.select(User).filter_by(email="learner@example.org")
    ).scalar_one()
    statement = _lesson_read(learner.uuid, enrolment.uuid, str(uuid.uuid4()))
    ingest([statement], CLIENT)
    ingest([statement], CLIENT)
    db.session.commit()
    assert rebuild(check=True) == []
