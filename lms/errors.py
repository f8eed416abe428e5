"""Friendly error pages that never show a stack trace."""

import logging

from flask import Flask, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from lms.extensions import db

log = logging.getLogger(__name__)


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
    if request.path.startswith("/xapi/"):
        return {"error": message or _messages().get(status, "")}, status
    text = message or _messages().get(status, _messages()[500])
    return render_template("errors/error.html", status=status, message=text), status


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

    @app.errorhandler(OperationalError)
    def _database(error: OperationalError):
        db.session.rollback()
        log.error("database unavailable: %s", type(error.orig).__name__)
        return render_error(503)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        db.session.rollback()
        log.exception("unhandled error on %s", request.path)
        return render_error(500)
