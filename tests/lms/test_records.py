"""Statements from outside count like our own, and voiding undoes their effect."""

import uuid

from lms.extensions import db
from lms.models import Enrolment, User
from lms.operations.progress import rebuild
from lms.records import ingest
from tests.conftest import BASE_URL
from tests.lms.journey import SLUG

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
