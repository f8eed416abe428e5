"""What a certificate attests, and the statement that records it was earned.

Reads only: the module or programme version with its competences and validity, the
institution that taught it, and the xAPI "earned" statement.
"""

import calendar
from dataclasses import dataclass
from datetime import datetime

from lms.content import framework, module_of
from lms.extensions import db
from lms.models import (
    Certificate,
    Cohort,
    Enrolment,
    Organisation,
    ProgrammeEnrolment,
    Unit,
    User,
    cohort_educators,
    cohort_members,
)
from lms.statements import base_url
from modules import CompetenceLevel
from xapi import builders as b


@dataclass(frozen=True)
class Achievement:
    """What a certificate attests: a module or programme version and its competences."""

    kind: str
    slug: str
    version: str
    title: dict[str, str]
    summary: dict[str, str]
    competences: tuple[CompetenceLevel, ...]
    valid_months: int | None
    #: The slugs of cohorts whose educators taught it.
    cohort_slugs: tuple[str, ...]


def add_months(moment: datetime, months: int) -> datetime:
    """Return the same day and time months later (the month's last day if shorter)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def module_achievement(enrolment: Enrolment) -> Achievement:
    """Describe the module version an enrolment is pinned to."""
    module = module_of(enrolment.module_version)
    return Achievement(
        "module",
        module.slug,
        module.version,
        dict(module.title),
        dict(module.summary),
        module.competences,
        module.certificate_valid_months,
        (module.slug,),
    )


def programme_achievement(enrolment: ProgrammeEnrolment) -> Achievement:
    """Describe a programme version, attesting the best level of each module's."""
    # Programme records issue certificates through this package: import late.
    from lms.programme_records import module_enrolments
    from lms.programmes import programme_of

    programme = programme_of(enrolment.programme_version)
    levels: dict[str, int] = {}
    for module_enrolment in module_enrolments(enrolment.user_id, programme.modules):
        for competence in module_of(module_enrolment.module_version).competences:
            levels[competence.id] = max(levels.get(competence.id, 0), competence.level)
    return Achievement(
        "programme",
        programme.slug,
        programme.version,
        dict(programme.title),
        dict(programme.summary),
        tuple(CompetenceLevel(cid, level) for cid, level in sorted(levels.items())),
        programme.certificate_valid_months,
        (programme.slug, *programme.modules),
    )


def competence_snapshot(levels: tuple[CompetenceLevel, ...]) -> list[dict]:
    """Snapshot the competences with their names, so the certificate never changes."""
    frame, found = framework(), []
    for item in levels:
        competence, level = frame.competence(item.id), frame.level(item.level)
        found.append(
            {
                "id": item.id,
                "level": item.level,
                "name": dict(competence.name) if competence else {"da": item.id},
                "level_name": dict(level.name) if level else {},
            }
        )
    return found


def institution_of(holder: User, cohort_slugs: tuple[str, ...]) -> str | None:
    """Return the organisation of the educators of the holder's cohort, if any."""
    educator = db.aliased(User)
    query = (
        db.select(Organisation.name)
        .select_from(Cohort)
        .join(cohort_members, cohort_members.c.cohort_id == Cohort.id)
        .join(cohort_educators, cohort_educators.c.cohort_id == Cohort.id)
        .join(educator, educator.id == cohort_educators.c.user_id)
        .join(Unit, Unit.id == educator.primary_unit_id)
        .join(Organisation, Organisation.id == Unit.organisation_id)
        .where(cohort_members.c.user_id == holder.id)
        .where(
            Cohort.module_slug.in_(cohort_slugs)
            | Cohort.programme_slug.in_(cohort_slugs[:1])
        )
        .order_by(Cohort.id, educator.id)
        .limit(1)
    )
    return db.session.execute(query).scalar_one_or_none()


def earned_statement(certificate: Certificate, registration: str) -> dict:
    """Build the "earned" statement of a certificate, about its module or programme."""
    base = base_url()
    ids = b.ActivityIds(base)
    if certificate.achievement_kind == "module":
        obj_id, type_key = ids.module(certificate.achievement_slug), "module"
        context = b.Context(
            base, registration=registration, module_slug=certificate.achievement_slug
        )
    else:
        obj_id, type_key = ids.programme(certificate.achievement_slug), "course"
        context = b.Context(base, registration=registration)
    title = {"da": certificate.title_da, "en": certificate.title_en}
    return b.statement(
        b.actor(base, certificate.holder.uuid),
        "earned",
        b.activity_object(obj_id, type_key, name=title),
        context=context.as_dict() | {"language": certificate.locale},
        result=b.result(
            completion=True,
            success=True,
            extensions={f"{base}/xapi/extensions/certificate": certificate.uuid},
        ),
        timestamp=certificate.issued_at,
    )
