"""The cohort overview: each learner against each activity of the cohort's module.

Statuses come from the progress projection (lms.records.load_state). An item is
overdue when the cohort has ended and a required activity is not done, or when a
session that counts for an activity is over and the learner neither attended it
(nor another session for the same activity) nor has the activity done.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import selectinload

from lms.cohort_queries import members_of, sessions_of
from lms.content import current_version, module_of
from lms.extensions import db
from lms.models import (
    Attendance,
    Cohort,
    CohortSession,
    Enrolment,
    ModuleVersion,
    Submission,
    User,
)
from lms.records import load_state
from modules import Activity, Module

NOT_STARTED, IN_PROGRESS, DONE = "not_started", "in_progress", "done"
#: The activity is not part of the module version the learner is pinned to.
NOT_IN_VERSION = "not_in_version"
#: Cohort dates are Danish calendar dates.
ZONE = ZoneInfo("Europe/Copenhagen")


@dataclass(frozen=True)
class Cell:
    """One learner's status on one activity."""

    activity: Activity
    status: str
    overdue: bool = False
    #: The version awaiting review, for a practice task.
    pending: Submission | None = None


@dataclass(frozen=True)
class MissedSession:
    """A past session the learner has no attendance for, and its record if any."""

    session: CohortSession
    #: "absent", "excused" or None when nothing was recorded.
    attendance: str | None


@dataclass(frozen=True)
class LearnerRow:
    """One learner's line of the overview."""

    learner: User
    enrolment: Enrolment | None
    cells: tuple[Cell, ...]
    last_activity: datetime | None
    missed_sessions: tuple[MissedSession, ...]
    pending: tuple[Submission, ...]

    @property
    def overdue_activities(self) -> tuple[Activity, ...]:
        """Return the required activities overdue after the cohort's end."""
        return tuple(cell.activity for cell in self.cells if cell.overdue)

    @property
    def overdue_count(self) -> int:
        """Return how many items are overdue."""
        return len(self.overdue_activities) + len(self.missed_sessions)


@dataclass(frozen=True)
class Overview:
    """The whole table for a cohort."""

    cohort: Cohort
    module: Module | None
    activities: tuple[Activity, ...]
    rows: tuple[LearnerRow, ...]
    #: Whether the cohort's end date has passed (in Danish time).
    ended: bool


def cohort_overview(cohort: Cohort, now: datetime | None = None) -> Overview:
    """Build the overview of every learner in the cohort at a moment."""
    now = now or datetime.now(UTC)
    version = current_version(cohort.module_slug)
    module = module_of(version) if version is not None else None
    activities = tuple(module.activities) if module is not None else ()
    ended = cohort.ends_on is not None and _today(now) > cohort.ends_on
    learners = members_of(cohort)
    enrolments = _enrolments(cohort.module_slug, learners)
    pending = _pending(enrolments.values())
    sessions = _past_sessions(cohort, now)
    attended, records = _attendance(sessions)
    rows = tuple(
        _row(
            learner,
            enrolments.get(learner.id),
            activities,
            ended,
            pending,
            [
                MissedSession(session, records.get((session.id, learner.id)))
                for session in sessions
                if _key(session) not in attended.get(learner.id, set())
            ],
        )
        for learner in learners
    )
    return Overview(cohort, module, activities, rows, ended)


def _today(now: datetime) -> date:
    return now.astimezone(ZONE).date()


def _enrolments(slug: str, learners: list[User]) -> dict[int, Enrolment]:
    """Return each learner's newest enrolment on the module, by user id."""
    if not learners:
        return {}
    query = (
        db.select(Enrolment)
        .join(ModuleVersion, Enrolment.module_version_id == ModuleVersion.id)
        .where(
            ModuleVersion.slug == slug,
            Enrolment.user_id.in_([learner.id for learner in learners]),
        )
        .order_by(Enrolment.enrolled_at, Enrolment.id)
        .options(selectinload(Enrolment.module_version))
    )
    return {e.user_id: e for e in db.session.execute(query).scalars()}


def _pending(enrolments: Iterable[Enrolment]) -> dict[int, list[Submission]]:
    """Return the submissions awaiting review, by enrolment id, oldest first."""
    ids = [enrolment.id for enrolment in enrolments]
    if not ids:
        return {}
    query = (
        db.select(Submission)
        .where(Submission.enrolment_id.in_(ids), Submission.status == "submitted")
        .order_by(Submission.submitted_at, Submission.id)
    )
    found: dict[int, list[Submission]] = {}
    for submission in db.session.execute(query).scalars():
        found.setdefault(submission.enrolment_id, []).append(submission)
    return found


def _past_sessions(cohort: Cohort, now: datetime) -> list[CohortSession]:
    """Return the cohort's sessions that are over and count for an activity."""
    return [
        session
        for session in sessions_of(cohort)
        if session.cancelled_at is None
        and session.activity_id is not None
        and session.ends_at <= now
    ]


def _key(session: CohortSession) -> tuple[str | None, str | None]:
    return (session.activity_scope, session.activity_id)


def _attendance(
    sessions: list[CohortSession],
) -> tuple[dict[int, set], dict[tuple[int, int], str]]:
    """Return what each learner attended (as activity keys) and every record."""
    if not sessions:
        return {}, {}
    by_id = {session.id: session for session in sessions}
    query = db.select(Attendance).where(Attendance.session_id.in_(list(by_id)))
    attended: dict[int, set] = {}
    records: dict[tuple[int, int], str] = {}
    for row in db.session.execute(query).scalars():
        records[(row.session_id, row.user_id)] = row.status
        if row.status == "attended":
            attended.setdefault(row.user_id, set()).add(_key(by_id[row.session_id]))
    return attended, records


def _row(
    learner: User,
    enrolment: Enrolment | None,
    activities: tuple[Activity, ...],
    ended: bool,
    pending: dict[int, list[Submission]],
    unattended: list[MissedSession],
) -> LearnerRow:
    state = load_state(enrolment) if enrolment is not None else None
    own = module_of(enrolment.module_version) if enrolment is not None else None
    waiting = pending.get(enrolment.id, []) if enrolment is not None else []
    cells = []
    for activity in activities:
        pinned = _same_activity(own, activity)
        if own is not None and pinned is None:
            cells.append(Cell(activity, NOT_IN_VERSION))
            continue
        progress = state.activities.get(activity.id) if state else None
        status = progress.status if progress else NOT_STARTED
        required = (pinned or activity).required
        latest = next((s for s in waiting if s.activity_id == activity.id), None)
        overdue = ended and required and status != DONE
        cells.append(Cell(activity, status, overdue, latest))
    statuses = {cell.activity.id: cell.status for cell in cells}
    missed = tuple(
        missed
        for missed in unattended
        if _key(missed.session)[0] != "module"
        or statuses.get(missed.session.activity_id) != DONE
    )
    return LearnerRow(
        learner,
        enrolment,
        tuple(cells),
        _last_activity(enrolment, state),
        missed,
        tuple(waiting),
    )


def _same_activity(module: Module | None, activity: Activity) -> Activity | None:
    if module is None:
        return None
    return next(
        (
            a
            for a in module.activities
            if a.id == activity.id and a.kind == activity.kind
        ),
        None,
    )


def _last_activity(enrolment: Enrolment | None, state) -> datetime | None:
    """Return when the projection last changed for the learner, or enrolment."""
    if enrolment is None:
        return None
    times = [activity.updated_at for activity in state.activities.values()]
    return max([enrolment.enrolled_at, *times])
