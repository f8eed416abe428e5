"""Mail about the account (lockout, reset link), in the user's language."""

from datetime import datetime

from flask import current_app, url_for
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _

from lms.mail import queue_mail
from lms.models import User


def _site() -> str:
    return current_app.config["LMS_BASE_URL"]


def lockout(user: User, until: datetime) -> bool:
    """Tell the owner that the account is locked; once per lockout."""
    with force_locale(user.locale or "da"):
        subject = _("Your account has been locked for a while")
        body = "\n\n".join(
            [
                _(
                    "There have been too many failed attempts to log in to your "
                    "account at %(site)s, so it is locked until %(time)s.",
                    site=_site(),
                    time=format_datetime(until, "short"),
                ),
                _(
                    "If it was you, wait and try again. If it was not you, someone "
                    "may be guessing your password: choose a new one here:"
                ),
                _site() + url_for("auth.forgot_password"),
            ]
        )
    key = f"lockout:{user.id}:{until.isoformat()}"
    return queue_mail(user.email, subject, body, dedupe_key=key) is not None


def reset_link(user: User, link: str, minutes: int) -> None:
    """Send the one-time link to choose a new password."""
    with force_locale(user.locale or "da"):
        subject = _("Choose a new password")
        body = "\n\n".join(
            [
                _(
                    "Someone asked to reset the password of your account at %(site)s.",
                    site=_site(),
                ),
                _(
                    "Open this link within %(minutes)d minutes to choose a new "
                    "password. It works once.",
                    minutes=minutes,
                ),
                link,
                _("If you did not ask for this, ignore this mail."),
            ]
        )
    queue_mail(user.email, subject, body)
