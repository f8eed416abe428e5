"""Scheduled webinars and meetings of a cohort, and who attended them."""

from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.models.common import UTCDateTime, new_uuid, utcnow
from lms.models.learning import Cohort
from lms.models.user import User

SESSION_KINDS = ("webinar", "meeting")
ATTENDANCE_STATUSES = ("attended", "absent", "excused")
#: The longest session an educator may schedule, in minutes.
MAX_DURATION_MINUTES = 480


class CohortSession(db.Model):
    """A webinar or meeting scheduled for a cohort, held online."""

    __tablename__ = "cohort_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stable public id: the iCalendar UID and the xAPI id of an extra session.
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"), index=True)
    #: One of SESSION_KINDS.
    kind: Mapped[str] = mapped_column(String(16))
    #: Where activity_id is declared: "module" (the cohort's module) or "programme"
    #: (the cohort's programme); None for an extra session that counts for nothing.
    activity_scope: Mapped[str | None] = mapped_column(String(16))
    #: The webinar or meeting activity this session counts for, if any.
    activity_id: Mapped[str | None] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int]
    #: An https link to the online meeting room.
    meeting_url: Mapped[str] = mapped_column(String(2000))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: iCalendar SEQUENCE: raised on every change, so calendars take the update.
    sequence: Mapped[int] = mapped_column(default=0)
    #: Set when the educator cancels; a cancelled session is kept for the record.
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    cohort: Mapped[Cohort] = relationship()
    created_by: Mapped[User] = relationship()

    @property
    def ends_at(self) -> datetime:
        """Return when the session ends."""
        return self.starts_at + timedelta(minutes=self.duration_minutes)


class Attendance(db.Model):
    """The educator's record of one learner at one session; the latest one counts."""

    __tablename__ = "attendances"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("cohort_sessions.id"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    #: One of ATTENDANCE_STATUSES.
    status: Mapped[str] = mapped_column(String(16))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The "attended" statement in force, voided if the status changes later.
    statement_id: Mapped[str | None] = mapped_column(String(36))

    session: Mapped[CohortSession] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    recorded_by: Mapped[User] = relationship(foreign_keys=[recorded_by_id])
