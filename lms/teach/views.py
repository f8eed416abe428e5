"""The educator's pages: the review queue and the review of a practice task."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms import queries
from lms.auth.permissions import role_required
from lms.content import module_of
from lms.operations import review as review_ops
from lms.operations.learning import LearningError
from lms.teach.forms import ReviewForm

bp = Blueprint("teach", __name__, url_prefix="/teach")


@bp.get("/")
@role_required("educator", "admin")
def queue():
    """List submissions awaiting review in the educator's cohorts, oldest first."""
    return render_template(
        "teach/queue.html", submissions=queries.review_queue(current_user)
    )


def _scores(rubric) -> tuple[dict[str, int], dict[str, str]]:
    scores, errors = {}, {}
    for criterion in rubric:
        raw = request.form.get(f"score-{criterion.id}", "").strip()
        try:
            value = int(raw)
        except ValueError:
            errors[criterion.id] = _("Give a score.")
            continue
        if not 0 <= value <= criterion.max_score:
            errors[criterion.id] = _(
                "The score must be between 0 and %(max)d.", max=criterion.max_score
            )
        scores[criterion.id] = value
    return scores, errors


@bp.route("/submissions/<uuid>", methods=["GET", "POST"])
@role_required("educator", "admin")
def review(uuid: str):
    """Score a submission against the rubric and approve or return it."""
    submission = queries.submission_by_uuid(uuid)
    if submission is None or not queries.may_review(current_user, submission):
        abort(404)
    module = module_of(submission.enrolment.module_version)
    activity = module.activity(submission.activity_id)
    form, score_errors, status = ReviewForm(), {}, 200
    if request.method == "POST":
        scores, score_errors = _scores(activity.content.rubric)
        if form.validate_on_submit() and not score_errors:
            try:
                review_ops.review(
                    submission,
                    current_user,
                    approve=form.decision.data == "approve",
                    feedback=form.feedback.data.strip(),
                    scores=scores,
                )
            except LearningError:
                flash(_("This submission has already been reviewed."), "error")
                return redirect(url_for("teach.queue"))
            flash(_("Your review has been saved."), "success")
            return redirect(url_for("teach.queue"))
        status = 400
    return render_template(
        "teach/review.html",
        submission=submission,
        module=module,
        activity=activity,
        form=form,
        score_errors=score_errors,
        values=request.form,
    ), status
