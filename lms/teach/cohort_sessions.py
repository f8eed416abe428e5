"""The educator's session pages: schedule, change, cancel, record attendance.

The routes belong to the "cohorts" blueprint; times are entered and shown in the
educator's time zone (the app's, Europe/Copenhagen, unless they chose another), and
stored in UTC; each learner sees them in their own zone.
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_timezone, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from lms import cohort_queries
from lms.i18n import localized
from lms.learn.forms import ActionForm
from lms.models import ATTENDANCE_STATUSES, Cohort, CohortSession
from lms.operations import attendance as attendance_ops
from lms.operations import sessions as session_ops
from lms.teach.cohort_forms import SessionForm
from lms.teach.cohorts import bp, render_cohort, visible_cohort


def local_zone() -> ZoneInfo:
    """Return the zone in which times are entered and shown."""
    return ZoneInfo(str(get_timezone()))


def _session(cohort: Cohort, session_id: int) -> CohortSession:
    session = cohort_queries.session_in(cohort, session_id)
    if session is None:
        abort(404)
    return session


def _session_form(cohort: Cohort, session: CohortSession | None = None) -> SessionForm:
    zone = local_zone()
    activities = cohort_queries.countable_activities(cohort)
    form = SessionForm(
        zone=zone,
        today=datetime.now(zone).date(),
        kinds={a.key: a.kind for a in activities},
    )
    form.activity.choices = [("", _("Nothing: an extra session"))] + [
        (a.key, _activity_label(a)) for a in activities
    ]
    if session is not None:
        form.saved_start = session.starts_at
        if not form.is_submitted():
            local = session.starts_at.astimezone(zone)
            form.title.data, form.kind.data = session.title, session.kind
            counts_for = session_ops.counted_for(session)
            form.activity.data = ":".join(counts_for) if counts_for else ""
            form.day.data, form.at.data = local.date(), local.time()
            form.duration.data = session.duration_minutes
            form.meeting_url.data = session.meeting_url
    return form


def _activity_label(activity: cohort_queries.Countable) -> str:
    kind = _("webinar") if activity.kind == "webinar" else _("meeting")
    if activity.scope == "programme":
        return _(
            "%(title)s (%(kind)s of the programme)",
            title=localized(activity.title),
            kind=kind,
        )
    return _(
        "%(title)s (%(kind)s of the module)", title=localized(activity.title), kind=kind
    )


def _details(form: SessionForm) -> session_ops.SessionDetails:
    return session_ops.SessionDetails(
        kind=form.kind.data,
        counts_for=tuple(form.activity.data.split(":", 1))
        if form.activity.data
        else None,
        title=form.title.data.strip(),
        starts_at=form.starts_at,
        duration_minutes=form.duration.data,
        meeting_url=form.meeting_url.data,
    )


@bp.route("/<int:cohort_id>/sessions/new", methods=["GET", "POST"])
def schedule(cohort_id: int):
    """Schedule a webinar or meeting for the cohort."""
    cohort = visible_cohort(cohort_id)
    form = _session_form(cohort)
    if form.validate_on_submit():
        session_ops.schedule_session(cohort, _details(form), current_user)
        flash(_("The session has been scheduled."), "success")
        return redirect(url_for("cohorts.show", cohort_id=cohort.id))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "cohorts/session_form.html", form=form, cohort=cohort, session=None
    ), status


@bp.route("/<int:cohort_id>/sessions/<int:session_id>/edit", methods=["GET", "POST"])
def edit_session(cohort_id: int, session_id: int):
    """Change a session's time, link or title."""
    cohort = visible_cohort(cohort_id)
    session = _session(cohort, session_id)
    if session.cancelled_at is not None:
        abort(409)
    form, status = _session_form(cohort, session), 200
    if form.validate_on_submit():
        try:
            session_ops.edit_session(session, _details(form), current_user)
        except session_ops.SessionError:
            form.activity.errors.append(
                _("Attendance is recorded, so what the session counts for is fixed.")
            )
            status = 409
        else:
            flash(_("The session has been saved."), "success")
            return redirect(url_for("cohorts.show", cohort_id=cohort.id))
    elif form.is_submitted():
        status = 400
    return render_template(
        "cohorts/session_form.html", form=form, cohort=cohort, session=session
    ), status


@bp.post("/<int:cohort_id>/sessions/<int:session_id>/cancel")
def cancel_session(cohort_id: int, session_id: int):
    """Cancel a session that has no recorded attendance."""
    cohort = visible_cohort(cohort_id)
    session = _session(cohort, session_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        session_ops.cancel_session(session, current_user)
    except session_ops.SessionError:
        return render_cohort(
            cohort,
            409,
            session_error=_(
                "Attendance is recorded for “%(title)s”, so it cannot be cancelled.",
                title=session.title,
            ),
        )
    flash(_("The session has been cancelled."), "success")
    return redirect(url_for("cohorts.show", cohort_id=cohort.id))


def _posted_statuses() -> tuple[dict[int, str], bool]:
    """Read status-<user id> fields; return them and whether all were well formed."""
    statuses, good = {}, True
    for name, value in request.form.items():
        if not name.startswith("status-"):
            continue
        try:
            statuses[int(name.removeprefix("status-"))] = value
        except ValueError:
            good = False
        good = good and value in ATTENDANCE_STATUSES
    return statuses, good


_ATTENDANCE_ERRORS = {
    "not_started": 409,
    "cancelled": 409,
    "not_member": 400,
    "status": 400,
    "module_unavailable": 409,
}


def _attendance_message(code: str) -> str:
    return {
        "not_started": _("Attendance can be recorded once the session has begun."),
        "cancelled": _("The session is cancelled."),
        "not_member": _("Record attendance only for learners in this cohort."),
        "status": _("Choose attended, absent or excused."),
        "module_unavailable": _("The cohort's module is not published."),
    }[code]


@bp.route(
    "/<int:cohort_id>/sessions/<int:session_id>/attendance", methods=["GET", "POST"]
)
def attendance(cohort_id: int, session_id: int):
    """Record for every learner whether they attended, were absent or excused."""
    cohort = visible_cohort(cohort_id)
    session = _session(cohort, session_id)
    form, error, status = ActionForm(), None, 200
    started = session.starts_at <= datetime.now(UTC)
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        statuses, good = _posted_statuses()
        code = "status" if not good or not statuses else None
        if code is None:
            try:
                changed = attendance_ops.record_attendance(
                    session, statuses, current_user
                )
            except session_ops.SessionError as failure:
                code = failure.code
            else:
                flash(
                    ngettext(
                        "Attendance saved: %(num)d change.",
                        "Attendance saved: %(num)d changes.",
                        changed,
                    ),
                    "success",
                )
                return redirect(url_for("cohorts.show", cohort_id=cohort.id))
        error, status = _attendance_message(code), _ATTENDANCE_ERRORS[code]
    return render_template(
        "cohorts/attendance.html",
        cohort=cohort,
        session=session,
        members=cohort_queries.members_of(cohort),
        recorded=cohort_queries.attendance_of(session),
        posted=request.form,
        statuses=ATTENDANCE_STATUSES,
        started=started,
        form=form,
        error=error,
    ), status
