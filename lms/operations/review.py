"""The educator's writes: reviewing practice tasks."""

import logging
from datetime import UTC, datetime

from lms import statements
from lms.extensions import db
from lms.models import Submission, User
from lms.operations.learning import LearningError, module_for
from lms.records import record
from modules import Criterion

log = logging.getLogger(__name__)


class ReviewError(LearningError):
    """A review that cannot be saved; ``code`` says why, ``criterion`` where."""

    def __init__(self, code: str, criterion: str | None = None) -> None:
        super().__init__(code if criterion is None else f"{code}: {criterion}")
        self.code = code
        self.criterion = criterion


def check_scores(rubric: tuple[Criterion, ...], scores: dict[str, int]) -> None:
    """Require one whole score per criterion, each within 0..max_score."""
    known = {criterion.id for criterion in rubric}
    for name in scores:
        if name not in known:
            raise ReviewError("unknown_criterion", name)
    for criterion in rubric:
        score = scores.get(criterion.id)
        if not isinstance(score, int) or isinstance(score, bool):
            raise ReviewError("score_missing", criterion.id)
        if not 0 <= score <= criterion.max_score:
            raise ReviewError("score_out_of_range", criterion.id)


def review(
    submission: Submission,
    educator: User,
    *,
    approve: bool,
    feedback: str,
    scores: dict[str, int],
) -> None:
    """Approve or return a submission with feedback and rubric scores, once.

    The decision is one conditional UPDATE, so of two requests racing (a double
    click), exactly one decides and records a statement; the other gets
    ReviewError("already_reviewed").
    """
    if submission.status != "submitted":
        raise ReviewError("already_reviewed")
    enrolment = submission.enrolment
    activity = module_for(enrolment).activity(submission.activity_id)
    rubric = activity.content.rubric
    check_scores(rubric, scores)
    decided = db.session.execute(
        db.update(Submission)
        .where(Submission.id == submission.id, Submission.status == "submitted")
        .values(
            status="approved" if approve else "returned",
            feedback=feedback,
            scores=dict(scores),
            reviewer_id=educator.id,
            reviewed_at=datetime.now(UTC),
        )
    )
    if decided.rowcount != 1:
        db.session.rollback()
        raise ReviewError("already_reviewed")
    db.session.refresh(submission)
    total, maximum = sum(scores.values()), sum(c.max_score for c in rubric)
    # ADL "passed" (not Activity Streams "approve"): the actor is the learner, who
    # passed the performance assessment; the educator is the context's instructor.
    record(
        enrolment,
        [
            statements.task_reviewed(
                enrolment, activity, educator, approve, total, maximum
            )
        ],
    )
    db.session.commit()
    log.info(
        "submission %s %s by user %s", submission.id, submission.status, educator.id
    )
