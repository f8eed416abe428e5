"""The app's ORM models."""

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
    "ROLES",
    "ActivityProgress",
    "Cohort",
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
