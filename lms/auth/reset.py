"""Forgotten password: ask for a one-time link by mail, then choose a new password."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from lms.auth import throttle
from lms.auth.forms import (
    ForgotPasswordForm,
    NewPasswordForm,
    password_hint,
    policy_messages,
)
from lms.auth.views import bp
from lms.operations import accounts


def _link(token: str) -> str:
    return current_app.config["LMS_BASE_URL"] + url_for(
        "auth.reset_password", token=token
    )


@bp.route("/login/forgot", methods=["GET", "POST"])
@throttle.reset_per_ip
@throttle.reset_per_account
def forgot_password():
    """Mail a reset link; the answer is the same whether the email has an account."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        accounts.request_reset(form.email.data, _link)
        flash(
            _(
                "If an account uses that address, we have sent a link to it. "
                "The link works once, for %(minutes)d minutes.",
                minutes=current_app.config["LMS_PASSWORD_RESET_MINUTES"],
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/forgot.html", form=form), status


@bp.route("/login/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Choose a new password with a link from the mail."""
    user = accounts.user_for_reset(token)
    if user is None:
        return _private(render_template("auth/reset_invalid.html"), 404)
    form = NewPasswordForm()
    form.account_email = user.email
    if form.validate_on_submit():
        try:
            done = accounts.reset_password(token, form.new.data)
        except accounts.PasswordRejected as rejected:
            form.new.errors.extend(policy_messages(rejected.codes))
        else:
            if done is None:  # used by another request a moment ago
                return _private(render_template("auth/reset_invalid.html"), 404)
            if current_user.is_authenticated:
                logout_user()
            flash(_("Your password has been changed. Log in with it now."), "success")
            return redirect(url_for("auth.login"))
    status = 400 if request.method == "POST" else 200
    page = render_template("auth/reset.html", form=form, hint=password_hint())
    return _private(page, status)


def _private(body: str, status: int):
    """Keep the token out of caches and of Referer headers to other sites."""
    return body, status, {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
