"""A person's page for their manager: competence, enrolments and certificates.

It shows no quiz answers and no reflections: those stay between learner and educator.
"""

from dataclasses import dataclass
from datetime import datetime

from lms.competence.attestations import Attestation, attestations
from lms.competence.profiles import competence_ids, role_profiles
from lms.competence.projection import FOREVER
from lms.extensions import db
from lms.models import Enrolment, ProgrammeEnrolment, User


@dataclass(frozen=True)
class CompetenceLine:
    """One competence of the framework for one person."""

    competence_id: str
    required: int
    #: The best level of a valid certificate, 0 for none.
    held: int
    #: Until when the required level is met (None: not met; FOREVER: no expiry).
    met_until: datetime | None
    status: str  # "met", "expiring", "expired", "missing", "extra"


def competence_lines(
    person: User, now: datetime, soon: datetime
) -> list[CompetenceLine]:
    """Compare the person's certificates with their role profile."""
    required = role_profiles().get(person.job_role or "", {})
    held = attestations([person.id])
    lines = []
    for competence_id in competence_ids():
        mine = [a for a in held if a.competence_id == competence_id]
        valid = [a for a in mine if (a.expires_at or FOREVER) > now]
        level = required.get(competence_id, 0)
        best = max((a.level for a in valid), default=0)
        meeting = [a.expires_at or FOREVER for a in mine if a.level >= max(level, 1)]
        met_until = max(meeting) if meeting else None
        if not level and not best:
            continue
        lines.append(
            CompetenceLine(
                competence_id,
                level,
                best,
                met_until,
                _status(level, met_until, now, soon),
            )
        )
    return lines


def _status(
    level: int, met_until: datetime | None, now: datetime, soon: datetime
) -> str:
    if not level:
        return "extra"
    if met_until is None:
        return "missing"
    if met_until <= now:
        return "expired"
    return "expiring" if met_until <= soon else "met"


@dataclass(frozen=True)
class CertificateLine:
    """One certificate of the person, with the competences it attests."""

    achievement: str
    issued_at: datetime
    expires_at: datetime | None
    competences: tuple[tuple[str, int], ...]


def certificates_of(person: User) -> list[CertificateLine]:
    """Return the person's non-revoked certificates, newest first."""
    grouped: dict[tuple, list[Attestation]] = {}
    for item in attestations([person.id]):
        key = (item.achievement, item.issued_at, item.expires_at)
        grouped.setdefault(key, []).append(item)
    lines = [
        CertificateLine(
            key[0], key[1], key[2], tuple((a.competence_id, a.level) for a in items)
        )
        for key, items in grouped.items()
    ]
    return sorted(lines, key=lambda line: line.issued_at, reverse=True)


def enrolments_of(person: User) -> tuple[list[Enrolment], list[ProgrammeEnrolment]]:
    """Return the person's module and programme enrolments, newest first."""
    modules = db.session.execute(
        db.select(Enrolment)
        .filter_by(user_id=person.id)
        .order_by(Enrolment.enrolled_at.desc())
    ).scalars()
    programmes = db.session.execute(
        db.select(ProgrammeEnrolment)
        .filter_by(user_id=person.id)
        .order_by(ProgrammeEnrolment.enrolled_at.desc())
    ).scalars()
    return list(modules), list(programmes)
