"""Certificate pages: the learner's own, downloads for managers, admin revocation."""

import logging
from datetime import UTC, datetime

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.audit import audit_now
from lms.auth.permissions import role_required
from lms.certificates import keys, queries
from lms.certificates.cli import certificates_cli
from lms.certificates.forms import ConfirmForm, RevokeForm
from lms.models import Certificate
from lms.operations import certificates as certificate_ops
from lms.storage import attachment

bp = Blueprint("certificates", __name__, url_prefix="/certificates")
log = logging.getLogger(__name__)
# At start: a signing key in the instance folder if there is none, and the commands.
bp.record_once(lambda state: keys.ensure_key_file(state.app))
bp.record_once(lambda state: state.app.cli.add_command(certificates_cli))


def _certificate(certificate_uuid: str) -> Certificate:
    found = queries.by_uuid(certificate_uuid)
    if found is None:
        abort(404)
    return found


def _readable(certificate: Certificate) -> Certificate:
    """Allow the holder, a manager of the holder's unit, and admins."""
    if not (
        certificate.holder_id == current_user.id
        or current_user.has_role("admin")
        or queries.may_manage(current_user, certificate.holder)
    ):
        abort(403)
    return certificate


def _audit_export(certificate: Certificate, fmt: str) -> None:
    """Record a download of someone else's certificate, by a manager or an admin."""
    if certificate.holder_id != current_user.id:
        detail = {"format": fmt, "holder_id": certificate.holder_id}
        audit_now(
            "certificate.export", "certificate", certificate.uuid, current_user, detail
        )


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = attachment(filename)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/")
@login_required
def mine():
    """List the signed-in person's certificates with their downloads."""
    rows = queries.rows_of(current_user.id, datetime.now(UTC))
    return render_template("certificates/mine.html", rows=rows)


@bp.get("/<certificate_uuid>/certificate.pdf")
@login_required
def pdf(certificate_uuid: str):
    """Download a certificate as a PDF."""
    certificate = _readable(_certificate(certificate_uuid))
    if certificate.holder_erased_at is not None:  # our copies named the holder
        abort(410)
    body = certificate_ops.pdf_of(certificate)
    _audit_export(certificate, "pdf")
    log.info("user %s downloaded certificate %s", current_user.id, certificate.id)
    return _download(body, "application/pdf", f"certificate-{certificate.code}.pdf")


@bp.get("/<certificate_uuid>/credential.json")
@login_required
def credential(certificate_uuid: str):
    """Download a certificate as a signed Open Badges 3.0 credential."""
    certificate = _readable(_certificate(certificate_uuid))
    if certificate.holder_erased_at is not None:
        abort(410)
    _audit_export(certificate, "credential")
    return _download(
        certificate.credential.encode("utf-8"),
        "application/vc+ld+json",
        f"certificate-{certificate.code}.json",
    )


@bp.get("/admin/")
@role_required("admin")
def admin():
    """Find certificates by code or holder, to revoke one."""
    term = request.args.get("q", "").strip()
    found = queries.search(term) if term else queries.recent()
    return render_template(
        "certificates/admin.html", certificates=found, term=term, now=datetime.now(UTC)
    )


@bp.route("/admin/<certificate_uuid>/revoke", methods=["GET", "POST"])
@role_required("admin")
def revoke(certificate_uuid: str):
    """Revoke a certificate with a reason; the holder and managers are told."""
    certificate = _certificate(certificate_uuid)
    form = RevokeForm()
    if certificate.revoked_at is None and form.validate_on_submit():
        certificate_ops.revoke(certificate, current_user, form.reason.data.strip())
        flash(_("The certificate was revoked."), "success")
        return redirect(url_for("certificates.admin", q=certificate.code))
    status = 200
    if certificate.revoked_at is not None and form.is_submitted():
        status = 409
    elif form.is_submitted() and form.errors:
        status = 400
    return render_template(
        "certificates/revoke.html", certificate=certificate, form=form
    ), status


@bp.route("/admin/keys", methods=["GET", "POST"])
@role_required("admin")
def signing_keys():
    """Show the signing keys (public halves only) and rotate to a new key."""
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            key = certificate_ops.rotate_key(current_user)
        except keys.KeyUnavailable as error:
            log.warning("key rotation refused: %s", type(error).__name__)
            flash(
                _("The key is set by configuration and cannot be rotated here."),
                "error",
            )
        else:
            flash(_("A new signing key is active: %(kid)s.", kid=key.kid), "success")
        return redirect(url_for("certificates.signing_keys"))
    return render_template(
        "certificates/keys.html",
        keys=keys.published_keys(),
        form=form,
        did=keys.issuer_did(),
    )
