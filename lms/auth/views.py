"""Sign in, sign out, password and language."""

import logging
import math
import time

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from lms.auth import signin, throttle
from lms.auth.forms import (
    LanguageForm,
    LoginForm,
    PasswordForm,
    TimeZoneForm,
    password_hint,
)
from lms.extensions import db, limiter, login_manager
from lms.models import User
from lms.operations import accounts

bp = Blueprint("auth", __name__)
log = logging.getLogger(__name__)
#: What an admin who must enrol in TOTP may still reach.
ENROLMENT_ENDPOINTS = {
    "static",
    "auth.two_factor",
    "auth.two_factor_start",
    "auth.two_factor_confirm",
    "auth.logout",
    "auth.language",
}


def failed_sign_in_message() -> str:
    """Return the one answer to every refused sign-in, whatever the reason."""
    # The same words for a wrong password, an unknown email and a locked account,
    # so the answer never tells whether an account exists.
    return _(
        "The email or the password is wrong, or the account is locked for a while "
        "after too many failed attempts. Try again later, or choose a new password."
    )


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """Load the signed-in user if the session's token is still the current one.

    A deactivated or erased account is signed out.
    """
    user_id, _sep, token = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or not user.matches_session(token):
        return None
    return user


@bp.errorhandler(429)
def _too_many(_error):
    """Explain the pause in sign-in or reset requests, with when to try again."""
    limit = limiter.current_limit
    seconds = limit.reset_at - time.time() if limit is not None else 60
    minutes = max(1, math.ceil(seconds / 60))
    return render_template("auth/too_many.html", minutes=minutes), 429


@bp.before_app_request
def _admins_enrol_first():
    """With LMS_REQUIRE_ADMIN_TOTP, an admin without TOTP may only enrol."""
    if request.blueprint == "lrs":
        return None  # HTTP Basic clients, never a signed-in person
    if request.endpoint in ENROLMENT_ENDPOINTS or not current_user.is_authenticated:
        return None
    if signin.needs_enrolment(current_user):
        return redirect(url_for("auth.two_factor"))
    return None


@bp.get("/")
def index():
    """Send visitors to the sign-in page and users to their dashboard."""
    if current_user.is_authenticated:
        return redirect(url_for("learn.dashboard"))
    return redirect(url_for("auth.login"))


@bp.route("/login", methods=["GET", "POST"])
@throttle.login_per_ip
@throttle.login_per_account
def login():
    """Show the sign-in form and sign the user in (then ask for a code, if on)."""
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is None:
            log.info("failed sign-in")
            form.password.errors.append(failed_sign_in_message())
            return render_template("auth/login.html", form=form), 401
        if user.totp_enabled:
            signin.begin_pending(user, request.args.get("next"))
            return redirect(url_for("auth.login_code"))
        return signin.start_session(user, request.args.get("next"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    """Sign the user out."""
    logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    """Change the password; every other session of the user ends."""
    form = PasswordForm()
    form.account_email = current_user.email
    language = LanguageForm(locale=current_user.locale)
    zone = TimeZoneForm(timezone=str(get_timezone()))
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append(_("The current password is wrong."))
        else:
            user = current_user._get_current_object()
            accounts.change_password(user, form.new.data)
            signin.renew_session(user)
            flash(
                _("Your password has been changed. Other sessions are logged out."),
                "success",
            )
            return redirect(url_for("auth.account"))
    status = 400 if request.method == "POST" else 200
    return _account_page(form, language, zone, status)


def _account_page(form, language, zone, status: int):
    return render_template(
        "auth/account.html",
        form=form,
        language=language,
        zone=zone,
        hint=password_hint(),
        two_factor_offered=current_user.has_role("admin"),
        require_totp=current_app.config["LMS_REQUIRE_ADMIN_TOTP"],
    ), status


@bp.post("/account/timezone")
@login_required
def timezone():
    """Keep the time zone that the user's dates and times are shown in."""
    zone = TimeZoneForm()
    if zone.validate_on_submit():
        current_user.timezone = zone.timezone.data
        db.session.commit()
        flash(_("Your time zone has been saved."), "success")
        return redirect(url_for("auth.account"))
    form = PasswordForm(formdata=None)
    language = LanguageForm(locale=current_user.locale)
    return _account_page(form, language, zone, 400)


@bp.post("/language")
def language():
    """Keep the chosen UI language for the user or the session."""
    form = LanguageForm()
    if form.validate_on_submit():
        session["locale"] = form.locale.data
        if current_user.is_authenticated:
            current_user.locale = form.locale.data
            db.session.commit()
    return redirect(signin.safe_next(request.form.get("next")))


# The reset and two-step verification routes belong to this blueprint too.
from lms.auth import reset, two_factor  # noqa: E402, F401
