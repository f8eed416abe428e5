"""The learner's sessions: upcoming webinars and meetings, and their calendar files.

A learner sees only sessions of the cohorts they belong to; any other session id,
including in a calendar URL, is not found.
"""

from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, render_template
from flask_login import current_user, login_required

from lms import cohort_queries, ical
from lms.statements import base_url

bp = Blueprint("sessions", __name__, url_prefix="/learn/sessions")


@bp.before_request
@login_required
def _signed_in():
    """Every session page needs a signed-in user."""


@bp.app_template_global()
def upcoming_sessions(limit: int = 3) -> list:
    """Return the signed-in user's next sessions, for the dashboard."""
    if not current_user.is_authenticated:
        return []
    return cohort_queries.upcoming_for(current_user, limit)


@bp.get("/")
def index():
    """List the upcoming sessions of the learner's cohorts."""
    return render_template(
        "sessions/index.html", sessions=cohort_queries.upcoming_for(current_user)
    )


@bp.get("/<int:session_id>.ics")
def calendar_file(session_id: int):
    """Download one session as an iCalendar file."""
    session = cohort_queries.member_session(current_user, session_id)
    if session is None:
        abort(404)
    host = urlsplit(base_url()).hostname or "lms"
    event = ical.Event(
        uid=f"{session.uuid}@{host}",
        summary=session.title,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        url=session.meeting_url,
        description=f"{session.cohort.name}\n{session.meeting_url}",
        sequence=session.sequence,
        cancelled=session.cancelled_at is not None,
    )
    return Response(
        ical.calendar([event]),
        mimetype="text/calendar",
        headers={
            "Content-Disposition": f'attachment; filename="session-{session.id}.ics"',
            "X-Content-Type-Options": "nosniff",
        },
    )
