"""Statements of a programme itself, made with the programme enrolment's registration.

The programme is `{base}/xapi/activities/programme/{slug}` (type course), and each of
its sessions is `{base}/xapi/activities/programme/{slug}/{kind}/{id}` (type meeting),
where kind is "meeting" or "webinar". Module statements carry the programme in their
grouping instead (lms.statements).
"""

from datetime import UTC, datetime

from flask import has_request_context

from lms.i18n import current_locale
from lms.models import ProgrammeEnrolment, User
from lms.statements import base_url
from modules import Programme, ProgrammeActivity
from xapi import builders as b


def programme_iri(programme: Programme) -> str:
    """Return the activity IRI of a programme."""
    return b.ActivityIds(base_url()).programme(programme.slug)


def session_iri(programme: Programme, activity: ProgrammeActivity) -> str:
    """Return the activity IRI of a meeting or webinar of a programme."""
    return b.ActivityIds(base_url()).programme_activity(
        programme.slug, activity.kind, activity.id
    )


def _statement(enrolment: ProgrammeEnrolment, verb: str, obj: dict, **parts) -> dict:
    return b.statement(
        b.actor(base_url(), enrolment.user.uuid),
        verb,
        obj,
        timestamp=datetime.now(UTC),
        **parts,
    )


def _context(enrolment: ProgrammeEnrolment, **extra) -> dict:
    # Attendance may be recorded outside a request (a command, a job): no UI language.
    language = current_locale() if has_request_context() else None
    return b.Context(
        base_url(), registration=enrolment.uuid, language=language, **extra
    ).as_dict()


def programme_object(programme: Programme) -> dict:
    """Return the statement object for a programme."""
    return b.activity_object(
        programme_iri(programme),
        "course",
        name=programme.title,
        description=programme.summary,
    )


def registered(enrolment: ProgrammeEnrolment, programme: Programme) -> dict:
    """Build the statement for enrolling on a programme."""
    return _statement(
        enrolment,
        "registered",
        programme_object(programme),
        context=_context(enrolment),
    )


def attended(
    enrolment: ProgrammeEnrolment,
    programme: Programme,
    activity: ProgrammeActivity,
    educator: User,
) -> dict:
    """Build the statement that the learner attended a session, with the educator."""
    obj = b.activity_object(
        session_iri(programme, activity), "meeting", name=activity.title
    )
    context = _context(
        enrolment, parent_id=programme_iri(programme), instructor_uuid=educator.uuid
    )
    return _statement(enrolment, "attended", obj, context=context)


def completed(enrolment: ProgrammeEnrolment, programme: Programme) -> dict:
    """Build the statement that the programme's completion rule is met."""
    return _statement(
        enrolment,
        "completed",
        programme_object(programme),
        context=_context(enrolment),
        result=b.result(completion=True, success=True),
    )


def voided(enrolment: ProgrammeEnrolment, statement_id: str, actor: dict) -> dict:
    """Build the statement by which actor voids a statement of the enrolment."""
    return b.statement(
        actor,
        "voided",
        {"objectType": "StatementRef", "id": statement_id},
        context=b.Context(base_url(), registration=enrolment.uuid).as_dict(),
        timestamp=datetime.now(UTC),
    )
