"""The app's ORM models."""

from lms.models.cohorts import (
    ATTENDANCE_STATUSES,
    SESSION_KINDS,
    Attendance,
    CohortSession,
)
from lms.models.content import ModuleFile, ModuleVersion
from lms.models.learning import (
    ActivityProgress,
    Cohort,
    Enrolment,
    QuizAttempt,
    Submission,
    cohort_educators,
    cohort_members,
)
from lms.models.org import Organisation, Unit
from lms.models.user import ROLES, ManagedUnit, User, UserRole

__all__ = [
    "ATTENDANCE_STATUSES",
    "ROLES",
    "SESSION_KINDS",
    "ActivityProgress",
    "Attendance",
    "Cohort",
    "CohortSession",
    "Enrolment",
    "ManagedUnit",
    "ModuleFile",
    "ModuleVersion",
    "Organisation",
    "QuizAttempt",
    "Submission",
    "Unit",
    "User",
    "UserRole",
    "cohort_educators",
    "cohort_members",
]
