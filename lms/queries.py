"""Reads for the learner's and the educator's pages."""

from dataclasses import dataclass

from lms.content import current_versions, module_of
from lms.extensions import db
from lms.models import (
    Cohort,
    Enrolment,
    ModuleVersion,
    Submission,
    User,
    cohort_educators,
    cohort_members,
)
from lms.records import load_state
from modules import Activity, Module


@dataclass(frozen=True)
class ActivityRow:
    """One line of a module's activity list."""

    activity: Activity
    status: str  # "not_started", "in_progress" or "done"
    detail: dict


def enrolments_of(user: User) -> list[Enrolment]:
    """Return the user's enrolments, newest first."""
    query = (
        db.select(Enrolment)
        .filter_by(user_id=user.id)
        .order_by(Enrolment.enrolled_at.desc())
    )
    return list(db.session.execute(query).scalars())


def catalogue() -> list[tuple[ModuleVersion, Module]]:
    """Return every module open for enrolment, with its parsed package."""
    return [(version, module_of(version)) for version in current_versions()]


def activity_rows(enrolment: Enrolment | None, module: Module) -> list[ActivityRow]:
    """Return each activity of the module with the learner's status."""
    state = load_state(enrolment) if enrolment else None
    rows = []
    for activity in module.activities:
        progress = state.activities.get(activity.id) if state else None
        status = progress.status if progress else "not_started"
        rows.append(ActivityRow(activity, status, progress.detail if progress else {}))
    return rows


def next_activity(enrolment: Enrolment, module: Module) -> Activity:
    """Return where the learner should resume: the first required activity not done."""
    state = load_state(enrolment)
    for activity in module.activities:
        if activity.required and not state.done(activity.id):
            return activity
    if state.last_activity_id:
        return module.activity(state.last_activity_id)
    return module.activities[0]


def submission_by_uuid(uuid: str) -> Submission | None:
    """Return a submission by its public id."""
    query = db.select(Submission).filter_by(uuid=uuid)
    return db.session.execute(query).scalar_one_or_none()


def teaches(educator: User, learner: User, slug: str) -> bool:
    """Return whether the educator runs a cohort of this module with the learner."""
    query = (
        db.select(Cohort.id)
        .join(cohort_educators, cohort_educators.c.cohort_id == Cohort.id)
        .join(cohort_members, cohort_members.c.cohort_id == Cohort.id)
        .where(
            cohort_educators.c.user_id == educator.id,
            cohort_members.c.user_id == learner.id,
            Cohort.module_slug == slug,
        )
        .limit(1)
    )
    return db.session.execute(query).first() is not None


def may_review(user: User, submission: Submission) -> bool:
    """Return whether the user may see and decide on another learner's submission."""
    if user.has_role("admin"):
        return True
    enrolment = submission.enrolment
    return user.has_role("educator") and teaches(
        user, enrolment.user, enrolment.module_version.slug
    )
