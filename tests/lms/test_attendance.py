"""Attendance at sessions: statements with the instructor, corrections, refusals."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lms.extensions import db
from lms.models import Enrolment, ModuleVersion
from lms.operations.attendance import record_attendance
from lms.operations.sessions import SessionError
from tests.conftest import BASE_URL
from tests.lms.cohort_support import (
    EDUCATOR,
    LEARNER,
    SLUG,
    attendance,
    make_cohort,
    make_session,
    published_module,
    session_form,
    user,
)
from xapi.store import get_statement, iter_statements

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
MODULE_IRI = f"{BASE_URL}/xapi/activities/module/{SLUG}"
WEBINAR_IRI = f"{MODULE_IRI}/webinar/kick-off"
ATTENDED = "http://adlnet.gov/expapi/verbs/attended"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"


@pytest.fixture
def session_module(app):
    """A published module with a webinar and a meeting, for one test."""
    yield from published_module()


@pytest.fixture
def people(demo, make_user):
    """The demo educator and learner, and a second learner in Svendborg."""
    return {
        "educator": user(EDUCATOR[0]),
        "learner": user(LEARNER[0]),
        "svendborg": make_user(unit_code="HJV", email="bo@example.org"),
    }


@pytest.fixture
def cohort(session_module, people):
    """A cohort on the test module with both learners."""
    return make_cohort(people["educator"], [people["learner"], people["svendborg"]])


def _post_attendance(client, cohort, session, statuses: dict, lang="en"):
    data = {f"status-{user_id}": status for user_id, status in statuses.items()}
    return client.post(
        f"/teach/cohorts/{cohort.id}/sessions/{session.id}/attendance?lang={lang}",
        data=data,
    )


def _enrolment(learner) -> Enrolment | None:
    query = (
        db.select(Enrolment)
        .join(ModuleVersion)
        .where(Enrolment.user_id == learner.id, ModuleVersion.slug == SLUG)
    )
    return db.session.execute(query).scalar_one_or_none()


def _attended(registration: str) -> list[dict]:
    return [
        s
        for s in iter_statements(db.session.connection(), registration=registration)
        if s["verb"]["id"] == ATTENDED
    ]


def _rebuild_is_exact(runner) -> None:
    result = runner.invoke(args=["progress", "rebuild", "--check"])
    assert result.exit_code == 0, result.output
    assert "progress matches the statements" in result.output


def test_attendance_writes_attended_statements_with_the_instructor(
    client, auth, cohort, people, runner
):
    """Attendance is an `attended` statement with the educator as instructor."""
    session = make_session(
        cohort, people["educator"], activity_scope="module", activity_id="kick-off"
    )
    learner, other = people["learner"], people["svendborg"]
    auth.login(*EDUCATOR)
    page = client.get(f"/teach/cohorts/{cohort.id}/sessions/{session.id}/attendance")
    assert page.status_code == 200
    assert page.text.count("<legend>") >= 2
    response = _post_attendance(
        client, cohort, session, {learner.id: "attended", other.id: "excused"}
    )
    assert response.status_code == 302
    assert attendance(session, learner).status == "attended"
    assert attendance(session, other).status == "excused"
    assert attendance(session, other).recorded_by_id == people["educator"].id
    enrolment = _enrolment(learner)  # enrolled on the way
    assert enrolment is not None and _enrolment(other) is None
    (statement,) = _attended(enrolment.uuid)
    assert statement["object"]["id"] == WEBINAR_IRI
    assert statement["actor"]["account"]["name"] == learner.uuid
    assert statement["context"]["instructor"]["account"] == {
        "homePage": BASE_URL,
        "name": people["educator"].uuid,
    }
    assert statement["context"]["registration"] == enrolment.uuid
    assert attendance(session, learner).statement_id == statement["id"]
    progress = {row.activity_id: row.status for row in enrolment.progress}
    assert progress["kick-off"] == "done"
    _rebuild_is_exact(runner)


def test_saving_the_same_attendance_twice_writes_once(client, auth, cohort, people):
    session = make_session(
        cohort, people["educator"], activity_scope="module", activity_id="kick-off"
    )
    auth.login(*EDUCATOR)
    for _ in range(2):
        _post_attendance(client, cohort, session, {people["learner"].id: "attended"})
    assert len(_attended(_enrolment(people["learner"]).uuid)) == 1


def test_absent_after_attended_undoes_the_attendance(
    client, auth, cohort, people, runner
):
    """Data 2.3.2: a voiding statement has the verb voided and a StatementRef object."""
    session = make_session(
        cohort, people["educator"], activity_scope="module", activity_id="kick-off"
    )
    learner = people["learner"]
    auth.login(*LEARNER)
    client.post(f"/learn/modules/{SLUG}/enrol")
    client.post(f"/learn/modules/{SLUG}/intro/read")
    auth.logout()
    auth.login(*EDUCATOR)
    _post_attendance(client, cohort, session, {learner.id: "attended"})
    enrolment = _enrolment(learner)
    assert enrolment.progress_percent == 100 and enrolment.completed_at is not None
    first = attendance(session, learner).statement_id
    _rebuild_is_exact(runner)

    response = _post_attendance(client, cohort, session, {learner.id: "absent"})
    assert response.status_code == 302
    db.session.expire_all()
    enrolment = _enrolment(learner)
    assert attendance(session, learner).status == "absent"
    assert attendance(session, learner).statement_id is None
    assert enrolment.progress_percent == 50
    assert enrolment.completed_at is None
    assert "kick-off" not in {row.activity_id for row in enrolment.progress}
    connection = db.session.connection()
    assert get_statement(connection, first) is None
    assert get_statement(connection, first, voided=True)["id"] == first
    voiding = [
        s
        for s in iter_statements(connection, registration=enrolment.uuid)
        if s["verb"]["id"] == VOIDED
    ]
    assert {"objectType": "StatementRef", "id": first} in [v["object"] for v in voiding]
    assert all(
        v["actor"]["account"]["name"] == people["educator"].uuid for v in voiding
    )
    # The module completion that rested on the attendance is voided too.
    completed = [
        s
        for s in iter_statements(connection, registration=enrolment.uuid)
        if s["verb"]["id"].endswith("/completed") and s["object"]["id"] == MODULE_IRI
    ]
    assert completed == []
    _rebuild_is_exact(runner)

    _post_attendance(client, cohort, session, {learner.id: "attended"})
    db.session.expire_all()
    enrolment = _enrolment(learner)
    assert enrolment.progress_percent == 100 and enrolment.completed_at is not None
    assert len(_attended(enrolment.uuid)) == 1
    _rebuild_is_exact(runner)


def test_two_sessions_for_one_webinar_count_while_either_stands(
    client, auth, cohort, people, runner
):
    educator, learner = people["educator"], people["learner"]
    first = make_session(
        cohort, educator, activity_scope="module", activity_id="kick-off"
    )
    second = make_session(
        cohort, educator, activity_scope="module", activity_id="kick-off"
    )
    auth.login(*EDUCATOR)
    _post_attendance(client, cohort, first, {learner.id: "attended"})
    _post_attendance(client, cohort, second, {learner.id: "attended"})
    _post_attendance(client, cohort, first, {learner.id: "absent"})
    db.session.expire_all()
    progress = {row.activity_id: row.status for row in _enrolment(learner).progress}
    assert progress["kick-off"] == "done"
    _rebuild_is_exact(runner)


def test_an_extra_session_records_attendance_on_the_session_itself(
    client, auth, cohort, people, runner
):
    session = make_session(cohort, people["educator"])
    auth.login(*EDUCATOR)
    _post_attendance(client, cohort, session, {people["learner"].id: "attended"})
    enrolment = _enrolment(people["learner"])
    (statement,) = _attended(enrolment.uuid)
    assert statement["object"]["id"] == (
        f"{BASE_URL}/xapi/activities/session/{session.uuid}"
    )
    assert statement["context"]["instructor"]["account"]["name"] == (
        people["educator"].uuid
    )
    assert "kick-off" not in {row.activity_id for row in enrolment.progress}
    _rebuild_is_exact(runner)


def test_a_programme_session_counts_for_the_programme(
    client, auth, demo, people, runner
):
    educator, learner = people["educator"], people["learner"]
    cohort = make_cohort(
        educator,
        [learner],
        slug="video-consultations",
        programme_slug="bliv-digital-kompetent",
    )
    session = make_session(
        cohort,
        educator,
        kind="meeting",
        activity_scope="programme",
        activity_id="final-meeting",
    )
    auth.login(*EDUCATOR)
    assert (
        _post_attendance(client, cohort, session, {learner.id: "attended"}).status_code
        == 302
    )
    iri = (
        f"{BASE_URL}/xapi/activities/programme/bliv-digital-kompetent"
        "/meeting/final-meeting"
    )
    statements = [
        s
        for s in iter_statements(db.session.connection())
        if s["verb"]["id"] == ATTENDED and s["object"]["id"] == iri
    ]
    assert len(statements) == 1
    assert statements[0]["context"]["instructor"]["account"]["name"] == educator.uuid
    _post_attendance(client, cohort, session, {learner.id: "excused"})
    assert not [
        s
        for s in iter_statements(db.session.connection())
        if s["verb"]["id"] == ATTENDED and s["object"]["id"] == iri
    ]
    _rebuild_is_exact(runner)


@pytest.mark.parametrize(
    ("case", "status", "message"),
    [
        ("outsider", 400, "only for learners in this cohort"),
        ("bad-status", 400, "Choose attended, absent or excused."),
        ("bad-id", 400, "Choose attended, absent or excused."),
        ("nothing", 400, "Choose attended, absent or excused."),
        ("future", 409, "once the session has begun"),
        ("cancelled", 409, "The session is cancelled."),
    ],
)
def test_attendance_that_cannot_be_recorded_is_refused(
    client, auth, cohort, people, make_user, case, status, message
):
    educator, learner = people["educator"], people["learner"]
    outsider = make_user(unit_code="HJN", email="outsider@example.org")
    fields = {}
    if case == "future":
        fields["starts_at"] = datetime.now(UTC) + timedelta(hours=2)
    if case == "cancelled":
        fields["cancelled_at"] = datetime.now(UTC)
    session = make_session(cohort, educator, **fields)
    data = {
        "outsider": {
            f"status-{learner.id}": "attended",
            f"status-{outsider.id}": "absent",
        },
        "bad-status": {f"status-{learner.id}": "present"},
        "bad-id": {"status-abc": "attended"},
        "nothing": {},
        "future": {f"status-{learner.id}": "attended"},
        "cancelled": {f"status-{learner.id}": "attended"},
    }[case]
    auth.login(*EDUCATOR)
    response = client.post(
        f"/teach/cohorts/{cohort.id}/sessions/{session.id}/attendance?lang=en",
        data=data,
    )
    assert response.status_code == status
    assert message in response.text
    assert attendance(session, learner) is None
    assert attendance(session, outsider) is None
    assert _enrolment(learner) is None


def test_the_operation_refuses_a_learner_outside_the_cohort(cohort, people, make_user):
    session = make_session(cohort, people["educator"])
    outsider = make_user(unit_code="HJN")
    with pytest.raises(SessionError, match="not_member"):
        record_attendance(session, {outsider.id: "attended"}, people["educator"])


def test_a_session_with_attendance_cannot_be_cancelled_or_moved(
    client, auth, cohort, people
):
    session = make_session(cohort, people["educator"])
    auth.login(*EDUCATOR)
    _post_attendance(client, cohort, session, {people["learner"].id: "absent"})
    response = client.post(
        f"/teach/cohorts/{cohort.id}/sessions/{session.id}/cancel?lang=en"
    )
    assert response.status_code == 409
    assert "cannot be cancelled" in response.text
    local = session.starts_at.astimezone(COPENHAGEN)
    moved = client.post(
        f"/teach/cohorts/{cohort.id}/sessions/{session.id}/edit?lang=en",
        data=session_form(
            day=local.date().isoformat(), at=local.strftime("%H:%M"), title="Opstart"
        ),
    )
    assert moved.status_code == 409
    assert "what the session counts for is fixed" in moved.text
    db.session.refresh(session)
    assert session.cancelled_at is None and session.activity_id is None
