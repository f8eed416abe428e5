"""Role profiles: read the shipped file, seed the database, read what admins saved."""

import logging
import tomllib
from pathlib import Path

from flask import current_app

from lms.content import framework
from lms.extensions import db
from lms.jobroles import JOB_ROLES
from lms.models import RoleProfile, RoleRequirement

log = logging.getLogger(__name__)

PROFILES_FILE = "role_profiles.toml"


class ProfileFileError(ValueError):
    """The role profile file names an unknown job role, competence or level."""


def profiles_path() -> Path:
    """Return where the shipped role profiles live, beside the modules."""
    return Path(current_app.config["LMS_MODULES_PATH"]) / PROFILES_FILE


def read_profiles_file(path: Path) -> dict[str, dict[str, int]]:
    """Read and check role_profiles.toml: job role -> competence id -> level."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    known = {c.id for area in framework().areas for c in area.competences}
    levels = {level.value for level in framework().levels}
    for job_role, requirements in data.items():
        if job_role not in JOB_ROLES:
            raise ProfileFileError(f"{path.name}: unknown job role {job_role!r}")
        for competence_id, level in requirements.items():
            if competence_id not in known:
                raise ProfileFileError(
                    f"{path.name} [{job_role}]: unknown competence {competence_id!r}"
                )
            if level not in levels:
                raise ProfileFileError(
                    f"{path.name} [{job_role}] {competence_id}: unknown level {level!r}"
                )
    return data


def seed_role_profiles(path: Path | None = None) -> int:
    """Create the shipped profile of every job role that has none; caller commits."""
    shipped = read_profiles_file(path or profiles_path())
    existing = set(db.session.execute(db.select(RoleProfile.job_role)).scalars())
    created = 0
    for job_role in JOB_ROLES:
        if job_role in existing:
            continue
        profile = RoleProfile(job_role=job_role)
        profile.requirements = [
            RoleRequirement(competence_id=competence_id, level=level)
            for competence_id, level in sorted(shipped.get(job_role, {}).items())
        ]
        db.session.add(profile)
        created += 1
    if created:
        log.info("seeded %d role profiles", created)
    return created


def role_profiles() -> dict[str, dict[str, int]]:
    """Return every saved profile: job role -> competence id -> required level."""
    found: dict[str, dict[str, int]] = {job_role: {} for job_role in JOB_ROLES}
    rows = db.session.execute(
        db.select(
            RoleRequirement.job_role,
            RoleRequirement.competence_id,
            RoleRequirement.level,
        )
    )
    for job_role, competence_id, level in rows:
        found.setdefault(job_role, {})[competence_id] = level
    return found


def competence_ids() -> list[str]:
    """Return every competence of the framework, in framework order."""
    return [c.id for area in framework().areas for c in area.competences]
