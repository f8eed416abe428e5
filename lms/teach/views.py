"""The educator's pages: the review queue and the review of a practice task."""

from babel.units import format_unit
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from lms import cohort_queries, queries, review_queries
from lms.auth.permissions import role_required
from lms.content import module_of
from lms.i18n import localized
from lms.ids import parse_id
from lms.models import Submission
from lms.operations import learning
from lms.operations import review as review_ops
from lms.teach.forms import ReviewForm

bp = Blueprint("teach", __name__, url_prefix="/teach")


@bp.app_template_filter("file_size")
def file_size(size: int) -> str:
    """Format a file size in the UI language, as "218 B", "1,2 kB" or "9,5 MB"."""
    for unit, scale in (("megabyte", 10**6), ("kilobyte", 10**3)):
        if size >= scale:
            return format_unit(
                size / scale,
                f"digital-{unit}",
                length="short",
                format="#,##0.#",
                locale=get_locale(),
            )
    return format_unit(size, "digital-byte", length="short", locale=get_locale())


def _chosen_cohort():
    """Return the cohort the queue is filtered by, if any; 404 if not the user's."""
    raw = request.args.get("cohort", "").strip()
    if not raw:
        return None
    cohort_id = parse_id(raw)
    cohort = cohort_queries.cohort_for(current_user, cohort_id) if cohort_id else None
    if cohort is None:
        abort(404)
    return cohort


@bp.get("/")
@role_required("educator", "admin")
def queue():
    """List submissions awaiting review in the educator's cohorts, oldest first."""
    cohort = _chosen_cohort()
    entries = review_queries.review_queue(
        current_user, cohort.id if cohort is not None else None
    )
    return render_template(
        "teach/queue.html",
        entries=entries,
        cohorts=cohort_queries.cohorts_for(current_user),
        chosen=cohort,
    )


def _scores(rubric) -> tuple[dict[str, int], dict[str, str]]:
    """Read one score per criterion; errors name the criterion and its range."""
    scores, errors = {}, {}
    for criterion in rubric:
        raw = request.form.get(f"score-{criterion.id}", "").strip()
        title = localized(criterion.title) or criterion.id
        if not (raw.isascii() and raw.isdigit()):
            errors[criterion.id] = _(
                "Give a whole number from 0 to %(max)d for “%(criterion)s”.",
                max=criterion.max_score,
                criterion=title,
            )
            continue
        # Compare lengths first: int() refuses numbers of 4300 digits and more.
        digits, most = raw.lstrip("0") or "0", criterion.max_score
        if len(digits) > len(str(most)) or int(digits) > most:
            errors[criterion.id] = _(
                "The score for “%(criterion)s” must be between 0 and %(max)d.",
                max=criterion.max_score,
                criterion=title,
            )
            continue
        scores[criterion.id] = int(digits)
    return scores, errors


def _reviewable(uuid: str) -> Submission:
    submission = queries.submission_by_uuid(uuid)
    if submission is None or not queries.may_review(current_user, submission):
        abort(404)
    return submission


def _decided_notice(submission: Submission) -> str:
    name = submission.reviewer.name if submission.reviewer else "–"
    if submission.status == "approved":
        return _(
            "This submission was already approved by %(name)s. "
            "Your request changed nothing.",
            name=name,
        )
    return _(
        "This submission was already returned for revision by %(name)s. "
        "Your request changed nothing.",
        name=name,
    )


def _page(submission: Submission, form: ReviewForm, status: int = 200, **extra):
    module = module_of(submission.enrolment.module_version)
    activity = module.activity(submission.activity_id)
    return render_template(
        "teach/review.html",
        submission=submission,
        module=module,
        activity=activity,
        versions=learning.submissions(submission.enrolment, activity),
        cohorts=review_queries.cohorts_of(current_user, submission),
        form=form,
        score_errors=extra.pop("score_errors", {}),
        values=request.form,
        **extra,
    ), status


@bp.route("/submissions/<uuid>", methods=["GET", "POST"])
@role_required("educator", "admin")
def review(uuid: str):
    """Score a submission against the rubric and approve or return it."""
    submission = _reviewable(uuid)
    form = ReviewForm()
    if request.method == "GET":
        return _page(submission, form)
    if submission.status != "submitted":
        return _page(submission, form, 409, notice=_decided_notice(submission))
    rubric = (
        module_of(submission.enrolment.module_version)
        .activity(submission.activity_id)
        .content.rubric
    )
    scores, score_errors = _scores(rubric)
    if not form.validate_on_submit() or score_errors:
        return _page(submission, form, 400, score_errors=score_errors)
    try:
        review_ops.review(
            submission,
            current_user,
            approve=form.decision.data == "approve",
            feedback=form.feedback.data.strip(),
            scores=scores,
        )
    except review_ops.ReviewError as error:
        if error.code != "already_reviewed":  # the checks above should catch it
            problem = {error.criterion or "": _("Check this score.")}
            return _page(submission, form, 400, score_errors=problem)
        submission = _reviewable(uuid)
        return _page(submission, form, 409, notice=_decided_notice(submission))
    if form.decision.data == "approve":
        flash(
            _("The practice task is approved. The learner can see your feedback."),
            "success",
        )
    else:
        flash(
            _("The practice task is returned for revision with your feedback."),
            "success",
        )
    return redirect(url_for("teach.queue"))
