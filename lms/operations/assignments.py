"""A manager's writes: assign required training to a unit, and withdraw it."""

import logging
from datetime import UTC, date, datetime

from lms.audit import audit
from lms.competence.membership import sync_assignment
from lms.competence.projection import refresh_rollups
from lms.content import current_version
from lms.extensions import db
from lms.jobroles import JOB_ROLES
from lms.models import ASSIGNMENT_KINDS, Assignment, AssignmentMember, User

log = logging.getLogger(__name__)


class AssignmentError(Exception):
    """An assignment that cannot be made; field names the form field at fault."""

    def __init__(self, field: str, code: str) -> None:
        super().__init__(code)
        self.field, self.code = field, code


def create_assignment(
    manager: User,
    unit_id: int,
    kind: str,
    slug: str,
    due_on: date,
    *,
    include_subunits: bool = True,
    job_roles: list[str] | None = None,
) -> Assignment:
    """Assign a module or programme to a unit and enrol the staff it covers.

    The caller has checked that the manager may act on the unit.
    """
    _check(kind, slug, job_roles or [])
    assignment = Assignment(
        unit_id=unit_id,
        kind=kind,
        slug=slug,
        due_on=due_on,
        include_subunits=include_subunits,
        job_roles=sorted(job_roles or []),
        created_by_id=manager.id,
    )
    db.session.add(assignment)
    db.session.flush()
    detail = {
        "unit_id": unit_id,
        "kind": kind,
        "slug": slug,
        "due_on": due_on.isoformat(),
        "include_subunits": include_subunits,
        "job_roles": assignment.job_roles,
    }
    audit("assignment.create", "assignment", assignment.id, manager, detail)
    db.session.commit()
    log.info(
        "manager %s assigned %s %s to unit %s as %s",
        manager.id,
        kind,
        slug,
        unit_id,
        assignment.id,
    )
    sync_assignment(assignment)
    return assignment


def _check(kind: str, slug: str, job_roles: list[str]) -> None:
    if kind not in ASSIGNMENT_KINDS:
        raise AssignmentError("target", "unknown_kind")
    if kind == "module" and current_version(slug) is None:
        raise AssignmentError("target", "unknown_module")
    if kind == "programme":
        from lms.programmes import current_programme

        if current_programme(slug) is None:
            raise AssignmentError("target", "unknown_programme")
    if any(role not in JOB_ROLES for role in job_roles):
        raise AssignmentError("job_roles", "unknown_job_role")


def withdraw_assignment(manager: User, assignment: Assignment) -> None:
    """Withdraw an assignment; members, enrolments and their records are kept."""
    if assignment.withdrawn_at is not None:
        return
    assignment.withdrawn_at = datetime.now(UTC)
    assignment.withdrawn_by_id = manager.id
    units = db.session.execute(
        db.select(AssignmentMember.unit_id)
        .filter_by(assignment_id=assignment.id)
        .distinct()
    ).scalars()
    refresh_rollups((unit_id, assignment.id) for unit_id in units)
    audit(
        "assignment.withdraw",
        "assignment",
        assignment.id,
        manager,
        {"unit_id": assignment.unit_id},
    )
    db.session.commit()
    log.info("manager %s withdrew assignment %s", manager.id, assignment.id)
