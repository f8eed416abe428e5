"""The admin pages of forwarding: external LRS endpoints and their queues."""

from datetime import UTC, datetime, time

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from lms.auth.permissions import role_required
from lms.extensions import db
from lms.forwarding import operations, queries
from lms.forwarding.forms import ActionForm, BackfillForm, EndpointForm
from lms.models import ForwardingEndpoint

bp = Blueprint("forwarding", __name__, url_prefix="/admin/forwarding")


def _status(form) -> int:
    return 400 if form.is_submitted() and form.errors else 200


def _save(form: EndpointForm, endpoint: ForwardingEndpoint | None):
    """Create or change the endpoint from a valid form; None if a field is wrong."""
    values = (form.name.data, form.url.data, form.username.data, form.secret.data)
    try:
        if endpoint is None:
            return operations.create_endpoint(*values, current_user)
        operations.update_endpoint(endpoint, *values, current_user)
        return endpoint
    except operations.EndpointError as error:
        db.session.rollback()
        getattr(form, error.field).errors.append(error.message)
        return None


@bp.get("/")
@role_required("admin")
def index():
    """List the endpoints with their backlog, last success and last error."""
    return render_template(
        "forwarding/index.html",
        endpoints=queries.endpoints(),
        now=datetime.now(UTC),
    )


@bp.route("/new", methods=["GET", "POST"])
@role_required("admin")
def new():
    """Add an endpoint."""
    form = EndpointForm()
    if form.validate_on_submit() and (saved := _save(form, None)):
        flash(
            _("The endpoint was added. New statements are forwarded to it."), "success"
        )
        return redirect(url_for("forwarding.endpoint", endpoint_id=saved.id))
    return render_template("forwarding/new.html", form=form), _status(form)


@bp.route("/<int:endpoint_id>", methods=["GET", "POST"])
@role_required("admin")
def endpoint(endpoint_id: int):
    """Show an endpoint's state and change its settings."""
    found = db.get_or_404(ForwardingEndpoint, endpoint_id)
    form = EndpointForm(obj=found, secret_required=False)
    if form.validate_on_submit() and _save(form, found):
        flash(_("The endpoint was saved."), "success")
        return redirect(url_for("forwarding.endpoint", endpoint_id=found.id))
    return render_template(
        "forwarding/endpoint.html",
        endpoint=found,
        backlog=queries.backlog_of(found),
        failed=queries.failed_statements(found),
        form=form,
        action=ActionForm(),
        backfill_form=BackfillForm(),
        now=datetime.now(UTC),
    ), _status(form)


def _act(endpoint_id: int, act) -> object:
    """Run one button's action on an endpoint if the CSRF token is good."""
    found = db.get_or_404(ForwardingEndpoint, endpoint_id)
    if ActionForm().validate_on_submit():
        act(found)
    else:
        flash(_("The form has expired. Please try again."), "error")
    return redirect(url_for("forwarding.endpoint", endpoint_id=endpoint_id))


@bp.post("/<int:endpoint_id>/retry")
@role_required("admin")
def retry(endpoint_id: int):
    """Clear the backoff so the next worker round sends at once."""

    def act(found):
        operations.retry_now(found, current_user)
        flash(
            _("The endpoint will be tried again at the next worker round."), "success"
        )

    return _act(endpoint_id, act)


@bp.post("/<int:endpoint_id>/requeue")
@role_required("admin")
def requeue(endpoint_id: int):
    """Queue the statements that were set aside again."""

    def act(found):
        count = operations.requeue_failed(found, current_user)
        flash(
            ngettext(
                "%(num)d statement was queued again.",
                "%(num)d statements were queued again.",
                count,
            ),
            "success",
        )

    return _act(endpoint_id, act)


@bp.post("/<int:endpoint_id>/backfill")
@role_required("admin")
def backfill(endpoint_id: int):
    """Queue the stored statements the endpoint has not got yet."""
    found = db.get_or_404(ForwardingEndpoint, endpoint_id)
    form = BackfillForm()
    if not form.validate_on_submit():
        problems = form.since.errors or [_("The form has expired. Please try again.")]
        for problem in problems:
            flash(problem, "error")
        return redirect(url_for("forwarding.endpoint", endpoint_id=endpoint_id))
    day = form.since.data
    since = datetime.combine(day, time(), UTC) if day else None
    count = operations.backfill(found, since, current_user)
    flash(
        ngettext(
            "%(num)d earlier statement was queued for this endpoint.",
            "%(num)d earlier statements were queued for this endpoint.",
            count,
        ),
        "success",
    )
    return redirect(url_for("forwarding.endpoint", endpoint_id=endpoint_id))


@bp.post("/<int:endpoint_id>/active")
@role_required("admin")
def toggle(endpoint_id: int):
    """Deactivate an active endpoint, or reactivate an inactive one."""

    def act(found):
        operations.set_active(found, not found.active, current_user)
        flash(
            _("The endpoint was reactivated.")
            if found.active
            else _(
                "The endpoint was deactivated. New statements are not queued for it."
            ),
            "success",
        )

    return _act(endpoint_id, act)


@bp.post("/<int:endpoint_id>/test")
@role_required("admin")
def test(endpoint_id: int):
    """Ask the endpoint's /about and say what it answered."""

    def act(found):
        ok, message = operations.test_connection(found, current_user)
        if ok:
            flash(
                _(
                    "The endpoint answered. xAPI versions: %(versions)s",
                    versions=message,
                ),
                "success",
            )
        else:
            flash(
                _("The endpoint did not answer as an LRS: %(error)s", error=message),
                "error",
            )

    return _act(endpoint_id, act)


@bp.route("/<int:endpoint_id>/delete", methods=["GET", "POST"])
@role_required("admin")
def delete(endpoint_id: int):
    """Confirm, then delete an endpoint and its queue."""
    found = db.get_or_404(ForwardingEndpoint, endpoint_id)
    form = ActionForm()
    if form.validate_on_submit():
        name = found.name
        unsent = operations.delete_endpoint(found, current_user)
        flash(
            ngettext(
                "Deleted %(name)s; %(num)d unsent statement was dropped.",
                "Deleted %(name)s; %(num)d unsent statements were dropped.",
                unsent,
                name=name,
            ),
            "success",
        )
        return redirect(url_for("forwarding.index"))
    return render_template(
        "forwarding/delete.html",
        endpoint=found,
        backlog=queries.backlog_of(found),
        form=form,
    )
