"""The admin pages of role profiles: which competences each job role needs."""

import logging

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from lms.auth.permissions import role_required
from lms.competence.profiles import role_profiles
from lms.content import framework
from lms.forms import Form
from lms.i18n import localized
from lms.jobroles import JOB_ROLES
from lms.operations.role_profiles import ProfileError, save_profile

bp = Blueprint("role_profiles", __name__, url_prefix="/admin/role-profiles")
log = logging.getLogger(__name__)


def field_name(competence_id: str) -> str:
    """Return the form field name of a competence (ids hold dots and hyphens)."""
    return "c_" + competence_id.replace(".", "__").replace("-", "_")


def profile_form(levels: dict[str, int]) -> Form:
    """Build the form with one level choice per competence of the framework."""
    choices = [SelectChoice("0", _l("Not required"))] + [
        SelectChoice(str(level.value), f"{level.value} – {localized(level.name)}")
        for level in framework().levels
    ]

    class ProfileForm(Form):
        pass

    for area in framework().areas:
        for competence in area.competences:
            setattr(
                ProfileForm,
                field_name(competence.id),
                SelectField(
                    localized(competence.name),
                    choices=choices,
                    default=str(levels.get(competence.id, 0)),
                ),
            )
    return ProfileForm()


@bp.get("/")
@role_required("admin")
def index():
    """List every job role with its required competences."""
    return render_template(
        "role_profiles/index.html", profiles=role_profiles(), job_roles=JOB_ROLES
    )


@bp.route("/<job_role>", methods=["GET", "POST"])
@role_required("admin")
def edit(job_role: str):
    """Change which competences a job role needs, and at which level."""
    if job_role not in JOB_ROLES:
        abort(404)
    form = profile_form(role_profiles().get(job_role, {}))
    if form.validate_on_submit():
        levels = {
            competence.id: int(form[field_name(competence.id)].data)
            for area in framework().areas
            for competence in area.competences
        }
        try:
            save_profile(current_user, job_role, levels)
        except ProfileError:
            abort(400)
        flash(_("The role profile was saved."), "success")
        return redirect(url_for("role_profiles.index"))
    status = 400 if form.is_submitted() and form.errors else 200
    return render_template(
        "role_profiles/edit.html",
        form=form,
        job_role=job_role,
        field_name=field_name,
        job_role_names=JOB_ROLES,
    ), status
