"""Enrolments, their progress projection, quiz attempts, submissions, cohorts."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.models.common import UTCDateTime, new_uuid, utcnow
from lms.models.content import ModuleVersion
from lms.models.user import User


class Enrolment(db.Model):
    """A learner's enrolment on one module version."""

    __tablename__ = "enrolments"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The xAPI registration of every statement made in this enrolment.
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: Pinned at enrolment; a newer version never changes this record.
    module_version_id: Mapped[int] = mapped_column(ForeignKey("module_versions.id"))
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The columns below are a projection of the statements (lms.progress).
    #: Required activities done, as a whole percentage.
    progress_percent: Mapped[int] = mapped_column(default=0)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The activity the learner last opened, for "resume".
    last_activity_id: Mapped[str | None] = mapped_column(String(100))

    user: Mapped[User] = relationship()
    module_version: Mapped[ModuleVersion] = relationship()
    progress: Mapped[list["ActivityProgress"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    __table_args__ = (db.UniqueConstraint("user_id", "module_version_id"),)


class ActivityProgress(db.Model):
    """The projected state of one activity in one enrolment."""

    __tablename__ = "activity_progress"

    enrolment_id: Mapped[int] = mapped_column(
        ForeignKey("enrolments.id"), primary_key=True
    )
    activity_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    #: "in_progress" or "done"; no row means not started.
    status: Mapped[str] = mapped_column(String(16))
    #: Kind-specific detail, e.g. case answers or quiz attempts and best score.
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class QuizAttempt(db.Model):
    """One attempt at a quiz; its grading is recorded as statements."""

    __tablename__ = "quiz_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id"), index=True)
    activity_id: Mapped[str] = mapped_column(String(100))
    number: Mapped[int]
    #: Seed of the reproducible question and option order.
    seed: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Question id -> the learner's parsed response, as JSON.
    responses: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    score_scaled: Mapped[float | None]
    passed: Mapped[bool | None]

    __table_args__ = (db.UniqueConstraint("enrolment_id", "activity_id", "number"),)


class Submission(db.Model):
    """One version of a practice task handed in; every version is kept."""

    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Public id in URLs, so ids of other people's work cannot be guessed.
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id"), index=True)
    activity_id: Mapped[str] = mapped_column(String(100))
    number: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: "submitted", "approved" or "returned".
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    feedback: Mapped[str | None] = mapped_column(Text)
    #: Rubric criterion id -> score.
    scores: Mapped[dict[str, int] | None] = mapped_column(JSON)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    enrolment: Mapped[Enrolment] = relationship()
    reviewer: Mapped[User | None] = relationship()

    __table_args__ = (db.UniqueConstraint("enrolment_id", "activity_id", "number"),)


cohort_members = Table(
    "cohort_members",
    db.metadata,
    Column("cohort_id", ForeignKey("cohorts.id"), primary_key=True),
    Column("user_id", ForeignKey("users.id"), primary_key=True),
)

cohort_educators = Table(
    "cohort_educators",
    db.metadata,
    Column("cohort_id", ForeignKey("cohorts.id"), primary_key=True),
    Column("user_id", ForeignKey("users.id"), primary_key=True),
)


class Cohort(db.Model):
    """A class of learners, possibly from several organisations, run by educators."""

    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    #: The module the cohort takes.
    module_slug: Mapped[str] = mapped_column(String(100))
    #: The programme the cohort takes the module as part of, if any.
    programme_slug: Mapped[str | None] = mapped_column(String(100))
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    members: Mapped[list[User]] = relationship(secondary=cohort_members)
    educators: Mapped[list[User]] = relationship(secondary=cohort_educators)
