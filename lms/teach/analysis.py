"""The item analysis of quizzes, for educators of a cohort on the module and admins."""

from flask import Blueprint, abort, render_template
from flask_login import current_user

from lms import queries_analysis as queries
from lms.analysis import EASY, HARD, LOW_DISCRIMINATION, MIN_ANSWERS
from lms.auth.permissions import role_required
from lms.content import module_of

bp = Blueprint("analysis", __name__, url_prefix="/teach/analysis")


@bp.get("/")
@role_required("educator", "admin")
def index():
    """List the quizzes of the modules the user may analyse."""
    return render_template(
        "analysis/index.html", entries=queries.analysable_quizzes(current_user)
    )


@bp.get("/<slug>/<version>/<activity_id>")
@role_required("educator", "admin")
def quiz(slug: str, version: str, activity_id: str):
    """Show difficulty, discrimination and option counts for each question."""
    if not queries.may_analyse(current_user, slug):
        abort(403)
    module_version = queries.version_of(slug, version)
    if module_version is None:
        abort(404)
    module = module_of(module_version)
    activity = module.activity(activity_id)
    if activity is None or activity.kind != "quiz":
        abort(404)
    return render_template(
        "analysis/quiz.html",
        version=module_version,
        module=module,
        activity=activity,
        analysis=queries.quiz_analysis(current_user, module_version, activity),
        scoped_to_cohorts=not current_user.has_role("admin"),
        limits={
            "easy": EASY,
            "hard": HARD,
            "low": LOW_DISCRIMINATION,
            "few": MIN_ANSWERS,
        },
    )
