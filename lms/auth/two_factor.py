"""Two-step verification (TOTP): the code step of sign-in, enrolment and turning off."""

import logging

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.auth import signin, throttle, totp
from lms.auth.forms import CodeForm, DisableTwoFactorForm
from lms.auth.permissions import role_required
from lms.auth.views import bp
from lms.operations import accounts
from lms.operations import two_factor as two_factor_ops

log = logging.getLogger(__name__)


def _wrong_code() -> str:
    return _("The code is wrong or was already used. Wait for the next code.")


@bp.route("/login/code", methods=["GET", "POST"])
@throttle.login_per_ip
@throttle.code_per_account
def login_code():
    """Ask for the TOTP code after a right password; only then sign in."""
    waiting = signin.pending()
    if waiting is None:
        flash(_("Please log in again."), "info")
        return redirect(url_for("auth.login"))
    user, next_url = waiting
    form = CodeForm()
    if form.validate_on_submit():
        if accounts.is_locked(user):
            return _locked_out()
        if two_factor_ops.accept_code(user, form.code.data):
            return signin.start_session(user, next_url)
        if accounts.record_failed_sign_in(user):
            return _locked_out()
        log.info("wrong sign-in code for user %s", user.id)
        form.code.errors.append(_wrong_code())
        return render_template("auth/login_code.html", form=form), 401
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login_code.html", form=form), status


def _locked_out():
    signin.clear_pending()
    flash(
        _(
            "Too many failed attempts: the account is locked for a while. "
            "We have sent you an email about it."
        ),
        "error",
    )
    return redirect(url_for("auth.login"))


@bp.get("/account/two-factor")
@role_required("admin")
def two_factor():
    """Show the state of two-step verification, the QR code while enrolling."""
    return _enrolment_page()


@bp.post("/account/two-factor/start")
@role_required("admin")
def two_factor_start():
    """Create a new secret to scan."""
    if not current_user.totp_enabled:
        two_factor_ops.start_enrolment(current_user)
    return redirect(url_for("auth.two_factor"))


@bp.post("/account/two-factor/confirm")
@role_required("admin")
def two_factor_confirm():
    """Turn two-step verification on with a first code."""
    form = CodeForm()
    user = current_user._get_current_object()
    if form.validate_on_submit():
        if two_factor_ops.confirm_enrolment(user, form.code.data):
            signin.renew_session(user)
            flash(_("Two-step verification is on."), "success")
            return redirect(url_for("auth.account"))
        form.code.errors.append(_wrong_code())
    return _enrolment_page(confirm=form), 400


@bp.post("/account/two-factor/disable")
@role_required("admin")
def two_factor_disable():
    """Turn two-step verification off with the password and a current code."""
    form = DisableTwoFactorForm()
    user = current_user._get_current_object()
    if form.validate_on_submit():
        if not user.check_password(form.password.data):
            form.password.errors.append(_("The password is wrong."))
        elif not two_factor_ops.accept_code(user, form.code.data):
            form.code.errors.append(_wrong_code())
        else:
            two_factor_ops.disable(user, actor=user)
            flash(_("Two-step verification is off."), "success")
            return redirect(url_for("auth.two_factor"))
    return _enrolment_page(disable=form), 400


def _enrolment_page(confirm=None, disable=None) -> str:
    """Render the page: status, or the QR code and secret while enrolling."""
    user = current_user
    secret = two_factor_ops.pending_secret(user)
    qr = None
    if secret:
        qr = totp.qr_svg(
            totp.provisioning_uri(secret, user.email),
            _("QR code for your authenticator app"),
        )
    return render_template(
        "auth/two_factor.html",
        secret=totp.grouped(secret) if secret else None,
        qr=qr,
        confirm=confirm or CodeForm(),
        disable=disable or DisableTwoFactorForm(),
        required=signin.needs_enrolment(user),
    )
