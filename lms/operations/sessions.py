"""The educator's writes on sessions: schedule, change and cancel them.

Attendance is recorded in lms.operations.attendance.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from urllib.parse import urlsplit

from lms.cohort_queries import countable_activities
from lms.extensions import db
from lms.models import (
    SESSION_KINDS,
    Attendance,
    Cohort,
    CohortSession,
    User,
)
from lms.models.cohorts import MAX_DURATION_MINUTES

log = logging.getLogger(__name__)


class SessionError(Exception):
    """A session change that is not allowed; ``code`` says which rule it breaks."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class SessionDetails:
    """What the educator enters for a session; starts_at is aware."""

    kind: str
    #: (scope, activity id) of the webinar or meeting it counts for, or None.
    counts_for: tuple[str, str] | None
    title: str
    starts_at: datetime
    duration_minutes: int
    meeting_url: str


def local_start(day: date, at: time, zone: tzinfo) -> datetime | None:
    """Return a local date and time as aware UTC; None if the clocks skip it.

    In the hour the clocks go forward a wall time does not exist; zoneinfo would
    quietly shift it, so it is refused. In the hour they go back, the first of the
    two moments is taken (fold=0).
    """
    moment = datetime.combine(day, at, tzinfo=zone)
    back = moment.astimezone(UTC).astimezone(zone)
    if back.replace(tzinfo=None) != moment.replace(tzinfo=None):
        return None
    return moment.astimezone(UTC)


def is_https_url(url: str) -> bool:
    """Return whether the text is an absolute https URL with a host."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if any(ord(char) < 33 or char == "\x7f" for char in url):
        return False
    return parts.scheme == "https" and bool(parts.hostname)


def check_details(cohort: Cohort, details: SessionDetails) -> None:
    """Raise SessionError when the details break a rule."""
    if details.kind not in SESSION_KINDS:
        raise SessionError("kind")
    if not 0 < details.duration_minutes <= MAX_DURATION_MINUTES:
        raise SessionError("duration")
    if not is_https_url(details.meeting_url):
        raise SessionError("url")
    if details.starts_at.tzinfo is None:
        raise SessionError("naive_time")
    if details.counts_for is not None:
        kinds = {(a.scope, a.id): a.kind for a in countable_activities(cohort)}
        if kinds.get(details.counts_for) != details.kind:
            raise SessionError("activity")


def schedule_session(
    cohort: Cohort, details: SessionDetails, educator: User
) -> CohortSession:
    """Schedule a webinar or meeting for the cohort."""
    check_details(cohort, details)
    session = CohortSession(cohort=cohort, created_by=educator)
    _apply(session, details)
    db.session.add(session)
    db.session.commit()
    log.info("user %s scheduled session %s", educator.id, session.id)
    return session


def edit_session(session: CohortSession, details: SessionDetails, editor: User) -> None:
    """Change a session; what it counts for is fixed once attendance is recorded."""
    if session.cancelled_at is not None:
        raise SessionError("cancelled")
    check_details(session.cohort, details)
    counts_for = (details.kind, details.counts_for)
    if counts_for != (session.kind, counted_for(session)) and has_attendance(session):
        raise SessionError("attendance_recorded")
    before = _fields(session)
    _apply(session, details)
    if _fields(session) != before:
        session.sequence += 1
    db.session.commit()
    log.info("user %s edited session %s", editor.id, session.id)


def cancel_session(session: CohortSession, by: User) -> None:
    """Cancel a session that has no recorded attendance; it stays on record."""
    if session.cancelled_at is not None:
        return
    if has_attendance(session):
        raise SessionError("attendance_recorded")
    session.cancelled_at = datetime.now(UTC)
    session.sequence += 1
    db.session.commit()
    log.info("user %s cancelled session %s", by.id, session.id)


def _apply(session: CohortSession, details: SessionDetails) -> None:
    session.kind = details.kind
    session.activity_scope, session.activity_id = details.counts_for or (None, None)
    session.title = details.title
    session.starts_at = details.starts_at.astimezone(UTC)
    session.duration_minutes = details.duration_minutes
    session.meeting_url = details.meeting_url


def counted_for(session: CohortSession) -> tuple[str, str] | None:
    """Return the (scope, activity id) the session counts for, or None."""
    if session.activity_scope is None or session.activity_id is None:
        return None
    return session.activity_scope, session.activity_id


def _fields(session: CohortSession) -> tuple:
    return (
        session.kind,
        counted_for(session),
        session.title,
        session.starts_at,
        session.duration_minutes,
        session.meeting_url,
    )


def has_attendance(session: CohortSession) -> bool:
    """Return whether any attendance is recorded for the session."""
    query = db.select(Attendance.user_id).filter_by(session_id=session.id).limit(1)
    return db.session.execute(query).first() is not None
