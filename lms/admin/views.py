"""The admin pages: users and their import."""

import logging
from datetime import UTC, datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from lms.admin.forms import ImportForm
from lms.auth.permissions import role_required
from lms.extensions import db
from lms.models import User
from lms.operations import accounts
from lms.operations import users as user_ops

bp = Blueprint("admin", __name__, url_prefix="/admin")
log = logging.getLogger(__name__)


@bp.get("/users")
@role_required("admin")
def users():
    """List every user with their roles and unit; ?status=locked shows lockouts."""
    now, locked_only = datetime.now(UTC), request.args.get("status") == "locked"
    query = db.select(User).order_by(User.name)
    if locked_only:
        query = query.where(User.locked_until > now)
    everyone = db.session.execute(query).scalars()
    return render_template(
        "admin/users.html", users=list(everyone), now=now, locked_only=locked_only
    )


@bp.post("/users/<int:user_id>/unlock")
@role_required("admin")
def unlock_user(user_id: int):
    """Lift the lockout of an account after failed sign-ins (audited)."""
    user = db.get_or_404(User, user_id)
    if accounts.unlock(user, current_user):
        flash(_("The account of %(name)s is unlocked.", name=user.name), "success")
    else:
        flash(_("The account of %(name)s was not locked.", name=user.name), "info")
    return redirect(url_for("admin.users", status=request.form.get("status") or None))


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
