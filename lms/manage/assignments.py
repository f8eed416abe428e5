"""Required training: assign a module or programme to a unit, and withdraw it."""

import logging

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from lms.competence import queries as q
from lms.extensions import db
from lms.i18n import current_locale
from lms.jobroles import JOB_ROLES, job_role_name
from lms.manage import bp
from lms.manage.access import manager_scope, unit_in_scope
from lms.manage.forms import ActionForm, AssignmentForm
from lms.models import Assignment
from lms.operations.assignments import (
    AssignmentError,
    create_assignment,
    withdraw_assignment,
)

log = logging.getLogger(__name__)


def _form() -> AssignmentForm:
    form = AssignmentForm()
    locale = current_locale()
    form.target.choices = [SelectChoice("", _("Choose…"))] + [
        SelectChoice(f"{kind}:{slug}", version.title(locale))
        for (kind, slug), version in sorted(
            q.titles().items(), key=lambda i: i[0][::-1]
        )
    ]
    form.job_roles.choices = [
        SelectChoice(key, job_role_name(key, locale)) for key in JOB_ROLES
    ]
    return form


def _messages() -> dict[str, str]:
    return {
        "unknown_kind": _("Choose a module or programme from the list."),
        "unknown_module": _("Choose a module or programme from the list."),
        "unknown_programme": _("Choose a module or programme from the list."),
        "unknown_job_role": _("Choose job roles from the list."),
    }


@bp.route("/units/<int:unit_id>/assignments", methods=["GET", "POST"])
@login_required
def assignments(unit_id: int):
    """List the unit's required training and assign new training to it."""
    scope = manager_scope()
    found = unit_in_scope(scope, unit_id)
    form = _form()
    if form.validate_on_submit():
        kind, _sep, slug = form.target.data.partition(":")
        try:
            assignment = create_assignment(
                current_user,
                found.id,
                kind,
                slug,
                form.due_on.data,
                include_subunits=form.include_subunits.data,
                job_roles=form.job_roles.data,
            )
        except AssignmentError as error:
            getattr(form, error.field).errors.append(_messages()[error.code])
        else:
            flash(_("The training is assigned and the staff are enrolled."), "success")
            return redirect(
                url_for("manage.assignments", unit_id=found.id, made=assignment.id)
            )
    status = 400 if form.is_submitted() and form.errors else 200
    return render_template(
        "manage/assignments.html",
        scope=scope,
        unit=found,
        form=form,
        action=ActionForm(),
        made=q.assignments_made_in(scope.below(found.id)),
        summaries={
            s.assignment.id: s for s in q.assignment_summaries(scope.below(found.id))
        },
        titles=q.titles(),
    ), status


@bp.post("/assignments/<int:assignment_id>/withdraw")
@login_required
def withdraw(assignment_id: int):
    """Withdraw an assignment; enrolments and records are kept."""
    scope = manager_scope()
    assignment = db.get_or_404(Assignment, assignment_id)
    unit_in_scope(scope, assignment.unit_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    withdraw_assignment(current_user, assignment)
    flash(_("The assignment is withdrawn. Enrolments and records are kept."), "success")
    return redirect(url_for("manage.assignments", unit_id=assignment.unit_id))
