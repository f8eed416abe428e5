"""Reads for reviewing practice tasks: the queue, scoped to the reviewer's cohorts."""

from dataclasses import dataclass

from sqlalchemy import and_
from sqlalchemy.orm import selectinload

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


@dataclass(frozen=True)
class QueueEntry:
    """A submission awaiting review, with the reviewer's cohorts it comes from."""

    submission: Submission
    cohorts: tuple[Cohort, ...]


def _in_cohorts(user: User):
    """Select (submission, cohort) pairs where the learner is in a cohort of the
    submission's module that the user runs (any cohort for an admin)."""
    query = (
        db.select(Submission, Cohort)
        .join(Enrolment, Submission.enrolment_id == Enrolment.id)
        .join(ModuleVersion, Enrolment.module_version_id == ModuleVersion.id)
        .join(cohort_members, cohort_members.c.user_id == Enrolment.user_id)
        .join(
            Cohort,
            and_(
                Cohort.id == cohort_members.c.cohort_id,
                Cohort.module_slug == ModuleVersion.slug,
            ),
        )
    )
    if not user.has_role("admin"):
        query = query.join(
            cohort_educators, cohort_educators.c.cohort_id == Cohort.id
        ).where(cohort_educators.c.user_id == user.id)
    return query


def review_queue(user: User, cohort_id: int | None = None) -> list[QueueEntry]:
    """Return submissions awaiting the user's review, oldest first."""
    query = (
        _in_cohorts(user)
        .where(Submission.status == "submitted")
        .order_by(Submission.submitted_at, Submission.id, Cohort.name)
        .options(
            selectinload(Submission.enrolment).selectinload(Enrolment.user),
            selectinload(Submission.enrolment).selectinload(Enrolment.module_version),
        )
    )
    if cohort_id is not None:
        query = query.where(Cohort.id == cohort_id)
    entries: dict[int, list] = {}
    for submission, cohort in db.session.execute(query):
        entries.setdefault(submission.id, [submission]).append(cohort)
    return [QueueEntry(found[0], tuple(found[1:])) for found in entries.values()]


def cohorts_of(user: User, submission: Submission) -> list[Cohort]:
    """Return the user's cohorts the submission's learner takes its module in."""
    query = _in_cohorts(user).where(Submission.id == submission.id)
    return [cohort for _submission, cohort in db.session.execute(query)]
