"""The app's ORM models."""

from lms.models.audit import AuditRecord
from lms.models.certificates import ACHIEVEMENT_KINDS, Certificate, SigningKey
from lms.models.cohorts import (
    ATTENDANCE_STATUSES,
    SESSION_KINDS,
    Attendance,
    CohortSession,
)
from lms.models.competence import (
    ASSIGNMENT_KINDS,
    MEMBER_STATUSES,
    Assignment,
    AssignmentMember,
    RoleProfile,
    RoleRequirement,
    StaffCompetence,
    UnitAssignmentRollup,
)
from lms.models.content import ModuleFile, ModuleVersion
from lms.models.drafts import ModuleDraft, ModuleDraftFile
from lms.models.forwarding import ForwardingEndpoint, OutboxStatement
from lms.models.identity import UserIdentity
from lms.models.jobs import Job, Mail
from lms.models.learning import (
    ActivityProgress,
    Cohort,
    Enrolment,
    QuizAttempt,
    Submission,
    cohort_educators,
    cohort_members,
)
from lms.models.lrs import DEFAULT_LRS_SCOPES, LRS_SCOPES, LRSClient
from lms.models.org import Organisation, Unit
from lms.models.programmes import ProgrammeEnrolment, ProgrammeVersion
from lms.models.ratelimit import rate_limit_counters, rate_limit_entries
from lms.models.uploads import SubmissionFile
from lms.models.user import (
    ROLES,
    ManagedUnit,
    PasswordResetToken,
    User,
    UserRole,
)

__all__ = [
    "ACHIEVEMENT_KINDS",
    "AuditRecord",
    "Certificate",
    "SigningKey",
    "ASSIGNMENT_KINDS",
    "MEMBER_STATUSES",
    "Assignment",
    "AssignmentMember",
    "RoleProfile",
    "RoleRequirement",
    "StaffCompetence",
    "UnitAssignmentRollup",
    "DEFAULT_LRS_SCOPES",
    "LRS_SCOPES",
    "LRSClient",
    "ATTENDANCE_STATUSES",
    "ROLES",
    "SESSION_KINDS",
    "ActivityProgress",
    "Attendance",
    "Cohort",
    "CohortSession",
    "Enrolment",
    "ForwardingEndpoint",
    "Job",
    "Mail",
    "ManagedUnit",
    "ModuleDraft",
    "ModuleDraftFile",
    "ModuleFile",
    "ModuleVersion",
    "Organisation",
    "PasswordResetToken",
    "OutboxStatement",
    "ProgrammeEnrolment",
    "ProgrammeVersion",
    "QuizAttempt",
    "Submission",
    "SubmissionFile",
    "Unit",
    "User",
    "UserIdentity",
    "UserRole",
    "cohort_educators",
    "cohort_members",
    "rate_limit_counters",
    "rate_limit_entries",
]
