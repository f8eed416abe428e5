"""The cohort overview for its educators: learners × activities, and as CSV.

Only the cohort's educators and admins see it; to any other educator the cohort
does not exist (404), and other roles are refused (403).
"""

import csv
import io
import re
from datetime import UTC, datetime

from flask import Blueprint, abort, render_template, send_file, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user

from lms import cohort_queries
from lms.audit import audit_now
from lms.auth.permissions import role_required
from lms.cohort_overview import (
    DONE,
    IN_PROGRESS,
    NOT_IN_VERSION,
    NOT_STARTED,
    LearnerRow,
    Overview,
    cohort_overview,
)
from lms.i18n import localized
from lms.models import Cohort

bp = Blueprint("overview", __name__, url_prefix="/teach/cohorts")

#: Spreadsheets run cells that start with these as formulas.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@bp.before_request
@role_required("educator", "admin")
def _educators_only():
    """Every overview page is for educators and admins."""


def _cohort(cohort_id: int) -> Cohort:
    cohort = cohort_queries.cohort_for(current_user, cohort_id)
    if cohort is None:
        abort(404)
    return cohort


def status_labels() -> dict[str, str]:
    """Return the text of each status, in the UI language."""
    return {
        NOT_STARTED: _("Not started"),
        IN_PROGRESS: _("In progress"),
        DONE: _("Done"),
        NOT_IN_VERSION: _("Not in the learner's version"),
    }


@bp.get("/<int:cohort_id>/overview")
def show(cohort_id: int):
    """Show every learner of the cohort against every activity of its module."""
    overview = cohort_overview(_cohort(cohort_id))
    return render_template(
        "teach/overview.html", overview=overview, labels=status_labels()
    )


@bp.get("/<int:cohort_id>/overview.csv")
def export(cohort_id: int):
    """Download the overview as CSV for Excel: UTF-8 with BOM, one learner a row."""
    now = datetime.now(UTC)
    overview = cohort_overview(_cohort(cohort_id), now)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(_header(overview))
    for row in overview.rows:
        writer.writerow([_cell(value) for value in _line(row, status_labels())])
    body = io.BytesIO(("\ufeff" + text.getvalue()).encode("utf-8"))
    detail = {"format": "csv", "rows": len(overview.rows)}
    audit_now("export.cohort_overview", "cohort", cohort_id, current_user, detail)
    stamp = format_datetime(now, "yyyy-MM-dd-HHmm")
    label = _("overview")
    name = f"{_file_part(overview.cohort.name)}-{_file_part(label)}-{stamp}"
    return send_file(
        body,
        mimetype="text/csv; charset=utf-8",
        as_attachment=True,
        download_name=f"{name}.csv",
        max_age=0,
    )


def _header(overview: Overview) -> list[str]:
    return [
        _("Learner"),
        _("Email"),
        *[_cell(localized(activity.title)) for activity in overview.activities],
        _("Last activity"),
        _("Overdue"),
        _("Awaiting review"),
    ]


def _line(row: LearnerRow, labels: dict[str, str]) -> list[str]:
    overdue = [localized(activity.title) for activity in row.overdue_activities]
    overdue += [
        _("%(title)s on %(date)s", title=missed.session.title, date=_when(missed))
        for missed in row.missed_sessions
    ]
    return [
        row.learner.name,
        row.learner.email,
        *[
            labels[cell.status] + (f" ({_('overdue')})" if cell.overdue else "")
            for cell in row.cells
        ],
        format_datetime(row.last_activity, "yyyy-MM-dd HH:mm")
        if row.last_activity
        else "",
        "; ".join(overdue),
        " ".join(
            url_for("teach.review", uuid=submission.uuid, _external=True)
            for submission in row.pending
        ),
    ]


def _when(missed) -> str:
    return format_datetime(missed.session.starts_at, "yyyy-MM-dd HH:mm")


def _cell(value: str) -> str:
    """Keep a spreadsheet from reading a value as a formula."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _file_part(name: str) -> str:
    words = re.sub(r"[^\w]+", "-", name).strip("-_")
    return words[:60] or "cohort"
