"""The admin pages of LRS clients: list, create, change scopes, deactivate."""

import logging

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.admin.lrs_forms import ClientForm, ScopesForm, ToggleForm
from lms.auth.permissions import role_required
from lms.extensions import db
from lms.models import LRSClient
from lms.operations import lrs_clients as client_ops

bp = Blueprint("lrs_admin", __name__, url_prefix="/admin/lrs")
log = logging.getLogger(__name__)


@bp.route("/clients", methods=["GET", "POST"])
@role_required("admin")
def clients():
    """List the LRS clients and create one; its secret is shown only once."""
    form = ClientForm()
    if form.validate_on_submit():
        try:
            client, secret = client_ops.create_client(
                form.name.data,
                key=form.key.data or None,
                scopes=form.scopes.data,
                actor=current_user,
            )
        except client_ops.ClientError as error:
            # The form's validators catch everything else; the key may be taken.
            message = _("That key is already taken.") if error.field == "key" else None
            form.key.errors.append(message or error.message)
        else:
            log.info("admin %s created LRS client %s", current_user.id, client.id)
            return render_template(
                "lrs_admin/created.html", client=client, secret=secret
            )
    everyone = db.session.execute(
        db.select(LRSClient).order_by(LRSClient.created_at.desc())
    ).scalars()
    status = 400 if form.is_submitted() and form.errors else 200
    return render_template(
        "lrs_admin/clients.html", clients=list(everyone), form=form
    ), status


@bp.route("/clients/<int:client_id>", methods=["GET", "POST"])
@role_required("admin")
def client(client_id: int):
    """Show one client and change its scopes."""
    found = db.get_or_404(LRSClient, client_id)
    form = ScopesForm(data={"scopes": found.scopes})
    if form.validate_on_submit():
        client_ops.set_scopes(found, form.scopes.data, current_user)
        log.info("admin %s changed LRS client %s", current_user.id, found.id)
        flash(_("The scopes were saved."), "success")
        return redirect(url_for("lrs_admin.client", client_id=found.id))
    status = 400 if form.is_submitted() and form.errors else 200
    return render_template(
        "lrs_admin/client.html", client=found, form=form, toggle=ToggleForm()
    ), status


@bp.post("/clients/<int:client_id>/active")
@role_required("admin")
def toggle(client_id: int):
    """Deactivate an active client, or reactivate an inactive one."""
    found = db.get_or_404(LRSClient, client_id)
    if ToggleForm().validate_on_submit():
        client_ops.set_active(found, not found.active, current_user)
        log.info(
            "admin %s set LRS client %s active=%s",
            current_user.id,
            found.id,
            found.active,
        )
        flash(
            _("The client was reactivated.")
            if found.active
            else _("The client was deactivated. Its statements are kept."),
            "success",
        )
    return redirect(url_for("lrs_admin.client", client_id=found.id))
