"""A certificate whose completion is voided in the learning record is withdrawn."""

import uuid

from lms.extensions import db
from lms.models import AuditRecord, Mail
from lms.operations.progress import rebuild
from lms.records import ingest
from xapi.store import StatementQuery, query_statements
from xapi.vocabulary import VERBS, VOIDED

CLIENT = {
    "objectType": "Agent",
    "account": {"homePage": "https://lrs.example", "name": "client"},
}


def _statements(registration: str, verb: str) -> list[dict]:
    found, _cursor = query_statements(
        db.session.connection(),
        StatementQuery(registration=registration, verb_id=VERBS[verb].id, limit=500),
    )
    return found


def _void(statement_ids: list[str]) -> None:
    ingest(
        [
            {
                "id": str(uuid.uuid4()),
                "actor": CLIENT,
                "verb": {"id": VOIDED},
                "object": {"objectType": "StatementRef", "id": target},
            }
            for target in statement_ids
        ],
        CLIENT,
    )
    db.session.commit()


def test_voiding_what_the_completion_rests_on_revokes_the_certificate(
    client, earned, enrolment
):
    passed = _statements(earned.registration, "passed")
    assert passed, "the walk-through passes the quiz and the practice task"
    _void([statement["id"] for statement in passed])
    db.session.expire_all()
    assert enrolment.completed_at is None
    assert earned.status(earned.issued_at) == "revoked"
    assert earned.revocation_reason == "completion voided"
    assert earned.revoked_by_id is None
    (record,) = db.session.execute(
        db.select(AuditRecord).filter_by(action="certificate.revoke")
    ).scalars()
    assert record.actor_id is None and record.target_id == earned.uuid
    mails = (
        db.session.execute(
            db.select(Mail).where(Mail.dedupe_key.like(f"cert-revoked:{earned.id}:%"))
        )
        .scalars()
        .all()
    )
    holder_mail = [m for m in mails if m.recipient == "learner@example.org"]
    assert len(holder_mail) == 1
    # The learner's language is Danish: the system's reason is written in it.
    assert "annulleret" in holder_mail[0].body
    page = client.get(f"/verify/{earned.code}")
    assert page.status_code == 200
    assert "revoked" in page.get_data(as_text=True).lower() or "tilbagekaldt" in (
        page.get_data(as_text=True).lower()
    )
    assert rebuild(check=True) == []


def test_voiding_a_statement_the_completion_does_not_need_keeps_it(earned, enrolment):
    earned_statement = _statements(earned.registration, "earned")
    _void([earned_statement[0]["id"]])
    db.session.expire_all()
    assert enrolment.completed_at is not None
    assert earned.revoked_at is None
