"""The educator's writes: reviewing practice tasks."""

import logging
from datetime import UTC, datetime

from lms import statements
from lms.extensions import db
from lms.models import Submission, User
from lms.operations.learning import LearningError, module_for
from lms.records import record

log = logging.getLogger(__name__)


def review(
    submission: Submission,
    educator: User,
    *,
    approve: bool,
    feedback: str,
    scores: dict[str, int],
) -> None:
    """Approve or return a submission with feedback and rubric scores."""
    if submission.status != "submitted":
        raise LearningError("already reviewed")
    enrolment = submission.enrolment
    activity = module_for(enrolment).activity(submission.activity_id)
    rubric = activity.content.rubric
    for criterion in rubric:
        if not 0 <= scores.get(criterion.id, -1) <= criterion.max_score:
            raise LearningError(f"score out of range: {criterion.id}")
    submission.status = "approved" if approve else "returned"
    submission.feedback = feedback
    submission.scores = scores
    submission.reviewer_id = educator.id
    submission.reviewed_at = datetime.now(UTC)
    total, maximum = sum(scores.values()), sum(c.max_score for c in rubric)
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
