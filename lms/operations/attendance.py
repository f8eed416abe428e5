"""Recording who attended a session: attended, absent or excused.

Attendance at a session writes an xAPI "attended" statement with the educator as
instructor: on the module activity the session counts for (lms.statements), on the
programme session (lms.operations.programmes), or, for an extra session, on the
session itself. When a recorded "attended" later becomes "absent" or "excused", the
statement is voided (Data 2.3.2); lms.records then folds the enrolment again from its
remaining statements, as `progress rebuild` would, and a module completion that rested
on the attendance is voided here too.
"""

import logging
from datetime import UTC, datetime

from lms import statements
from lms.content import module_of
from lms.extensions import db
from lms.models import (
    ATTENDANCE_STATUSES,
    Attendance,
    CohortSession,
    Enrolment,
    User,
)
from lms.operations import learning, programmes
from lms.operations.sessions import SessionError
from lms.records import record
from xapi.store import StatementQuery, get_statement
from xapi.store import query_statements as find_statements
from xapi.vocabulary import VERBS

log = logging.getLogger(__name__)


def record_attendance(
    session: CohortSession, statuses: dict[int, str], educator: User
) -> int:
    """Record the status of members at a past session; return how many changed."""
    _check_attendance(session, statuses)
    members = {member.id: member for member in session.cohort.members}
    rows = {
        row.user_id: row
        for row in db.session.execute(
            db.select(Attendance).filter_by(session_id=session.id)
        ).scalars()
    }
    changes = [
        (members[user_id], status, rows.get(user_id))
        for user_id, status in sorted(statuses.items())
        if user_id not in rows or rows[user_id].status != status
    ]
    # enrol() commits on its own, so every enrolment is made before any record.
    enrolments = {
        learner.id: _enrolments(learner, session)
        for learner, status, _row in changes
        if status == "attended"
    }
    now = datetime.now(UTC)
    for learner, status, row in changes:
        if row is None:
            row = Attendance(session_id=session.id, user_id=learner.id, status=status)
        elif row.status == "attended":
            _undo_attended(session, row, educator)
        if status == "attended":
            row.statement_id = _attended(
                enrolments[learner.id], session, learner, educator
            )
        row.status, row.recorded_by_id, row.recorded_at = status, educator.id, now
        db.session.add(row)
    db.session.commit()
    log.info(
        "user %s recorded %d attendance changes at session %s",
        educator.id,
        len(changes),
        session.id,
    )
    return len(changes)


def _check_attendance(session: CohortSession, statuses: dict[int, str]) -> None:
    if session.cancelled_at is not None:
        raise SessionError("cancelled")
    if session.starts_at > datetime.now(UTC):
        raise SessionError("not_started")
    members = {member.id for member in session.cohort.members}
    if not set(statuses) <= members:
        raise SessionError("not_member")
    if not set(statuses.values()) <= set(ATTENDANCE_STATUSES):
        raise SessionError("status")


def _enrolments(learner: User, session: CohortSession) -> Enrolment:
    """Enrol the learner where the attendance counts; return the module enrolment."""
    cohort = session.cohort
    try:
        if session.activity_scope == "programme":
            programmes.enrol_programme(learner, cohort.programme_slug)
        return learning.enrol(learner, cohort.module_slug)
    except (learning.LearningError, programmes.ProgrammeError):
        raise SessionError("module_unavailable") from None


def _attended(
    enrolment: Enrolment, session: CohortSession, learner: User, educator: User
) -> str | None:
    """Record the attended statement; return its id when it is a module statement."""
    if session.activity_scope == "programme":
        programmes.record_programme_attendance(
            learner,
            session.cohort.programme_slug,
            session.activity_id,
            educator,
            attended=True,
        )
        return None
    module = module_of(enrolment.module_version)
    activity = module.activity(session.activity_id) if session.activity_id else None
    if activity is not None and activity.kind == session.kind:
        statement = statements.on_activity(
            enrolment, activity, "attended", instructor=educator
        )
    else:
        # An extra session, or one whose activity the learner's pinned version lacks.
        target = statements.session_object(session.uuid, session.kind, session.title)
        statement = statements.session_attended(enrolment, target, educator)
    record(enrolment, [statement])
    return statement["id"]


def _undo_attended(session: CohortSession, row: Attendance, educator: User) -> None:
    """Take back a recorded attendance, unless another session still carries it."""
    if row.statement_id is not None:
        _void_attended(row.statement_id, educator)
        row.statement_id = None
    elif session.activity_scope == "programme" and not _attended_elsewhere(
        session, row.user_id
    ):
        programmes.record_programme_attendance(
            row.user,
            session.cohort.programme_slug,
            session.activity_id,
            educator,
            attended=False,
        )


def _attended_elsewhere(session: CohortSession, user_id: int) -> bool:
    """Return whether the learner attended another session for the same activity."""
    query = (
        db.select(Attendance.user_id)
        .join(CohortSession, CohortSession.id == Attendance.session_id)
        .where(
            Attendance.user_id == user_id,
            Attendance.status == "attended",
            Attendance.session_id != session.id,
            CohortSession.cohort_id == session.cohort_id,
            CohortSession.activity_scope == session.activity_scope,
            CohortSession.activity_id == session.activity_id,
        )
        .limit(1)
    )
    return db.session.execute(query).first() is not None


def _void_attended(statement_id: str, educator: User) -> None:
    """Void an attended statement; lms.records folds its enrolment again."""
    stored = get_statement(db.session.connection(), statement_id)
    registration = (stored or {}).get("context", {}).get("registration")
    enrolment = db.session.execute(
        db.select(Enrolment).filter_by(uuid=registration)
    ).scalar_one_or_none()
    if enrolment is None:  # already voided, or never ours: nothing to undo
        return
    was_complete = enrolment.completed_at is not None
    record(enrolment, [statements.voided(enrolment, statement_id, educator)])
    if was_complete and enrolment.completed_at is None:
        _void_completion(enrolment, educator)


def _void_completion(enrolment: Enrolment, educator: User) -> None:
    """Void the module-completed statements the enrolment no longer earns."""
    module = module_of(enrolment.module_version)
    query = StatementQuery(
        registration=enrolment.uuid,
        verb_id=VERBS["completed"].id,
        activity_id=statements.module_object(module)["id"],
    )
    found, _cursor = find_statements(db.session.connection(), query)
    # The query also matches statements that refer to these, such as voidings.
    done = [item for item in found if item["verb"]["id"] == VERBS["completed"].id]
    if done:
        record(
            enrolment,
            [statements.voided(enrolment, item["id"], educator) for item in done],
        )
