"""Reads for privacy: everything held about one person, and files due for deletion.

The export is built from the person's own rows only: every query here is keyed by
their user id or by their pseudonymous xAPI account, never by anything in a URL.
"""

import base64
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import orjson
from sqlalchemy import and_, select

from lms.competence import clock
from lms.extensions import db
from lms.models import (
    Assignment,
    AssignmentMember,
    Attendance,
    Certificate,
    Cohort,
    CohortSession,
    Enrolment,
    Mail,
    ManagedUnit,
    ModuleVersion,
    ProgrammeEnrolment,
    QuizAttempt,
    StaffCompetence,
    Submission,
    SubmissionFile,
    Unit,
    User,
    cohort_educators,
    cohort_members,
)
from lms.statements import base_url
from xapi import builders
from xapi.agents import agent_key
from xapi.documents.schema import agent_profiles, states
from xapi.store.keys import index_key
from xapi.store.schema import direct_only, statement_agents, statements

#: The version of the export's layout; raised when a section changes shape.
EXPORT_FORMAT = "bdk-lms-personal-data/1"


def actor(user: User) -> dict:
    """Return the person's xAPI actor: the pseudonymous account, nothing else."""
    return builders.actor(base_url(), user.uuid)


def actor_key(user: User) -> str:
    """Return the canonical key of the person's xAPI actor account."""
    return str(agent_key(actor(user)))


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


# --- The export -----------------------------------------------------------------------


def personal_data(user: User, now: datetime) -> dict[str, Any]:
    """Return everything held about the person, as one JSON-ready document."""
    return {
        "format": EXPORT_FORMAT,
        "exported_at": _iso(now),
        "profile": profile(user),
        "roles": sorted(user.roles),
        "managed_units": managed_units(user),
        "cohorts": cohorts(user),
        "enrolments": enrolments(user),
        "programme_enrolments": programme_enrolments(user),
        "quiz_attempts": quiz_attempts(user),
        "submissions": submissions(user),
        "attendance": attendance(user),
        "certificates": certificates(user),
        "assignments": assignments(user),
        "competences": competences(user),
        "mails": mails(user),
        "statements": actor_statements(user),
        "documents": documents(user),
    }


def profile(user: User) -> dict[str, Any]:
    """Return the person's account."""
    unit = user.primary_unit
    return {
        "xapi_account": {"homePage": base_url(), "name": user.uuid},
        "email": user.email,
        "name": user.name,
        "locale": user.locale,
        "job_role": user.job_role,
        "unit": unit.path if unit else None,
        "organisation": unit.organisation.name if unit else None,
        "active": user.active,
        "created_at": _iso(user.created_at),
    }


def managed_units(user: User) -> list[dict[str, Any]]:
    """Return the units the person leads as a manager."""
    query = (
        db.select(Unit)
        .join(ManagedUnit, ManagedUnit.unit_id == Unit.id)
        .where(ManagedUnit.user_id == user.id)
        .order_by(Unit.id)
    )
    return [
        {"unit": unit.path, "organisation": unit.organisation.name}
        for unit in db.session.execute(query).scalars()
    ]


def cohorts(user: User) -> list[dict[str, Any]]:
    """Return the cohorts the person is a member or an educator of."""
    rows = []
    for table, role in ((cohort_members, "member"), (cohort_educators, "educator")):
        query = (
            db.select(Cohort)
            .join(table, table.c.cohort_id == Cohort.id)
            .where(table.c.user_id == user.id)
            .order_by(Cohort.id)
        )
        for cohort in db.session.execute(query).scalars():
            rows.append(
                {
                    "cohort": cohort.name,
                    "as": role,
                    "module": cohort.module_slug,
                    "programme": cohort.programme_slug,
                    "starts_on": _iso(cohort.starts_on),
                    "ends_on": _iso(cohort.ends_on),
                }
            )
    return rows


def enrolments(user: User) -> list[dict[str, Any]]:
    """Return the person's module enrolments with their progress per activity."""
    query = (
        db.select(Enrolment)
        .filter_by(user_id=user.id)
        .order_by(Enrolment.enrolled_at, Enrolment.id)
    )
    return [
        {
            "registration": enrolment.uuid,
            "module": enrolment.module_version.slug,
            "version": enrolment.module_version.version,
            "title": enrolment.module_version.title(user.locale),
            "enrolled_at": _iso(enrolment.enrolled_at),
            "progress_percent": enrolment.progress_percent,
            "completed_at": _iso(enrolment.completed_at),
            "activities": [
                {
                    "activity": row.activity_id,
                    "status": row.status,
                    "updated_at": _iso(row.updated_at),
                    "detail": row.detail,
                }
                for row in sorted(enrolment.progress, key=lambda r: r.activity_id)
            ],
        }
        for enrolment in db.session.execute(query).scalars()
    ]


def programme_enrolments(user: User) -> list[dict[str, Any]]:
    """Return the person's programme enrolments and their progress."""
    query = (
        db.select(ProgrammeEnrolment)
        .filter_by(user_id=user.id)
        .order_by(ProgrammeEnrolment.enrolled_at, ProgrammeEnrolment.id)
    )
    return [
        {
            "registration": enrolment.uuid,
            "programme": enrolment.programme_version.slug,
            "version": enrolment.programme_version.version,
            "enrolled_at": _iso(enrolment.enrolled_at),
            "progress_percent": enrolment.progress_percent,
            "completed_at": _iso(enrolment.completed_at),
            "detail": enrolment.detail,
        }
        for enrolment in db.session.execute(query).scalars()
    ]


def _module_slugs(user: User) -> dict[int, str]:
    query = (
        db.select(Enrolment.id, ModuleVersion.slug)
        .join(ModuleVersion, ModuleVersion.id == Enrolment.module_version_id)
        .where(Enrolment.user_id == user.id)
    )
    return dict(db.session.execute(query).all())


def quiz_attempts(user: User) -> list[dict[str, Any]]:
    """Return every quiz attempt with the answers given."""
    slugs = _module_slugs(user)
    query = (
        db.select(QuizAttempt)
        .where(QuizAttempt.enrolment_id.in_(list(slugs)))
        .order_by(QuizAttempt.started_at, QuizAttempt.id)
    )
    return [
        {
            "module": slugs[attempt.enrolment_id],
            "activity": attempt.activity_id,
            "number": attempt.number,
            "started_at": _iso(attempt.started_at),
            "finished_at": _iso(attempt.finished_at),
            "responses": attempt.responses,
            "score_scaled": attempt.score_scaled,
            "passed": attempt.passed,
        }
        for attempt in db.session.execute(query).scalars()
    ]


def submissions(user: User) -> list[dict[str, Any]]:
    """Return every practice task handed in, its review and its file's name."""
    slugs = _module_slugs(user)
    query = (
        db.select(Submission)
        .where(Submission.enrolment_id.in_(list(slugs)))
        .order_by(Submission.submitted_at, Submission.id)
    )
    rows = []
    for submission in db.session.execute(query).scalars():
        attached: SubmissionFile | None = submission.file
        rows.append(
            {
                "id": submission.uuid,
                "module": slugs[submission.enrolment_id],
                "activity": submission.activity_id,
                "version": submission.number,
                "submitted_at": _iso(submission.submitted_at),
                "text": submission.text,
                "status": submission.status,
                "feedback": submission.feedback,
                "scores": submission.scores,
                "reviewed_at": _iso(submission.reviewed_at),
                "file": None
                if attached is None
                else {
                    "name": attached.filename,
                    "content_type": attached.content_type,
                    "size": attached.size,
                    "sha256": attached.sha256,
                    "deleted_at": _iso(attached.deleted_at),
                    "deleted_reason": attached.deleted_reason,
                },
            }
        )
    return rows


def attendance(user: User) -> list[dict[str, Any]]:
    """Return the person's attendance at cohort sessions."""
    query = (
        db.select(Attendance, CohortSession, Cohort)
        .join(CohortSession, CohortSession.id == Attendance.session_id)
        .join(Cohort, Cohort.id == CohortSession.cohort_id)
        .where(Attendance.user_id == user.id)
        .order_by(CohortSession.starts_at, CohortSession.id)
    )
    return [
        {
            "cohort": cohort.name,
            "session": session.title,
            "kind": session.kind,
            "starts_at": _iso(session.starts_at),
            "status": row.status,
            "recorded_at": _iso(row.recorded_at),
        }
        for row, session, cohort in db.session.execute(query).all()
    ]


def certificates(user: User) -> list[dict[str, Any]]:
    """Return the person's certificates, as the verification page tells them."""
    query = (
        db.select(Certificate)
        .filter_by(holder_id=user.id)
        .order_by(Certificate.issued_at, Certificate.id)
    )
    now = clock.now()
    return [
        {
            "code": certificate.code,
            "holder_name": certificate.holder_name,
            "achievement": certificate.achievement_kind,
            "slug": certificate.achievement_slug,
            "version": certificate.achievement_version,
            "title": certificate.title(user.locale),
            "issued_at": _iso(certificate.issued_at),
            "expires_at": _iso(certificate.expires_at),
            "revoked_at": _iso(certificate.revoked_at),
            "status": certificate.status(now),
            "competences": [
                {"id": c["id"], "level": c["level"]} for c in certificate.competences
            ],
        }
        for certificate in db.session.execute(query).scalars()
    ]


def assignments(user: User) -> list[dict[str, Any]]:
    """Return the required training the person is or was covered by."""
    query = (
        db.select(AssignmentMember, Assignment)
        .join(Assignment, Assignment.id == AssignmentMember.assignment_id)
        .where(AssignmentMember.user_id == user.id)
        .order_by(Assignment.due_on, Assignment.id)
    )
    return [
        {
            "kind": assignment.kind,
            "slug": assignment.slug,
            "due_on": _iso(assignment.due_on),
            "status": member.status,
            "completed_at": _iso(member.completed_at),
            "added_at": _iso(member.added_at),
            "left_at": _iso(member.left_at),
        }
        for member, assignment in db.session.execute(query).all()
    ]


def competences(user: User) -> list[dict[str, Any]]:
    """Return the competences the person's job role needs, and until when met."""
    query = (
        db.select(StaffCompetence)
        .filter_by(user_id=user.id)
        .order_by(StaffCompetence.competence_id)
    )
    return [
        {
            "competence": row.competence_id,
            "required_level": row.required_level,
            "met_until": _iso(row.met_until),
        }
        for row in db.session.execute(query).scalars()
    ]


def mails(user: User) -> list[dict[str, Any]]:
    """Return the messages sent or waiting to be sent to the person."""
    query = db.select(Mail).filter_by(recipient=user.email).order_by(Mail.id)
    return [
        {
            "subject": mail.subject,
            "body": mail.body,
            "created_at": _iso(mail.created_at),
            "sent_at": _iso(mail.sent_at),
        }
        for mail in db.session.execute(query).scalars()
    ]


def actor_statements(user: User) -> list[dict[str, Any]]:
    """Return every stored statement whose actor is the person, oldest first."""
    key = actor_key(user)
    postings = (
        select(statement_agents.c.seq)
        .where(
            statement_agents.c.agent_key == index_key(key),
            direct_only(statement_agents),
        )
        .scalar_subquery()
    )
    query = (
        select(statements.c.payload, statements.c.voided)
        .where(statements.c.seq.in_(postings), statements.c.actor_key == key)
        .order_by(statements.c.stored, statements.c.seq)
    )
    return [
        {"voided": bool(voided), "statement": orjson.loads(payload)}
        for payload, voided in db.session.connection().execute(query)
    ]


def _content(content: bytes, content_type: str) -> dict[str, Any]:
    """Return a document's content: JSON as JSON, text as text, else base64."""
    if content_type.split(";", 1)[0].strip().lower() == "application/json":
        try:
            return {"json": orjson.loads(content)}
        except orjson.JSONDecodeError:
            pass
    try:
        return {"text": content.decode("utf-8")}
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(content).decode("ascii")}


def documents(user: User) -> list[dict[str, Any]]:
    """Return the person's xAPI State and Agent Profile documents."""
    key = actor_key(user)
    connection = db.session.connection()
    found = []
    for row in connection.execute(
        select(states).where(states.c.agent_key == key).order_by(states.c.updated)
    ):
        found.append(
            {
                "kind": "state",
                "activity": row.activity_id,
                "registration": row.registration or None,
                "id": row.state_id,
                "content_type": row.content_type,
                "updated": _iso(row.updated),
                **_content(bytes(row.content), row.content_type),
            }
        )
    for row in connection.execute(
        select(agent_profiles)
        .where(agent_profiles.c.agent_key == key)
        .order_by(agent_profiles.c.updated)
    ):
        found.append(
            {
                "kind": "agent_profile",
                "activity": None,
                "registration": None,
                "id": row.profile_id,
                "content_type": row.content_type,
                "updated": _iso(row.updated),
                **_content(bytes(row.content), row.content_type),
            }
        )
    return found


# --- Retention ------------------------------------------------------------------------


@dataclass(frozen=True)
class ExpiredFile:
    """A practice-task file whose enrolment finished before the retention cutoff."""

    file_id: int
    storage_key: str
    enrolment_id: int
    #: When the enrolment finished: completed, or its cohort ended.
    finished_at: datetime


def _cohort_end(ends_on: date) -> datetime:
    """Return the end of a cohort's last day, in Denmark, as an aware datetime."""
    return datetime.combine(ends_on + timedelta(days=1), time(0), tzinfo=clock.LOCAL)


def expired_files(now: datetime, days: int) -> list[ExpiredFile]:
    """Return stored files of finished enrolments older than ``days`` at ``now``.

    An enrolment is finished when it is completed, or when a cohort of the learner
    on that module has ended; the earlier of the two counts. A file handed in after
    that (a renewal) waits until it is itself older than the period.
    """
    cutoff = now - timedelta(days=days)
    candidates = db.session.execute(
        db.select(SubmissionFile, Enrolment, ModuleVersion.slug)
        .join(Submission, Submission.id == SubmissionFile.submission_id)
        .join(Enrolment, Enrolment.id == Submission.enrolment_id)
        .join(ModuleVersion, ModuleVersion.id == Enrolment.module_version_id)
        .where(SubmissionFile.deleted_at.is_(None), SubmissionFile.created_at <= cutoff)
        .order_by(SubmissionFile.id)
    ).all()
    ends = _cohort_ends({enrolment.user_id for _f, enrolment, _s in candidates})
    found = []
    for attached, enrolment, slug in candidates:
        finishes = [enrolment.completed_at] if enrolment.completed_at else []
        finishes += [
            _cohort_end(day) for day in ends.get((enrolment.user_id, slug), [])
        ]
        finished = min(finishes, default=None)
        if finished is not None and finished <= cutoff:
            found.append(
                ExpiredFile(attached.id, attached.storage_key, enrolment.id, finished)
            )
    return found


def _cohort_ends(user_ids: set[int]) -> dict[tuple[int, str], list[date]]:
    """Return the end dates of the cohorts these learners were members of."""
    if not user_ids:
        return {}
    query = (
        db.select(cohort_members.c.user_id, Cohort.module_slug, Cohort.ends_on)
        .join(Cohort, Cohort.id == cohort_members.c.cohort_id)
        .where(
            and_(cohort_members.c.user_id.in_(user_ids), Cohort.ends_on.is_not(None))
        )
    )
    ends: dict[tuple[int, str], list[date]] = {}
    for user_id, slug, ends_on in db.session.execute(query).all():
        ends.setdefault((user_id, slug), []).append(ends_on)
    return ends


# --- Erasure --------------------------------------------------------------------------


def active_admins(excluding: User | None = None) -> int:
    """Return how many active admins there are, not counting one person."""
    from lms.models import UserRole

    query = (
        db.select(db.func.count(User.id))
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == "admin", User.active.is_(True))
    )
    if excluding is not None:
        query = query.where(User.id != excluding.id)
    return db.session.execute(query).scalar_one()
