"""Background jobs and the mail outbox, both claimed from the database."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db
from lms.models.common import UTCDateTime, utcnow


class Job(db.Model):
    """A unit of background work; workers claim it, so it runs once at a time."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: A key of lms.jobs.HANDLERS.
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: Not before this time; moved forward by backoff after a failure.
    run_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=8)
    #: The worker holding the job, and until when; an expired lease is free again.
    locked_by: Mapped[str | None] = mapped_column(String(64))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    #: Set when the job succeeded, or gave up after max_attempts.
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (db.Index("ix_jobs_due", "finished_at", "run_at"),)


class Mail(db.Model):
    """One message in the outbox; a dedupe key makes a reminder go out once."""

    __tablename__ = "mails"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    #: E.g. "reminder:assignment:12:user:7:due-7"; unique, so never sent twice.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    #: The person the mail is about when that is not (only) the recipient, e.g. the
    #: holder of a certificate a manager is told about; erasing them clears it.
    about_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL", name="fk_mails_about_user_id"),
        index=True,
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
