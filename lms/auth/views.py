"""Sign in, sign out, password and language."""

import logging
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from lms.auth.forms import LanguageForm, LoginForm, PasswordForm
from lms.extensions import db, login_manager
from lms.models import User

bp = Blueprint("auth", __name__)
log = logging.getLogger(__name__)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Load the signed-in user."""
    return db.session.get(User, int(user_id))


def _safe_next(target: str | None) -> str:
    """Return a local redirect target, never another site.

    Browsers read a backslash as a slash and drop tabs and newlines, so "/\\evil"
    and "/\t/evil" would lead off site just as "//evil" does.
    """
    if target and target.startswith("/") and not urlsplit(target).netloc:
        if not target.startswith("//") and "\\" not in target and target.isprintable():
            return target
    return url_for("learn.dashboard")


@bp.get("/")
def index():
    """Send visitors to the sign-in page and users to their dashboard."""
    if current_user.is_authenticated:
        return redirect(url_for("learn.dashboard"))
    return redirect(url_for("auth.login"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the sign-in form and sign the user in."""
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.execute(
            db.select(User).filter_by(email=email)
        ).scalar_one_or_none()
        if user is not None and user.active and user.check_password(form.password.data):
            session.clear()  # a fresh session on every sign-in
            login_user(user)
            log.info("user %s signed in", user.id)
            return redirect(_safe_next(request.args.get("next")))
        log.info("failed sign-in")
        form.password.errors.append(_("The email or the password is wrong."))
        return render_template("auth/login.html", form=form), 401
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
    """Change the password."""
    form = PasswordForm()
    language = LanguageForm(locale=current_user.locale)
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append(_("The current password is wrong."))
        else:
            current_user.set_password(form.new.data)
            db.session.commit()
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("auth.account"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/account.html", form=form, language=language), status


@bp.post("/language")
def language():
    """Keep the chosen UI language for the user or the session."""
    form = LanguageForm()
    if form.validate_on_submit():
        session["locale"] = form.locale.data
        if current_user.is_authenticated:
            current_user.locale = form.locale.data
            db.session.commit()
    return redirect(_safe_next(request.form.get("next")))
