"""The rollups behind the manager dashboard, kept in step with what they rest on.

- staff_competences: per person and required competence, until when they meet it
  (from their certificates and their role profile);
- assignment_members.status: the state of each assigned person's enrolment;
- unit_assignment_rollups: per unit and assignment, how many have each status.

They change in the same transaction as the rows they rest on: a session hook notes
the people whose enrolment progress, certificates, unit or job role changed, and
brings their rollups up to date just before the commit. `progress rebuild` builds
them again from scratch, and `--check` compares.
"""

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import delete, event, insert, inspect

from lms.competence.attestations import Attestation, attestations, certificate_model
from lms.competence.profiles import role_profiles
from lms.extensions import db
from lms.models import (
    Assignment,
    AssignmentMember,
    Enrolment,
    ModuleVersion,
    ProgrammeEnrolment,
    ProgrammeVersion,
    StaffCompetence,
    UnitAssignmentRollup,
    User,
)

log = logging.getLogger(__name__)

#: met_until of a certificate that never expires.
FOREVER = datetime(9999, 12, 31, tzinfo=UTC)
_CHUNK = 500

StaffRows = dict[tuple[int, str], tuple[int, int, datetime | None]]


# --- Staff competences ----------------------------------------------------------------


def desired_staff_rows(
    people: Iterable[tuple[int, int | None, str | None]],
    profiles: dict[str, dict[str, int]],
    held: Iterable[Attestation],
) -> StaffRows:
    """Return (user, competence) -> (unit, required level, met until) for people."""
    by_user: dict[int, list[Attestation]] = defaultdict(list)
    for attestation in held:
        by_user[attestation.user_id].append(attestation)
    rows: StaffRows = {}
    for user_id, unit_id, job_role in people:
        if unit_id is None or not job_role:
            continue
        for competence_id, level in profiles.get(job_role, {}).items():
            meeting = [
                a.expires_at or FOREVER
                for a in by_user.get(user_id, ())
                if a.competence_id == competence_id and a.level >= level
            ]
            rows[(user_id, competence_id)] = (
                unit_id,
                level,
                max(meeting) if meeting else None,
            )
    return rows


def _people(user_ids: Iterable[int] | None):
    query = db.select(User.id, User.primary_unit_id, User.job_role).where(
        User.active.is_(True)
    )
    if user_ids is not None:
        query = query.where(User.id.in_(list(user_ids)))
    return list(db.session.execute(query))


def _stored_staff_rows(user_ids: Iterable[int] | None) -> StaffRows:
    query = db.select(
        StaffCompetence.user_id,
        StaffCompetence.competence_id,
        StaffCompetence.unit_id,
        StaffCompetence.required_level,
        StaffCompetence.met_until,
    )
    if user_ids is not None:
        query = query.where(StaffCompetence.user_id.in_(list(user_ids)))
    return {
        (u, c): (unit, level, met)
        for u, c, unit, level, met in db.session.execute(query)
    }


def refresh_staff(user_ids: Iterable[int]) -> None:
    """Bring these people's staff_competences rows up to date; the caller commits."""
    for chunk in _chunks(sorted(set(user_ids))):
        desired = desired_staff_rows(
            _people(chunk), role_profiles(), attestations(chunk)
        )
        _write_staff_rows(chunk, desired, _stored_staff_rows(chunk))


def _write_staff_rows(
    user_ids: list[int], desired: StaffRows, stored: StaffRows
) -> None:
    changed = [key for key, value in desired.items() if stored.get(key) != value]
    gone = [key for key in stored if key not in desired]
    connection = db.session.connection()
    for user_id, competence_id in gone + changed:
        connection.execute(
            delete(StaffCompetence.__table__).where(
                StaffCompetence.user_id == user_id,
                StaffCompetence.competence_id == competence_id,
            )
        )
    if changed:
        connection.execute(
            insert(StaffCompetence.__table__),
            [_staff_values(key, desired[key]) for key in changed],
        )


def _staff_values(key: tuple[int, str], value: tuple) -> dict:
    return {
        "user_id": key[0],
        "competence_id": key[1],
        "unit_id": value[0],
        "required_level": value[1],
        "met_until": value[2],
    }


# --- Assignment members and rollups ---------------------------------------------------


def member_statuses(
    kind: str, slug: str, user_ids: Iterable[int]
) -> dict[int, tuple[str, datetime | None]]:
    """Return each person's status on a module or programme, from its projection."""
    ids = list(user_ids)
    if kind == "programme":
        query = (
            db.select(
                ProgrammeEnrolment.user_id,
                ProgrammeEnrolment.completed_at,
                ProgrammeEnrolment.progress_percent,
                ProgrammeEnrolment.completed_at,  # no "resume" column on programmes
            )
            .join(ProgrammeVersion)
            .where(ProgrammeVersion.slug == slug)
        )
        user_column = ProgrammeEnrolment.user_id
    else:
        query = (
            db.select(
                Enrolment.user_id,
                Enrolment.completed_at,
                Enrolment.progress_percent,
                Enrolment.last_activity_id,
            )
            .join(ModuleVersion)
            .where(ModuleVersion.slug == slug)
        )
        user_column = Enrolment.user_id
    found = {user_id: ("not_started", None) for user_id in ids}
    rank = {"not_started": 0, "in_progress": 1, "completed": 2}
    for chunk in _chunks(ids):
        for user_id, completed_at, percent, opened in db.session.execute(
            query.where(user_column.in_(chunk))
        ):
            if completed_at is not None:
                status = ("completed", completed_at)
            elif percent or opened:
                status = ("in_progress", None)
            else:
                status = ("not_started", None)
            if rank[status[0]] > rank[found[user_id][0]]:
                found[user_id] = status
    return found


def refresh_members(user_ids: Iterable[int]) -> None:
    """Update these people's status on every assignment, and the rollups; no commit."""
    ids = sorted(set(user_ids))
    members = list(
        db.session.execute(
            db.select(AssignmentMember)
            .join(Assignment)
            .where(AssignmentMember.user_id.in_(ids))
        ).scalars()
    )
    by_assignment: dict[int, list[AssignmentMember]] = defaultdict(list)
    for member in members:
        by_assignment[member.assignment_id].append(member)
    touched: set[tuple[int, int]] = set()
    for assignment_id, rows in by_assignment.items():
        assignment = db.session.get(Assignment, assignment_id)
        statuses = member_statuses(
            assignment.kind, assignment.slug, [m.user_id for m in rows]
        )
        for member in rows:
            status, completed_at = statuses[member.user_id]
            if (member.status, member.completed_at) != (status, completed_at):
                member.status, member.completed_at = status, completed_at
                touched.add((member.unit_id, assignment_id))
    if touched:
        db.session.flush()
        refresh_rollups(touched)


def refresh_rollups(pairs: Iterable[tuple[int, int]]) -> None:
    """Count again the members of these (unit, assignment) pairs; no commit."""
    for unit_id, assignment_id in sorted(set(pairs)):
        counts = Counter(
            dict(
                db.session.execute(
                    db.select(AssignmentMember.status, db.func.count())
                    .where(
                        AssignmentMember.unit_id == unit_id,
                        AssignmentMember.assignment_id == assignment_id,
                        AssignmentMember.left_at.is_(None),
                    )
                    .group_by(AssignmentMember.status)
                ).all()
            )
        )
        rollup = db.session.get(UnitAssignmentRollup, (unit_id, assignment_id))
        if not counts:
            if rollup is not None:
                db.session.delete(rollup)
            continue
        if rollup is None:
            rollup = UnitAssignmentRollup(unit_id=unit_id, assignment_id=assignment_id)
            db.session.add(rollup)
        rollup.not_started = counts["not_started"]
        rollup.in_progress = counts["in_progress"]
        rollup.completed = counts["completed"]


def expected_rollups() -> dict[tuple[int, int], tuple[int, int, int]]:
    """Count every unit's members per assignment and status, from the members."""
    counts: dict[tuple[int, int], Counter] = defaultdict(Counter)
    rows = db.session.execute(
        db.select(
            AssignmentMember.unit_id,
            AssignmentMember.assignment_id,
            AssignmentMember.status,
            db.func.count(),
        )
        .where(AssignmentMember.left_at.is_(None))
        .group_by(
            AssignmentMember.unit_id,
            AssignmentMember.assignment_id,
            AssignmentMember.status,
        )
    )
    for unit_id, assignment_id, status, count in rows:
        counts[(unit_id, assignment_id)][status] = count
    return {
        key: (c["not_started"], c["in_progress"], c["completed"])
        for key, c in counts.items()
    }


def stored_rollups() -> dict[tuple[int, int], tuple[int, int, int]]:
    """Return the rollup table as it is."""
    return {
        (r.unit_id, r.assignment_id): (r.not_started, r.in_progress, r.completed)
        for r in db.session.execute(db.select(UnitAssignmentRollup)).scalars()
    }


# --- Rebuild and check ----------------------------------------------------------------


def rebuild(*, check: bool) -> list[str]:
    """Build the rollups again from their sources; with check, only compare.

    Without check, any difference is repaired and committed.
    """
    desired = desired_staff_rows(_people(None), role_profiles(), attestations(None))
    stored = _stored_staff_rows(None)
    found = [
        f"staff competence {key}: live {stored.get(key)} != rebuilt {desired.get(key)}"
        for key in sorted(set(desired) | set(stored))
        if desired.get(key) != stored.get(key)
    ]
    members = list(db.session.execute(db.select(AssignmentMember)).scalars())
    statuses = _all_statuses(members)
    stale = [
        m
        for m in members
        if (m.status, m.completed_at) != statuses[(m.assignment_id, m.user_id)]
    ]
    found += [
        f"assignment {m.assignment_id} member {m.user_id}: live {m.status} "
        f"!= rebuilt {statuses[(m.assignment_id, m.user_id)][0]}"
        for m in stale
    ]
    for member in stale:
        member.status, member.completed_at = statuses[
            (member.assignment_id, member.user_id)
        ]
    db.session.flush()
    expected, live = expected_rollups(), stored_rollups()
    found += [
        f"unit {key[0]} assignment {key[1]} rollup: live {live.get(key)} "
        f"!= rebuilt {expected.get(key)}"
        for key in sorted(set(expected) | set(live))
        if expected.get(key) != live.get(key)
    ]
    if check:
        db.session.rollback()
    elif found:
        _replace_staff_rows(desired)
        _replace_rollups(expected)
        db.session.commit()
        log.info("rebuilt %d dashboard rollup rows", len(found))
    return found


def _all_statuses(members: list[AssignmentMember]) -> dict[tuple[int, int], tuple]:
    by_assignment: dict[int, list[int]] = defaultdict(list)
    for member in members:
        by_assignment[member.assignment_id].append(member.user_id)
    found = {}
    for assignment_id, user_ids in by_assignment.items():
        assignment = db.session.get(Assignment, assignment_id)
        for user_id, status in member_statuses(
            assignment.kind, assignment.slug, user_ids
        ).items():
            found[(assignment_id, user_id)] = status
    return found


def _replace_staff_rows(desired: StaffRows) -> None:
    connection = db.session.connection()
    connection.execute(delete(StaffCompetence.__table__))
    values = [_staff_values(key, value) for key, value in desired.items()]
    for start in range(0, len(values), 5000):
        connection.execute(
            insert(StaffCompetence.__table__), values[start : start + 5000]
        )


def _replace_rollups(expected: dict[tuple[int, int], tuple[int, int, int]]) -> None:
    connection = db.session.connection()
    connection.execute(delete(UnitAssignmentRollup.__table__))
    if expected:
        connection.execute(
            insert(UnitAssignmentRollup.__table__),
            [
                {
                    "unit_id": unit_id,
                    "assignment_id": assignment_id,
                    "not_started": counts[0],
                    "in_progress": counts[1],
                    "completed": counts[2],
                }
                for (unit_id, assignment_id), counts in expected.items()
            ],
        )


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


# --- Session hooks --------------------------------------------------------------------

_USERS, _MEMBERS, _JOINED = (
    "competence.users",
    "competence.members",
    "competence.joined",
)


def _changed(instance, names: tuple[str, ...]) -> bool:
    state = inspect(instance)
    return any(state.attrs[name].history.has_changes() for name in names)


def _after_flush(session, _context) -> None:
    """Note whose rollups the flushed rows change."""
    info = session.info
    certificate = certificate_model()
    for instance in list(session.new) + list(session.dirty):
        new = instance in session.new
        if isinstance(instance, Enrolment | ProgrammeEnrolment):
            if new or _changed(
                instance,
                ("completed_at", "progress_percent")
                + (("last_activity_id",) if isinstance(instance, Enrolment) else ()),
            ):
                if certificate is None:  # completions stand in for certificates
                    info.setdefault(_USERS, set()).add(instance.user_id)
                info.setdefault(_MEMBERS, set()).add(instance.user_id)
        elif isinstance(instance, User):
            if new or _changed(instance, ("primary_unit_id", "job_role", "active")):
                info.setdefault(_USERS, set()).add(instance.id)
                info.setdefault(_JOINED, set()).add(instance.id)
        elif certificate is not None and isinstance(instance, certificate):
            info.setdefault(_USERS, set()).add(instance.holder_id)


def _before_commit(session) -> None:
    """Bring the noted rollups up to date inside the committing transaction."""
    session.flush()
    users = session.info.pop(_USERS, set())
    members = session.info.pop(_MEMBERS, set())
    joined = session.info.pop(_JOINED, set())
    if users:
        refresh_staff(users)
    if members:
        refresh_members(members)
    if joined:
        from lms.competence.membership import queue_sync

        queue_sync(joined)
    if users or members or joined:
        session.flush()
        for key in (_USERS, _MEMBERS, _JOINED):  # our own writes note nothing new
            session.info.pop(key, None)


def _forget(session, *_args) -> None:
    for key in (_USERS, _MEMBERS, _JOINED):
        session.info.pop(key, None)


_installed = False


def install_hooks() -> None:
    """Listen on the app's sessions, once per process."""
    global _installed
    if _installed:
        return
    from flask_sqlalchemy.session import Session

    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "before_commit", _before_commit)
    event.listen(Session, "after_rollback", _forget)
    _installed = True
