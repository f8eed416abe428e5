"""An admin's writes on role profiles."""

import logging
from datetime import UTC, datetime

from lms.audit import audit
from lms.competence.profiles import competence_ids
from lms.competence.projection import refresh_staff
from lms.extensions import db
from lms.jobroles import JOB_ROLES
from lms.models import RoleProfile, RoleRequirement, User

log = logging.getLogger(__name__)


class ProfileError(ValueError):
    """A profile naming an unknown job role, competence or level."""


def save_profile(admin: User, job_role: str, levels: dict[str, int]) -> RoleProfile:
    """Replace a job role's required competences (level 0 drops one).

    The staff of that job role get their competence rollups refreshed in the
    same transaction.
    """
    if job_role not in JOB_ROLES:
        raise ProfileError("unknown job role")
    known = set(competence_ids())
    if any(c not in known or not 0 <= level <= 3 for c, level in levels.items()):
        raise ProfileError("unknown competence or level")
    profile = db.session.get(RoleProfile, job_role) or RoleProfile(job_role=job_role)
    db.session.add(profile)
    wanted = {c: level for c, level in levels.items() if level > 0}
    current = {r.competence_id: r for r in profile.requirements}
    for competence_id, row in current.items():
        if competence_id not in wanted:
            profile.requirements.remove(row)
    for competence_id, level in wanted.items():
        row = current.get(competence_id)
        if row is None:
            profile.requirements.append(
                RoleRequirement(competence_id=competence_id, level=level)
            )
        else:
            row.level = level
    profile.updated_at, profile.updated_by_id = datetime.now(UTC), admin.id
    db.session.flush()
    staff = db.session.execute(db.select(User.id).filter_by(job_role=job_role))
    refresh_staff(staff.scalars())
    audit("role_profile.update", "role_profile", job_role, admin, {"levels": wanted})
    db.session.commit()
    log.info("admin %s saved role profile %s", admin.id, job_role)
    return profile
