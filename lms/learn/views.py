"""The learner's pages: dashboard, catalogue, modules and their activities."""

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from assessments import AttemptLimitReached, attempts_left, grade_attempt, present
from lms import queries
from lms.content import current_version, module_of
from lms.extensions import db
from lms.i18n import current_locale
from lms.learn.forms import ActionForm, TaskForm
from lms.learn.quizform import read_responses
from lms.markdown import render
from lms.models import Enrolment, ModuleFile, ModuleVersion, QuizAttempt
from lms.operations import learning
from lms.operations.recertification import counted_attempts, may_hand_in_again
from lms.package_media import media_response, media_type
from lms.programmes import programme_enrolments_of
from lms.records import load_state
from lms.storage import MissingFile, download
from lms.uploads import MAX_FILE_BYTES, CheckedUpload, UploadError, check_upload

bp = Blueprint("learn", __name__, url_prefix="/learn")


@bp.before_request
@login_required
def _signed_in():
    """Every learner page needs a signed-in user."""


def _enrolment(slug: str) -> Enrolment:
    enrolment = learning.find_enrolment(current_user, slug)
    if enrolment is None:
        abort(404)
    return enrolment


def _activity(enrolment: Enrolment, activity_id: str, kind: str | None = None):
    module = module_of(enrolment.module_version)
    activity = next((a for a in module.activities if a.id == activity_id), None)
    if activity is None or (kind is not None and activity.kind != kind):
        abort(404)
    return module, activity


@bp.get("/")
def dashboard():
    """Show the learner's enrolments with progress and a way to resume."""
    rows = [
        (enrolment, module_of(enrolment.module_version))
        for enrolment in queries.enrolments_of(current_user)
    ]
    programme_rows = programme_enrolments_of(current_user.id)
    return render_template("learn/dashboard.html", rows=rows, programmes=programme_rows)


@bp.get("/catalogue")
def catalogue():
    """List the modules open for enrolment."""
    enrolled = {e.module_version.slug for e in queries.enrolments_of(current_user)}
    return render_template(
        "learn/catalogue.html", entries=queries.catalogue(), enrolled=enrolled
    )


@bp.get("/modules/<slug>")
def module(slug: str):
    """Show a module's objectives and activities with the learner's progress."""
    enrolment = learning.find_enrolment(current_user, slug)
    version = enrolment.module_version if enrolment else current_version(slug)
    if version is None:
        abort(404)
    package = module_of(version)
    return render_template(
        "learn/module.html",
        module=package,
        version=version,
        enrolment=enrolment,
        rows=queries.activity_rows(enrolment, package),
        form=ActionForm(),
    )


@bp.post("/modules/<slug>/enrol")
def enrol(slug: str):
    """Enrol the learner on a module."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        enrolment = learning.enrol(current_user, slug)
    except learning.LearningError:
        abort(404)
    first = module_of(enrolment.module_version).activities[0]
    flash(_("You are enrolled. Good luck!"), "success")
    return redirect(url_for("learn.activity", slug=slug, activity_id=first.id))


@bp.get("/modules/<slug>/resume")
def resume(slug: str):
    """Continue where the learner left off."""
    enrolment = _enrolment(slug)
    activity = queries.next_activity(enrolment, module_of(enrolment.module_version))
    return redirect(url_for("learn.activity", slug=slug, activity_id=activity.id))


@bp.get("/modules/<slug>/v<int:version_id>/media/<path:path>")
def media(slug: str, version_id: int, path: str):
    """Serve an image from a published package."""
    version = db.get_or_404(ModuleVersion, version_id)
    if version.slug != slug or not path.startswith("media/"):
        abort(404)
    row = db.session.get(ModuleFile, (version_id, path))
    if row is None or media_type(path) is None:
        abort(404)
    return media_response(path, row.content)


@bp.get("/modules/<slug>/<activity_id>")
def activity(slug: str, activity_id: str):
    """Show one activity of the module."""
    enrolment = learning.find_enrolment(current_user, slug)
    if enrolment is None:
        flash(_("Enrol on the module to start its activities."), "info")
        return redirect(url_for("learn.module", slug=slug))
    module, activity = _activity(enrolment, activity_id)
    learning.open_activity(enrolment, activity)
    view = _ACTIVITY_VIEWS.get(activity.kind, _scheduled)
    return view(enrolment, module, activity)


def _page(template: str, enrolment, module, activity, status: int = 200, **extra):
    rows = queries.activity_rows(enrolment, module)
    index = next(i for i, row in enumerate(rows) if row.activity.id == activity.id)
    following = rows[index + 1].activity if index + 1 < len(rows) else None
    return render_template(
        template,
        enrolment=enrolment,
        module=module,
        activity=activity,
        row=rows[index],
        following=following,
        progress=enrolment.progress_percent,
        form=extra.pop("form", ActionForm()),
        **extra,
    ), status


def _lesson(enrolment, module, activity):
    version = enrolment.module_version
    media = url_for("learn.media", slug=module.slug, version_id=version.id, path="")
    html = render(activity.content.markdown[current_locale()], media.rstrip("/"))
    return _page("learn/lesson.html", enrolment, module, activity, html=html)


def _case(enrolment, module, activity, status=200, error=None):
    return _page(
        "learn/case.html",
        enrolment,
        module,
        activity,
        status,
        case=activity.content,
        answers=learning.case_answers(enrolment, activity),
        error=error,
    )


def _quiz(enrolment, module, activity):
    attempts = learning.quiz_attempts(enrolment, activity)
    used = len([a for a in counted_attempts(enrolment, attempts) if a.finished_at])
    return _page(
        "learn/quiz.html",
        enrolment,
        module,
        activity,
        quiz=activity.content,
        attempts=attempts,
        left=attempts_left(activity.content, used),
    )


def _task(enrolment, module, activity, form=None, status=200):
    return _page(
        "learn/task.html",
        enrolment,
        module,
        activity,
        status,
        task=activity.content,
        submissions=learning.submissions(enrolment, activity),
        task_form=form or TaskForm(),
        renewing=may_hand_in_again(
            enrolment, learning.submissions(enrolment, activity)
        ),
    )


def _scheduled(enrolment, module, activity):
    return _page("learn/scheduled.html", enrolment, module, activity)


_ACTIVITY_VIEWS = {
    "lesson": _lesson,
    "case": _case,
    "quiz": _quiz,
    "practice_task": _task,
}


@bp.post("/modules/<slug>/<activity_id>/read")
def read(slug: str, activity_id: str):
    """Mark a lesson as read and go on."""
    enrolment = _enrolment(slug)
    module, activity = _activity(enrolment, activity_id, "lesson")
    if not ActionForm().validate_on_submit():
        abort(400)
    learning.mark_read(enrolment, activity)
    return redirect(url_for("learn.resume", slug=slug))


@bp.post("/modules/<slug>/<activity_id>/case")
def case_answer(slug: str, activity_id: str):
    """Record the learner's choice in a case step and show its feedback."""
    enrolment = _enrolment(slug)
    module, activity = _activity(enrolment, activity_id, "case")
    if not ActionForm().validate_on_submit():
        abort(400)
    step_id, option_id = request.form.get("step", ""), request.form.get("option", "")
    if not option_id:
        return _case(
            enrolment,
            module,
            activity,
            400,
            error=(step_id, _("Choose one of the options.")),
        )
    try:
        learning.answer_case_step(enrolment, activity, step_id, option_id)
    except learning.LearningError:
        abort(400)
    return redirect(
        url_for(
            "learn.activity",
            slug=slug,
            activity_id=activity_id,
            _anchor=f"step-{step_id}",
        )
    )


@bp.post("/modules/<slug>/<activity_id>/attempts")
def quiz_start(slug: str, activity_id: str):
    """Start (or continue) an attempt at a quiz."""
    enrolment = _enrolment(slug)
    module, activity = _activity(enrolment, activity_id, "quiz")
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        attempt = learning.start_quiz(enrolment, activity)
    except AttemptLimitReached:
        flash(_("You have used all your attempts at this quiz."), "error")
        return redirect(url_for("learn.activity", slug=slug, activity_id=activity_id))
    return redirect(
        url_for(
            "learn.quiz_attempt",
            slug=slug,
            activity_id=activity_id,
            number=attempt.number,
        )
    )


def _attempt(enrolment, activity, number: int) -> QuizAttempt:
    attempt = next(
        (a for a in learning.quiz_attempts(enrolment, activity) if a.number == number),
        None,
    )
    if attempt is None:
        abort(404)
    return attempt


@bp.route(
    "/modules/<slug>/<activity_id>/attempts/<int:number>", methods=["GET", "POST"]
)
def quiz_attempt(slug: str, activity_id: str, number: int):
    """Show the questions of an attempt and grade the answers."""
    enrolment = _enrolment(slug)
    module, activity = _activity(enrolment, activity_id, "quiz")
    attempt = _attempt(enrolment, activity, number)
    if attempt.finished_at is not None:
        return redirect(
            url_for(
                "learn.quiz_result", slug=slug, activity_id=activity_id, number=number
            )
        )
    form, errors, status = ActionForm(), {}, 200
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        responses, errors = read_responses(activity.content, request.form)
        if not errors:
            learning.submit_quiz(enrolment, activity, attempt, responses)
            return redirect(
                url_for(
                    "learn.quiz_result",
                    slug=slug,
                    activity_id=activity_id,
                    number=number,
                )
            )
        status = 400
    return render_template(
        "learn/attempt.html",
        enrolment=enrolment,
        module=module,
        activity=activity,
        quiz=activity.content,
        attempt=attempt,
        form=form,
        errors=errors,
        questions={q.id: q for q in activity.content.questions},
        presentation=present(activity.content, attempt.seed),
        values=request.form,
    ), status


@bp.get("/modules/<slug>/<activity_id>/attempts/<int:number>/result")
def quiz_result(slug: str, activity_id: str, number: int):
    """Show the score of a finished attempt with feedback on every answer."""
    enrolment = _enrolment(slug)
    module, activity = _activity(enrolment, activity_id, "quiz")
    attempt = _attempt(enrolment, activity, number)
    if attempt.finished_at is None:
        abort(404)
    quiz = activity.content
    responses = {
        q.id: q.parse_response(attempt.responses[q.id])
        for q in quiz.questions
        if q.id in (attempt.responses or {})
    }
    graded = grade_attempt(quiz, responses)
    used = len(
        [a for a in learning.quiz_attempts(enrolment, activity) if a.finished_at]
    )
    return render_template(
        "learn/result.html",
        enrolment=enrolment,
        module=module,
        activity=activity,
        quiz=quiz,
        attempt=attempt,
        graded=graded,
        responses=responses,
        questions={q.id: q for q in quiz.questions},
        left=attempts_left(quiz, used),
        form=ActionForm(),
        presentation=present(quiz, attempt.seed),
    )


def _upload_message(code: str) -> str:
    if code == "too_large":
        return _(
            "The attached file is larger than %(limit)d MB. Choose a smaller file.",
            limit=MAX_FILE_BYTES // 2**20,
        )
    if code == "empty":
        return _("The attached file is empty. Choose another file.")
    return _(
        "The attached file must be a PDF, an image (PNG, JPEG or WebP) or an office "
        "document (docx, xlsx, pptx, odt, ods or odp) without macros."
    )


def _checked_file(form: TaskForm) -> CheckedUpload | None:
    """Return the attached file once checked; a refused file becomes a field error."""
    chosen = form.file.data
    if not chosen or not chosen.filename:
        return None
    try:
        return check_upload(chosen.stream, chosen.filename)
    except UploadError as error:
        form.file.errors.append(_upload_message(error.code))
        return None


@bp.post("/modules/<slug>/<activity_id>/submissions")
def task_submit(slug: str, activity_id: str):
    """Hand in a practice task, with an optional file."""
    enrolment = _enrolment(slug)
    module, activity = _activity(enrolment, activity_id, "practice_task")
    form = TaskForm()
    valid = form.validate_on_submit()
    upload = _checked_file(form)
    words = len((form.text.data or "").split())
    if valid and words < activity.content.min_words:
        form.text.errors.append(
            _(
                "Write at least %(count)d words (you have %(words)d).",
                count=activity.content.min_words,
                words=words,
            )
        )
    if not valid or form.text.errors or form.file.errors:
        return _task(enrolment, module, activity, form, 400)
    try:
        learning.submit_task(enrolment, activity, form.text.data.strip(), upload)
    except learning.LearningError:
        form.text.errors.append(
            _("Your earlier hand-in is waiting for review or already approved.")
        )
        return _task(enrolment, module, activity, form, 409)
    flash(_("Your practice task has been handed in for review."), "success")
    return redirect(url_for("learn.activity", slug=slug, activity_id=activity_id))


@bp.get("/submissions/<uuid>")
def submission(uuid: str):
    """Show one handed-in version to its author, or to an educator of the cohort."""
    found = queries.submission_by_uuid(uuid)
    if found is None:
        abort(404)
    own = found.enrolment.user_id == current_user.id
    if not own and not queries.may_review(current_user, found):
        abort(404)
    module = module_of(found.enrolment.module_version)
    return render_template(
        "learn/submission.html",
        submission=found,
        module=module,
        activity=module.activity(found.activity_id),
        state=load_state(found.enrolment),
    )


@bp.get("/submissions/<uuid>/file")
def submission_file(uuid: str):
    """Download the file of one version, for its author or a reviewer only."""
    found = queries.submission_by_uuid(uuid)
    if found is None or found.file is None:
        abort(404)
    own = found.enrolment.user_id == current_user.id
    if not own and not queries.may_review(current_user, found):
        abort(404)
    attached = found.file
    if attached.deleted_at is not None:  # past retention, or the learner erased
        abort(410)
    try:
        return download(
            attached.storage_key,
            content_type=attached.content_type,
            filename=attached.filename,
        )
    except MissingFile:
        abort(404)
