"""The learner's programme pages: the list, one programme, and enrolling on it."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms import programmes
from lms.learn.forms import ActionForm
from lms.operations.programmes import ProgrammeError, enrol_programme

bp = Blueprint("programmes", __name__, url_prefix="/learn/programmes")


@bp.before_request
@login_required
def _signed_in():
    """Every programme page needs a signed-in user."""


@bp.get("/")
def index():
    """List the programmes open for enrolment."""
    return render_template(
        "programmes/index.html", entries=programmes.catalogue(current_user)
    )


@bp.get("/<slug>")
def programme(slug: str):
    """Show a programme with the learner's own progress on its modules and sessions."""
    overview = programmes.overview(current_user, slug)
    if overview is None:
        abort(404)
    return render_template(
        "programmes/programme.html", overview=overview, form=ActionForm()
    )


@bp.post("/<slug>/enrol")
def enrol(slug: str):
    """Enrol the learner on a programme and on each of its modules."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        enrol_programme(current_user, slug)
    except ProgrammeError:
        abort(404)
    flash(_("You are enrolled on the programme and on each of its modules."), "success")
    return redirect(url_for("programmes.programme", slug=slug))
