"""Who an assignment covers, and enrolling them: now and when people join later."""

import logging
from collections.abc import Iterable
from datetime import UTC, datetime

from lms.competence.projection import member_statuses, refresh_rollups
from lms.competence.scope import subtree_ids, unit_tree
from lms.extensions import db
from lms.jobs import enqueue, handler
from lms.models import Assignment, AssignmentMember, User

log = logging.getLogger(__name__)


def covered_units(assignment: Assignment) -> list[int]:
    """Return the units whose staff the assignment covers."""
    if not assignment.include_subunits:
        return [assignment.unit_id]
    return subtree_ids(unit_tree(), assignment.unit_id)


def matching_users(
    assignment: Assignment, among: Iterable[int] | None = None
) -> list[User]:
    """Return the active staff the assignment covers now (among some people)."""
    query = db.select(User).where(
        User.active.is_(True), User.primary_unit_id.in_(covered_units(assignment))
    )
    if among is not None:
        query = query.where(User.id.in_(list(among)))
    if assignment.job_roles:
        query = query.where(User.job_role.in_(assignment.job_roles))
    return list(db.session.execute(query.order_by(User.id)).scalars())


def enrol_on(user: User, assignment: Assignment) -> None:
    """Enrol a person on the assigned module or programme (commits; idempotent)."""
    if assignment.kind == "programme":
        from lms.operations.programmes import ProgrammeError, enrol_programme

        try:
            enrol_programme(user, assignment.slug)
        except ProgrammeError:
            log.warning("assignment %s: programme unavailable", assignment.id)
    else:
        from lms.operations.learning import LearningError, enrol

        try:
            enrol(user, assignment.slug)
        except LearningError:
            log.warning("assignment %s: module unavailable", assignment.id)


def sync_assignment(assignment: Assignment, now: datetime | None = None) -> int:
    """Enrol the staff an active assignment covers and record who it covers.

    People who no longer match (moved unit, changed job role) are marked as left,
    and their records are kept. Returns how many people were newly added.
    """
    if assignment.withdrawn_at is not None:
        return 0
    now = now or datetime.now(UTC)
    matching = matching_users(assignment)
    for user in matching:
        enrol_on(user, assignment)  # commits each enrolment on its own
    added = _record(assignment, matching, None, now)
    db.session.commit()
    log.info("assignment %s synced: %d added", assignment.id, added)
    return added


def active_assignments() -> list[Assignment]:
    """Return every assignment not withdrawn."""
    query = db.select(Assignment).where(Assignment.withdrawn_at.is_(None))
    return list(db.session.execute(query.order_by(Assignment.id)).scalars())


def sync_users(user_ids: Iterable[int]) -> None:
    """Bring these people's assignments up to date after they joined or moved."""
    ids = set(user_ids)
    for assignment in active_assignments():
        matching = matching_users(assignment, ids)
        for user in matching:
            enrol_on(user, assignment)
        current = {
            m.user_id
            for m in db.session.execute(
                db.select(AssignmentMember).where(
                    AssignmentMember.assignment_id == assignment.id,
                    AssignmentMember.user_id.in_(ids),
                )
            ).scalars()
        }
        if matching or current:
            _record(assignment, matching, ids, datetime.now(UTC))
    db.session.commit()


def _record(
    assignment: Assignment,
    matching: list[User],
    ids: set[int] | None,
    now: datetime,
) -> int:
    """Record who the assignment covers (among ids, or everyone); return how many new.

    Members who no longer match are marked as left; their rows stay.
    """
    query = db.select(AssignmentMember).filter_by(assignment_id=assignment.id)
    if ids is not None:
        query = query.where(AssignmentMember.user_id.in_(ids))
    members = {m.user_id: m for m in db.session.execute(query).scalars()}
    statuses = member_statuses(
        assignment.kind, assignment.slug, [u.id for u in matching]
    )
    touched, added = set(), 0
    for user in matching:
        member = members.get(user.id)
        if member is None:
            member = AssignmentMember(
                assignment_id=assignment.id, user_id=user.id, added_at=now
            )
            db.session.add(member)
            added += 1
        else:
            touched.add((member.unit_id, assignment.id))
        member.unit_id, member.left_at = user.primary_unit_id, None
        member.status, member.completed_at = statuses[user.id]
        touched.add((member.unit_id, assignment.id))
    wanted = {user.id for user in matching}
    for user_id, member in members.items():
        if user_id not in wanted and member.left_at is None:
            member.left_at = now
            touched.add((member.unit_id, assignment.id))
    db.session.flush()
    refresh_rollups(touched)
    return added


def queue_sync(user_ids: Iterable[int]) -> None:
    """Queue enrolment of people who joined a unit or changed job role; no commit."""
    exists = db.session.execute(
        db.select(Assignment.id).where(Assignment.withdrawn_at.is_(None)).limit(1)
    ).first()
    if exists is not None:
        enqueue("assignments.sync_users", {"user_ids": sorted(user_ids)})


@handler("assignments.sync_users")
def _sync_users_job(payload: dict) -> None:
    """Enrol people who joined a unit on the assignments that now cover them."""
    sync_users(payload["user_ids"])


@handler("assignments.sync_all")
def _sync_all_job(payload: dict) -> None:
    """Sync every active assignment (the daily safety net)."""
    for assignment in active_assignments():
        sync_assignment(assignment)
