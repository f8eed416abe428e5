"""Friendly error pages that never show a stack trace."""

import logging

from flask import Flask, current_app, g, render_template, request, session
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy import inspect
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from lms.database import DRIVER_ERRORS, DatabaseBusy, unavailability
from lms.extensions import db
from lms.i18n import LOCALES

log = logging.getLogger(__name__)

#: Seconds a client is asked to wait before it tries again after a 503.
RETRY_AFTER = 5
#: The xAPI endpoint's answer when the database is unavailable.
LRS_UNAVAILABLE = "the database is unavailable; nothing was stored, try again later"


def _messages() -> dict[int, str]:
    return {
        400: _("The request could not be understood. Please check what you entered."),
        401: _("Please log in to continue."),
        403: _("You do not have access to this page."),
        404: _("We could not find that page."),
        405: _("That action is not allowed here."),
        413: _("The file is too large. The limit is 10 MB."),
        429: _("Too many requests. Please wait a moment and try again."),
        500: _("Something went wrong on our side. Please try again."),
        503: _("The service is temporarily unavailable. Please try again shortly."),
    }


def render_error(status: int, message: str | None = None):
    """Render the error page with a status code."""
    try:
        if request.path.startswith("/xapi/"):
            return {"error": message or _messages().get(status, "")}, status
        text = message or _messages().get(status, _messages()[500])
        return render_template("errors/error.html", status=status, message=text), status
    except (SQLAlchemyError, *DRIVER_ERRORS) as error:
        # The page loads the signed-in user (name, roles, language); with the
        # database down that fails too, and the honest answer is the 503.
        reason = unavailability(error)
        if reason is None:
            raise
        return database_unavailable(reason)


def init_app(app: Flask) -> None:
    """Register the error handlers."""

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        return render_error(error.code or 500)

    @app.errorhandler(CSRFError)
    def _csrf(_error: CSRFError):
        return render_error(
            400, _("Your form expired. Please go back, reload the page and try again.")
        )

    @app.errorhandler(SQLAlchemyError)
    @app.errorhandler(DatabaseBusy)
    @app.errorhandler(DRIVER_ERRORS[0])
    @app.errorhandler(DRIVER_ERRORS[1])
    def _database(error: Exception):
        reason = unavailability(error)
        if reason is None:
            return _unexpected(error)
        return database_unavailable(reason)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        _rollback()
        log.exception("unhandled error on %s", request.path)
        return render_error(500)


def database_unavailable(reason: str):
    """Answer 503 when the database is down, locked or busy; nothing was stored.

    The operation's transaction is rolled back, and the page is rendered without
    touching the database again: the signed-in user is not reloaded (the page
    shows no personal navigation) and the language is taken from what is at hand.
    """
    locale = _locale_at_hand()
    _rollback()
    # Flask-Login keeps the request's user in g; an anonymous one stops templates
    # from loading the user (and their roles) from the unavailable database.
    g._login_user = current_app.login_manager.anonymous_user()
    log.warning(
        "database unavailable (%s) on %s %s", reason, request.method, request.endpoint
    )
    headers = {"Retry-After": str(RETRY_AFTER)}
    if request.path.startswith("/xapi/"):
        return {"error": LRS_UNAVAILABLE}, 503, headers
    if request.path == "/healthz":
        # Load balancers read the health check as JSON, whatever failed first.
        return {"status": "error", "database": "unavailable"}, 503, headers
    with force_locale(locale):
        page = render_template(
            "errors/unavailable.html", retry=request.method in ("GET", "HEAD")
        )
    return page, 503, headers


def _locale_at_hand() -> str:
    """Return the request's language without a database query."""
    asked = request.args.get("lang")
    if asked in LOCALES:
        return asked
    user = g.get("_login_user")
    state = inspect(user, raiseerr=False) if user is not None else None
    chosen = state.dict.get("locale") if state is not None else None
    if chosen in LOCALES:
        return chosen
    return session.get("locale", "da")


def _rollback() -> None:
    """Roll back the request's transaction; a dead connection is discarded."""
    try:
        db.session.rollback()
    except SQLAlchemyError:
        db.session.close()
