"""Outgoing mail through the outbox: SMTP when configured, a log file otherwise."""

import logging
import smtplib
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from flask import current_app
from sqlalchemy.exc import IntegrityError

from lms.extensions import db
from lms.jobs import enqueue, handler
from lms.models import Mail, User

log = logging.getLogger(__name__)


def queue_mail(
    recipient: str,
    subject: str,
    body: str,
    dedupe_key: str | None = None,
    about: User | int | None = None,
) -> Mail | None:
    """Put a message in the outbox; with a dedupe key already used, do nothing.

    ``about`` is the person (or their id) the mail names or concerns besides the
    recipient, so that erasing that person reaches the mail too.
    """
    if dedupe_key is not None:
        existing = db.session.execute(
            db.select(Mail.id).filter_by(dedupe_key=dedupe_key)
        ).first()
        if existing is not None:
            return None
    about_id = about.id if isinstance(about, User) else about
    mail = Mail(
        recipient=recipient,
        subject=subject,
        body=body,
        dedupe_key=dedupe_key,
        about_user_id=about_id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(mail)
    except IntegrityError:  # another process queued the same reminder just now
        return None
    enqueue("mail.send", {"mail_id": mail.id})
    return mail


@handler("mail.send")
def send_mail(payload: dict) -> None:
    """Send one queued message once."""
    mail = db.session.get(Mail, payload["mail_id"])
    if mail is None or mail.sent_at is not None:
        return
    config = current_app.config
    message = EmailMessage()
    message["From"] = config.get("LMS_MAIL_FROM", "no-reply@localhost")
    message["To"] = mail.recipient
    message["Subject"] = mail.subject
    message.set_content(mail.body)
    if config.get("LMS_SMTP_HOST"):
        _smtp(config, message)
    else:
        _append_to_log(Path(current_app.instance_path) / "mail.log", message)
    mail.sent_at = datetime.now(UTC)
    db.session.commit()
    log.info("mail %s sent", mail.id)


def _smtp(config, message: EmailMessage) -> None:
    port = int(config.get("LMS_SMTP_PORT", 587))
    with smtplib.SMTP(config["LMS_SMTP_HOST"], port, timeout=30) as smtp:
        if config.get("LMS_SMTP_STARTTLS", True):
            smtp.starttls()
        if config.get("LMS_SMTP_USER"):
            smtp.login(config["LMS_SMTP_USER"], config.get("LMS_SMTP_PASSWORD", ""))
        smtp.send_message(message)


def _append_to_log(path: Path, message: EmailMessage) -> None:
    """Development mailbox: every message appended to instance/mail.log."""
    with path.open("a", encoding="utf-8") as handle:
        handle.write(message.as_string() + "\n" + "=" * 72 + "\n")
