"""Log in through the organisation's OpenID Connect provider."""

import logging

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user

from lms.auth import signin
from lms.i18n import current_locale
from lms.sso import client
from lms.sso.errors import SSOError
from lms.sso.operations import person_from_claims, sign_in
from lms.sso.settings import OIDCSettings

bp = Blueprint("sso", __name__)
log = logging.getLogger(__name__)
#: Where to go after the provider sent the person back.
NEXT_KEY = "sso_next"


def _settings() -> OIDCSettings:
    """Return the provider's settings; without them single sign-on does not exist."""
    settings = current_app.config.get("LMS_OIDC")
    if settings is None:
        abort(404)
    return settings


@bp.app_context_processor
def _login_button():
    """Name the provider on the login page, when one is configured."""
    settings = current_app.config.get("LMS_OIDC")
    return {"sso_name": settings.name if settings else None}


def _failure(error: SSOError, settings: OIDCSettings):
    """Show why the login failed, with a way to try again."""
    log.info("sso login failed: %s", error.reason)
    page = render_template("sso/error.html", error=error, sso_name=settings.name)
    return page, error.status


@bp.get("/login/sso")
def start():
    """Send the person to the provider to log in."""
    settings = _settings()
    if current_user.is_authenticated:
        return redirect(url_for("learn.dashboard"))
    session[NEXT_KEY] = signin.safe_next(request.args.get("next"))
    callback = current_app.config["LMS_BASE_URL"] + url_for("sso.callback")
    try:
        return client.begin(settings, callback, current_locale())
    except SSOError as error:
        return _failure(error, settings)


@bp.get("/login/sso/callback")
def callback():
    """Verify the provider's answer, find or create the user and log them in."""
    settings = _settings()
    try:
        claims = client.finish(settings)
        person = person_from_claims(claims, settings)
        user = sign_in(person, settings, current_locale())
    except SSOError as error:
        return _failure(error, settings)
    target = session.get(NEXT_KEY) or url_for("learn.dashboard")
    if user.totp_enabled:
        # An admin with a second factor gives the code here too.
        signin.begin_pending(user, target)
        return redirect(url_for("auth.login_code"))
    return signin.start_session(user, target)
