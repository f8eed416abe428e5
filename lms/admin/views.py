"""The admin pages: users and their import."""

import logging

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from lms.admin.forms import ImportForm
from lms.auth.permissions import role_required
from lms.extensions import db
from lms.models import User
from lms.operations import users as user_ops

bp = Blueprint("admin", __name__, url_prefix="/admin")
log = logging.getLogger(__name__)


@bp.get("/users")
@role_required("admin")
def users():
    """List every user with their roles and unit."""
    everyone = db.session.execute(db.select(User).order_by(User.name)).scalars()
    return render_template("admin/users.html", users=list(everyone))


@bp.route("/users/import", methods=["GET", "POST"])
@role_required("admin")
def import_users():
    """Check a CSV of users and import it only when every row is good."""
    form, errors = ImportForm(), []
    if form.validate_on_submit():
        try:
            text = form.file.data.read().decode("utf-8")
        except UnicodeDecodeError:
            form.file.errors.append(_("The file must be UTF-8 encoded text."))
        else:
            rows, errors = user_ops.parse_csv(text)
            if not errors:
                count = user_ops.import_rows(rows, current_user)
                log.info("admin %s imported %d users", current_user.id, count)
                flash(
                    ngettext(
                        "%(num)d user imported.", "%(num)d users imported.", count
                    ),
                    "success",
                )
                return redirect(url_for("admin.users"))
    status = 400 if form.is_submitted() and (errors or form.errors) else 200
    return render_template("admin/import.html", form=form, errors=errors), status
