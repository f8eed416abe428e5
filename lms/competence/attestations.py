"""Where a person's competence comes from: their certificates.

DESIGN.md: a person's competence comes from their valid certificates, not expired
and not revoked. While the certificate model is not in the app, a completed module
enrolment stands in for the certificate its completion issues: the module's
competences and levels, valid for the module's certificate_valid_months.
"""

import calendar
import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from lms.content import module_of
from lms.extensions import db
from lms.models import Enrolment, ModuleVersion


@dataclass(frozen=True)
class Attestation:
    """One competence at a level, held by a person from one certificate."""

    user_id: int
    competence_id: str
    level: int
    issued_at: datetime
    #: None when the certificate never expires.
    expires_at: datetime | None
    #: The module or programme slug the certificate is for.
    achievement: str


def certificate_model():
    """Return the Certificate model once the app has one, else None."""
    try:
        module = importlib.import_module("lms.models.certificates")
    except ImportError:
        return None
    return getattr(module, "Certificate", None)


def attestations(user_ids: Iterable[int] | None = None) -> list[Attestation]:
    """Return the non-revoked attestations of these people (everyone for None)."""
    model = certificate_model()
    if model is not None:
        return _from_certificates(model, user_ids)
    return _from_completions(user_ids)


def _from_certificates(model, user_ids: Iterable[int] | None) -> list[Attestation]:
    query = db.select(model).where(model.revoked_at.is_(None))
    if user_ids is not None:
        query = query.where(model.holder_id.in_(list(user_ids)))
    found = []
    for certificate in db.session.execute(query).scalars():
        for competence_id, level in _levels(certificate.competences):
            found.append(
                Attestation(
                    certificate.holder_id,
                    competence_id,
                    level,
                    certificate.issued_at,
                    certificate.expires_at,
                    certificate.achievement_slug,
                )
            )
    return found


def _levels(competences) -> list[tuple[str, int]]:
    """Read a certificate's competences, stored as a mapping or a list of pairs."""
    if isinstance(competences, dict):
        return [(str(key), int(value)) for key, value in competences.items()]
    pairs = []
    for item in competences or []:
        if isinstance(item, dict):
            pairs.append((str(item["id"]), int(item["level"])))
        else:
            pairs.append((str(item[0]), int(item[1])))
    return pairs


def _from_completions(user_ids: Iterable[int] | None) -> list[Attestation]:
    query = (
        db.select(Enrolment.user_id, Enrolment.completed_at, ModuleVersion)
        .join(ModuleVersion)
        .where(Enrolment.completed_at.is_not(None))
    )
    if user_ids is not None:
        query = query.where(Enrolment.user_id.in_(list(user_ids)))
    found = []
    for user_id, completed_at, version in db.session.execute(query):
        module = module_of(version)
        months = module.certificate_valid_months
        expires = add_months(completed_at, months) if months else None
        for competence in module.competences:
            found.append(
                Attestation(
                    user_id,
                    competence.id,
                    competence.level,
                    completed_at,
                    expires,
                    module.slug,
                )
            )
    return found


def add_months(moment: datetime, months: int) -> datetime:
    """Return the same day and time months later (the month's last day if shorter)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)
