"""The educator's cohort pages: my cohorts, a cohort, its learners.

Only the cohort's educators and admins see a cohort; to anyone else holding the
educator role it does not exist (404). The session pages are in cohort_sessions.
"""

import logging

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from lms import cohort_queries
from lms.auth.permissions import role_required
from lms.content import current_versions
from lms.extensions import db
from lms.i18n import current_locale
from lms.ids import parse_id
from lms.learn.forms import ActionForm
from lms.models import Cohort, User
from lms.operations import cohorts as cohort_ops
from lms.programmes import current_programmes
from lms.teach.cohort_forms import CohortForm, MemberFileForm

bp = Blueprint("cohorts", __name__, url_prefix="/teach/cohorts")
log = logging.getLogger(__name__)


@bp.before_request
@role_required("educator", "admin")
def _educators_only():
    """Every cohort page is for educators and admins."""


def visible_cohort(cohort_id: int) -> Cohort:
    """Return the cohort if the signed-in user runs it; 404 otherwise."""
    cohort = cohort_queries.cohort_for(current_user, cohort_id)
    if cohort is None:
        abort(404)
    return cohort


@bp.get("/")
def index():
    """List the cohorts the educator runs."""
    return render_template(
        "cohorts/index.html", cohorts=cohort_queries.cohorts_for(current_user)
    )


def _module_choices() -> list[tuple[str, str]]:
    locale = current_locale()
    return [(v.slug, v.title(locale)) for v in current_versions()]


def _cohort_form(cohort: Cohort | None = None) -> CohortForm:
    form = CohortForm()
    locale = current_locale()
    form.module.choices = [("", _("Choose a module"))] + _module_choices()
    form.programme.choices = [("", _("No programme"))] + [
        (version.slug, version.title(locale)) for version in current_programmes()
    ]
    if cohort is not None and not form.is_submitted():
        form.name.data = cohort.name
        form.module.data = cohort.module_slug
        form.programme.data = cohort.programme_slug or ""
        form.starts_on.data = cohort.starts_on
        form.ends_on.data = cohort.ends_on
    return form


def _details(form: CohortForm) -> cohort_ops.CohortDetails:
    return cohort_ops.CohortDetails(
        name=form.name.data.strip(),
        module_slug=form.module.data,
        programme_slug=form.programme.data or None,
        starts_on=form.starts_on.data,
        ends_on=form.ends_on.data,
    )


def _cohort_error(form: CohortForm, error: cohort_ops.CohortError) -> int:
    """Put the rule a cohort broke on its field; return the status."""
    field, message, status = {
        "unknown_module": (form.module, _("Choose one of the modules."), 400),
        "unknown_programme": (form.programme, _("Choose one of the programmes."), 400),
        "module_not_in_programme": (
            form.module,
            _("The module is not part of the chosen programme."),
            400,
        ),
        "ends_before_start": (
            form.ends_on,
            _("The end date must be on or after the start date."),
            400,
        ),
        "has_sessions": (
            form.module,
            _("The cohort has sessions, so its module and programme are fixed."),
            409,
        ),
    }[error.code]
    field.errors.append(message)
    return status


@bp.route("/new", methods=["GET", "POST"])
def create():
    """Create a cohort; the educator who creates it runs it."""
    form, status = _cohort_form(), 200
    if form.validate_on_submit():
        try:
            cohort = cohort_ops.create_cohort(_details(form), current_user)
        except cohort_ops.CohortError as error:
            status = _cohort_error(form, error)
        else:
            flash(_("The cohort has been created."), "success")
            return redirect(url_for("cohorts.show", cohort_id=cohort.id))
    elif form.is_submitted():
        status = 400
    return render_template("cohorts/form.html", form=form, cohort=None), status


@bp.route("/<int:cohort_id>/edit", methods=["GET", "POST"])
def edit(cohort_id: int):
    """Change a cohort's name, module or programme, and dates."""
    cohort = visible_cohort(cohort_id)
    form, status = _cohort_form(cohort), 200
    if form.validate_on_submit():
        try:
            cohort_ops.edit_cohort(cohort, _details(form), current_user)
        except cohort_ops.CohortError as error:
            status = _cohort_error(form, error)
        else:
            flash(_("The cohort has been saved."), "success")
            return redirect(url_for("cohorts.show", cohort_id=cohort.id))
    elif form.is_submitted():
        status = 400
    return render_template("cohorts/form.html", form=form, cohort=cohort), status


def render_cohort(cohort: Cohort, status: int = 200, **extra):
    """Render the cohort page: learners, search, file upload and sessions."""
    query = request.args.get("q", "").strip()
    found = cohort_queries.search_learners(cohort, query) if len(query) >= 2 else None
    titles = dict(_module_choices())
    return render_template(
        "cohorts/cohort.html",
        cohort=cohort,
        module_title=titles.get(cohort.module_slug, cohort.module_slug),
        members=cohort_queries.members_of(cohort),
        sessions=cohort_queries.sessions_of(cohort),
        query=query,
        found=found,
        action_form=ActionForm(),
        file_form=extra.pop("file_form", None) or MemberFileForm(formdata=None),
        **extra,
    ), status


@bp.get("/<int:cohort_id>")
def show(cohort_id: int):
    """Show a cohort with its learners and sessions, and find learners to add."""
    return render_cohort(visible_cohort(cohort_id))


def _posted_ids(name: str) -> list[int]:
    ids = [parse_id(value) for value in request.form.getlist(name)]
    if None in ids:
        abort(400)
    return ids


@bp.post("/<int:cohort_id>/members")
def add_members(cohort_id: int):
    """Add the learners chosen from a search."""
    cohort = visible_cohort(cohort_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    ids = _posted_ids("user_id")
    learners = cohort_ops.addable_learners(ids)
    if not ids or set(ids) - set(learners):
        return render_cohort(
            cohort, 400, add_error=_("Choose one or more learners from the list.")
        )
    added = cohort_ops.add_members(cohort, learners.values(), current_user)
    flash(
        ngettext("%(num)d learner added.", "%(num)d learners added.", added),
        "success",
    )
    return redirect(url_for("cohorts.show", cohort_id=cohort.id))


def _line_message(error: cohort_ops.LineError) -> str:
    messages = {
        "invalid": _("“%(value)s” is not a valid email address.", value=error.value),
        "unknown": _("No user has the email address %(value)s.", value=error.value),
        "not_learner": _("%(value)s is not a learner.", value=error.value),
        "inactive": _("The account %(value)s is deactivated.", value=error.value),
        "empty_file": _("The file has no email addresses."),
    }
    return _(
        "Line %(line)d: %(message)s", line=error.line, message=messages[error.code]
    )


@bp.post("/<int:cohort_id>/members/file")
def add_from_file(cohort_id: int):
    """Add learners from a file of emails; nothing is added if any line is bad."""
    cohort = visible_cohort(cohort_id)
    form = MemberFileForm()
    if not form.validate_on_submit():
        return render_cohort(cohort, 400, file_form=form)
    try:
        text = form.file.data.read().decode("utf-8")
    except UnicodeDecodeError:
        form.file.errors.append(_("The file must be UTF-8 encoded text."))
        return render_cohort(cohort, 400, file_form=form)
    learners, errors = cohort_ops.parse_member_file(text)
    if errors:
        return render_cohort(
            cohort,
            400,
            file_form=form,
            file_errors=[_line_message(error) for error in errors],
        )
    added = cohort_ops.add_members(cohort, learners, current_user)
    flash(
        ngettext("%(num)d learner added.", "%(num)d learners added.", added),
        "success",
    )
    return redirect(url_for("cohorts.show", cohort_id=cohort.id))


@bp.post("/<int:cohort_id>/members/<int:user_id>/remove")
def remove_member(cohort_id: int, user_id: int):
    """Take a learner out of the cohort."""
    cohort = visible_cohort(cohort_id)
    learner = db.session.get(User, user_id)
    if learner is None or learner not in cohort.members:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    cohort_ops.remove_member(cohort, learner, current_user)
    flash(_("%(name)s has left the cohort.", name=learner.name), "success")
    return redirect(url_for("cohorts.show", cohort_id=cohort.id))


from lms.teach import cohort_sessions  # noqa: E402,F401  (its routes join bp)
