"""Role profiles, required training and the manager dashboard's rollups."""

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.models.common import UTCDateTime, utcnow
from lms.models.org import Unit
from lms.models.user import User

ASSIGNMENT_KINDS = ("module", "programme")
MEMBER_STATUSES = ("not_started", "in_progress", "completed")


class RoleProfile(db.Model):
    """The competences a job role needs; seeded from modules/role_profiles.toml."""

    __tablename__ = "role_profiles"

    #: A key of lms.jobroles.JOB_ROLES.
    job_role: Mapped[str] = mapped_column(String(32), primary_key=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The admin who last saved it; None while it is as seeded from the file.
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    requirements: Mapped[list["RoleRequirement"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="RoleRequirement.id"
    )


class RoleRequirement(db.Model):
    """One competence a job role needs, at a level of the framework."""

    __tablename__ = "role_requirements"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_role: Mapped[str] = mapped_column(ForeignKey("role_profiles.job_role"))
    #: An id of the competence framework (modules/competences.toml).
    competence_id: Mapped[str] = mapped_column(String(100))
    level: Mapped[int]

    __table_args__ = (db.UniqueConstraint("job_role", "competence_id"),)


class Assignment(db.Model):
    """Required training: a module or programme assigned to a unit by a manager."""

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    #: Whether staff of the units below unit_id are included.
    include_subunits: Mapped[bool] = mapped_column(default=True)
    #: Job roles it applies to; empty means every job role.
    job_roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: One of ASSIGNMENT_KINDS.
    kind: Mapped[str] = mapped_column(String(16))
    #: The module's or programme's slug.
    slug: Mapped[str] = mapped_column(String(100))
    due_on: Mapped[date]
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Set when withdrawn; members, enrolments and records are kept.
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    unit: Mapped[Unit] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])

    def applies_to(self, job_role: str | None) -> bool:
        """Return whether the assignment covers staff of this job role."""
        return not self.job_roles or job_role in self.job_roles


class AssignmentMember(db.Model):
    """A person covered by an assignment, with the status of their enrolment.

    The status is a projection of the enrolment's progress, which is itself a
    projection of the xAPI statements (lms.competence.projection keeps it).
    """

    __tablename__ = "assignment_members"

    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id"), primary_key=True, index=True
    )
    #: The person's primary unit when last synced; rollups count by it.
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    #: One of MEMBER_STATUSES.
    status: Mapped[str] = mapped_column(String(16), default="not_started")
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Set when the person left the assignment's units or job roles; kept.
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
    assignment: Mapped[Assignment] = relationship()


class StaffCompetence(db.Model):
    """One competence a person's role profile requires, and until when they meet it.

    A projection of the person's valid certificates against their role profile,
    updated in the same transaction as whatever changes it.
    """

    __tablename__ = "staff_competences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    competence_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    #: The person's primary unit, so a unit's rows are one index range.
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    required_level: Mapped[int]
    #: Latest expiry of a non-revoked certificate at the required level or above;
    #: FOREVER when one never expires, None when there is none.
    met_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        db.Index("ix_staff_competences_unit", "unit_id", "competence_id", "met_until"),
    )


class UnitAssignmentRollup(db.Model):
    """How many staff of one unit have each status on one assignment."""

    __tablename__ = "unit_assignment_rollups"

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id"), primary_key=True
    )
    not_started: Mapped[int] = mapped_column(default=0)
    in_progress: Mapped[int] = mapped_column(default=0)
    completed: Mapped[int] = mapped_column(default=0)
