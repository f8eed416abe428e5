"""Reads for cohorts and their sessions, each scoped to who may see them."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_
from sqlalchemy.orm import selectinload

from lms.content import current_version, module_of
from lms.extensions import db
from lms.models import (
    SESSION_KINDS,
    Attendance,
    Cohort,
    CohortSession,
    Unit,
    User,
    UserRole,
    cohort_educators,
    cohort_members,
)
from lms.models.cohorts import MAX_DURATION_MINUTES
from lms.programmes import current_programme, programme_of

#: The most learners a search shows at once.
SEARCH_LIMIT = 25
#: No name or email is longer (User.email); a longer search text finds nothing.
LONGEST_TERM = 254
_LONGEST = timedelta(minutes=MAX_DURATION_MINUTES)


def cohorts_for(user: User) -> list[Cohort]:
    """Return the cohorts the user runs (every cohort for an admin), newest first."""
    query = db.select(Cohort).order_by(Cohort.starts_on.desc(), Cohort.id.desc())
    if not user.has_role("admin"):
        query = query.join(
            cohort_educators, cohort_educators.c.cohort_id == Cohort.id
        ).where(cohort_educators.c.user_id == user.id)
    return list(db.session.execute(query).scalars())


def cohort_for(user: User, cohort_id: int) -> Cohort | None:
    """Return the cohort if the user is one of its educators or an admin."""
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None:
        return None
    if user.has_role("admin") or any(e.id == user.id for e in cohort.educators):
        return cohort
    return None


def members_of(cohort: Cohort) -> list[User]:
    """Return the cohort's learners by name, with their unit and organisation."""
    query = (
        db.select(User)
        .join(cohort_members, cohort_members.c.user_id == User.id)
        .where(cohort_members.c.cohort_id == cohort.id)
        .options(selectinload(User.primary_unit).selectinload(Unit.organisation))
        .order_by(User.name, User.id)
    )
    return list(db.session.execute(query).scalars())


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_learners(cohort: Cohort, text: str) -> list[User]:
    """Find active learners of any organisation by name or email, not yet members."""
    if len(text.strip()) > LONGEST_TERM or "\x00" in text:
        return []  # no name holds NUL; SQLite refuses LIKE patterns of 50 000 bytes
    pattern = _like(text.strip())
    in_cohort = (
        db.select(cohort_members.c.user_id)
        .where(cohort_members.c.cohort_id == cohort.id)
        .scalar_subquery()
    )
    query = (
        db.select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(
            UserRole.role == "learner",
            User.active.is_(True),
            User.id.not_in(in_cohort),
            or_(
                User.name.ilike(pattern, escape="\\"),
                User.email.ilike(pattern, escape="\\"),
            ),
        )
        .options(selectinload(User.primary_unit).selectinload(Unit.organisation))
        .order_by(User.name, User.id)
        .limit(SEARCH_LIMIT)
    )
    return list(db.session.execute(query).scalars())


@dataclass(frozen=True)
class Countable:
    """A webinar or meeting of the cohort's module or programme."""

    scope: str  # "module" or "programme"
    id: str
    kind: str
    title: Mapping[str, str]

    @property
    def key(self) -> str:
        """Return the value that names it in a form."""
        return f"{self.scope}:{self.id}"


def countable_activities(cohort: Cohort) -> list[Countable]:
    """Return the webinars and meetings a session of the cohort may count for."""
    found = []
    version = current_version(cohort.module_slug)
    if version is not None:
        found += [
            Countable("module", a.id, a.kind, a.title)
            for a in module_of(version).activities
            if a.kind in SESSION_KINDS
        ]
    programme = cohort.programme_slug and current_programme(cohort.programme_slug)
    if programme:
        found += [
            Countable("programme", a.id, a.kind, a.title)
            for a in programme_of(programme).activities
        ]
    return found


def sessions_of(cohort: Cohort) -> list[CohortSession]:
    """Return every session of the cohort, cancelled ones too, by start."""
    query = (
        db.select(CohortSession)
        .filter_by(cohort_id=cohort.id)
        .order_by(CohortSession.starts_at, CohortSession.id)
    )
    return list(db.session.execute(query).scalars())


def session_in(cohort: Cohort, session_id: int) -> CohortSession | None:
    """Return the session only if it belongs to this cohort."""
    session = db.session.get(CohortSession, session_id)
    return session if session is not None and session.cohort_id == cohort.id else None


def attendance_of(session: CohortSession) -> dict[int, Attendance]:
    """Return the recorded attendance at a session, by learner id."""
    query = db.select(Attendance).filter_by(session_id=session.id)
    return {row.user_id: row for row in db.session.execute(query).scalars()}


def _member_sessions(user: User):
    return (
        db.select(CohortSession)
        .join(cohort_members, cohort_members.c.cohort_id == CohortSession.cohort_id)
        .where(cohort_members.c.user_id == user.id)
    )


def upcoming_for(user: User, limit: int | None = None) -> list[CohortSession]:
    """Return the sessions of the user's cohorts that have not ended, soonest first.

    No session is longer than MAX_DURATION_MINUTES, so the database narrows by start
    and the exact end is checked here, which stays portable between databases.
    """
    now = datetime.now(UTC)
    query = (
        _member_sessions(user)
        .where(CohortSession.cancelled_at.is_(None))
        .where(CohortSession.starts_at >= now - _LONGEST)
        .order_by(CohortSession.starts_at, CohortSession.id)
        .options(selectinload(CohortSession.cohort))
    )
    found = [s for s in db.session.execute(query).scalars() if s.ends_at > now]
    return found[:limit] if limit else found


def member_session(user: User, session_id: int) -> CohortSession | None:
    """Return a session of one of the user's cohorts, or None."""
    query = _member_sessions(user).where(CohortSession.id == session_id)
    return db.session.execute(query).scalar_one_or_none()
