"""A batch POST of statements that fails part-way stores none of it.

Communication 2.1.2 s2 b1 (POST Statements): the LRS stores "a Statement or set of
Statements"; 3.2.s3.b9: "The LRS MUST reject a batch of statements if any Statement
within that batch is rejected". A fault on our side must likewise leave nothing.
"""

import importlib

import pytest
from sqlalchemy import text

from lms.extensions import db
from lms.models import Enrolment, User
from lms.operations import learning
from lms.statements import on_activity
from tests.lms.faults import changed, row_counts
from tests.lms.journey import SLUG, shipped_module

SIZE, FAILING = 10, 7


@pytest.fixture
def batch(demo):
    """Statements about the demo learner's enrolment: each is projected as progress."""
    learner = db.session.execute(
        db.select(User).filter_by(email="learner@example.org")
    ).scalar_one()
    enrolment = learning.enrol(learner, SLUG)
    activities = shipped_module().activities
    statements = [
        on_activity(enrolment, activities[n % len(activities)], verb)
        for n in range(SIZE // 2)
        for verb in ("experienced", "completed")
    ]
    assert len({s["id"] for s in statements}) == SIZE
    return enrolment.id, statements


def _create_failing_trigger(backend: str, statement_id: str) -> None:
    """Make the database fail while inserting one statement row.

    SQLite's RAISE() would be a constraint error, which the store reads as an id
    stored concurrently (409); a run-time error (malformed JSON) is a plain fault.
    """
    if backend == "sqlite":
        db.session.execute(
            text(
                "CREATE TRIGGER fail_one BEFORE INSERT ON xapi_statements"
                f" WHEN NEW.statement_id = '{statement_id}'"
                " BEGIN SELECT json('injected fault'); END"
            )
        )
    else:
        db.session.execute(
            text(
                "CREATE FUNCTION fail_one() RETURNS trigger LANGUAGE plpgsql AS $$"
                f" BEGIN IF NEW.statement_id = '{statement_id}' THEN"
                " RAISE EXCEPTION 'injected fault'; END IF; RETURN NEW; END $$"
            )
        )
        db.session.execute(
            text(
                "CREATE TRIGGER fail_one BEFORE INSERT ON xapi_statements"
                " FOR EACH ROW EXECUTE FUNCTION fail_one()"
            )
        )
    db.session.commit()


def _drop_failing_trigger(backend: str) -> None:
    if backend == "sqlite":
        db.session.execute(text("DROP TRIGGER IF EXISTS fail_one"))
    else:
        db.session.execute(text("DROP TRIGGER IF EXISTS fail_one ON xapi_statements"))
        db.session.execute(text("DROP FUNCTION IF EXISTS fail_one()"))
    db.session.commit()


def _assert_error_without_trace(response, status=500) -> None:
    assert response.status_code == status, response.text
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    assert set(response.json) == {"error"}
    for leak in ("Traceback", "injected", "INSERT", "xapi_statements"):
        assert leak not in response.text


def _assert_stored_completely(client, lrs, app, before, statements, enrolment_id):
    """Post the batch again: every statement and its projection is stored."""
    response = client.post("/xapi/statements", json=statements, headers=lrs)
    assert response.status_code == 200, response.text
    assert response.json == [s["id"] for s in statements]
    grown = changed(before, row_counts(app))
    assert grown["xapi_statements"][1] - grown["xapi_statements"][0] == SIZE
    db.session.expire_all()
    assert db.session.get(Enrolment, enrolment_id).progress


def test_a_batch_whose_seventh_row_fails_in_the_database_stores_none(
    app, client, lrs, batch, backend
):
    """The database itself rejects the 7th of 10 rows, after inserting the first 6
    in the same transaction: the answer is a 500 without internals, and none of the
    batch's statements, posting lists or progress rows remain."""
    enrolment_id, statements = batch
    before = row_counts(app)
    _create_failing_trigger(backend, statements[FAILING - 1]["id"])
    try:
        response = client.post("/xapi/statements", json=statements, headers=lrs)
    finally:
        db.session.rollback()
        _drop_failing_trigger(backend)
    _assert_error_without_trace(response)
    assert changed(before, row_counts(app)) == {}
    _assert_stored_completely(client, lrs, app, before, statements, enrolment_id)


@pytest.mark.parametrize(
    ("module", "step"),
    [
        ("xapi.store.save", "_insert"),  # statement and posting rows are written
        ("xapi.store.save", "_void_existing"),  # rows and posting lists written
        ("lms.records", "_project"),  # progress projected in the session
        ("lms.records", "_follow_programmes"),  # the last step before commit
    ],
)
def test_a_crash_after_a_step_of_the_batch_stores_none(
    app, client, lrs, batch, monkeypatch, module, step
):
    """An unexpected error after any step of storing a batch leaves nothing of it;
    the same batch sent again is stored in full."""
    enrolment_id, statements = batch
    target = importlib.import_module(module)
    real = getattr(target, step)

    def crash(*args, **kwargs):
        real(*args, **kwargs)
        raise RuntimeError("injected fault")

    monkeypatch.setattr(target, step, crash)
    before = row_counts(app)
    response = client.post("/xapi/statements", json=statements, headers=lrs)
    _assert_error_without_trace(response)
    assert changed(before, row_counts(app)) == {}
    monkeypatch.setattr(target, step, real)
    _assert_stored_completely(client, lrs, app, before, statements, enrolment_id)


def test_an_unwrapped_deadlock_is_retried(app, client, lrs, batch, monkeypatch):
    """psycopg's errors may come unwrapped (from code using the driver); a deadlock is
    retried like one that SQLAlchemy wraps, and the batch is stored once."""
    import psycopg

    from lms.lrs import write

    _enrolment_id, statements = batch
    real, calls = write.ingest, []

    def deadlocked_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            real(*args, **kwargs)  # rows written, then the database aborts
            raise psycopg.errors.DeadlockDetected("deadlock detected")
        return real(*args, **kwargs)

    monkeypatch.setattr(write, "ingest", deadlocked_once)
    before = row_counts(app)
    response = client.post("/xapi/statements", json=statements, headers=lrs)
    assert response.status_code == 200, response.text
    assert len(calls) == 2
    grown = changed(before, row_counts(app))
    assert grown["xapi_statements"][1] - grown["xapi_statements"][0] == SIZE
