"""Privacy pages: download my data, and the admin's erasure of a person."""

import logging

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.auth.permissions import role_required
from lms.competence import clock
from lms.extensions import db
from lms.i18n import current_locale
from lms.models import User
from lms.privacy import export, operations, queries
from lms.privacy.downstream import actor_account, downstream_notice
from lms.privacy.forms import EraseForm, ExportForm

bp = Blueprint("privacy", __name__)
log = logging.getLogger(__name__)

#: Format -> (media type, file extension).
FORMATS = {"json": ("application/json", "json"), "csv": ("application/zip", "zip")}


@bp.post("/account/data.<fmt>")
@login_required
def export_data(fmt: str):
    """Download everything held about the signed-in person, as JSON or zipped CSV."""
    if fmt not in FORMATS or not ExportForm().validate_on_submit():
        abort(400 if fmt in FORMATS else 404)
    now = clock.now()
    document = queries.personal_data(current_user, now)
    body = (
        export.to_json(document)
        if fmt == "json"
        else export.to_zip(document, current_locale())
    )
    operations.record_export(current_user, fmt)
    media_type, extension = FORMATS[fmt]
    response = Response(body, mimetype=media_type)
    filename = f"my-data-{now.astimezone(clock.LOCAL).date().isoformat()}.{extension}"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _person(user_id: int) -> User:
    return db.get_or_404(User, user_id)


REFUSALS = {
    "self": lambda: _("You cannot erase your own account."),
    "last_admin": lambda: _("You cannot erase the last admin."),
}


@bp.route("/admin/users/<int:user_id>/erase", methods=["GET", "POST"])
@role_required("admin")
def erase(user_id: int):
    """Confirm and carry out the erasure of a person's personal data."""
    person = _person(user_id)
    form = EraseForm()
    refusal = None
    if person.erased_at is None:
        try:
            operations.check_erasable(person, current_user)
        except operations.ErasureRefused as refused:
            refusal = REFUSALS[refused.code]()
    status = 200
    if form.is_submitted():
        if person.erased_at is not None:
            flash(_("This person has already been erased."), "info")
            return redirect(url_for("privacy.erase", user_id=person.id))
        if refusal is not None:
            status = 409
        elif form.validate() and form.matches(person.email):
            operations.erase(person, current_user, form.reason.data.strip())
            flash(_("The person's personal data has been erased."), "success")
            return redirect(url_for("privacy.erase", user_id=person.id))
        else:
            status = 400
    home_page, account_name = actor_account(person)
    return render_template(
        "privacy/erase.html",
        person=person,
        form=form,
        refusal=refusal,
        notices=downstream_notice(person),
        home_page=home_page,
        account_name=account_name,
    ), status
