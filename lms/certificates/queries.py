"""Reads about certificates: by code, by holder, their managers, valid competence."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from lms.extensions import db
from lms.models import Certificate, ManagedUnit, Unit, User
from modules import Activity

#: Verification codes use these letters and digits only: no I, L, O, 0 or 1.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12
_CODE = re.compile(f"[{CODE_ALPHABET}]{{{CODE_LENGTH}}}")
#: No name or email is longer (User.email); a longer search text finds nothing.
LONGEST_TERM = 254
#: How long before expiry a certificate can be renewed.
RENEWAL_WINDOW = timedelta(days=90)


def normalise_code(text: str) -> str | None:
    """Return a typed code in canonical form, or None if it cannot be a code."""
    code = re.sub(r"[\s-]", "", text or "").upper()
    return code if _CODE.fullmatch(code) else None


def by_code(text: str) -> Certificate | None:
    """Return the certificate with this verification code (an indexed lookup)."""
    code = normalise_code(text)
    if code is None:
        return None
    query = db.select(Certificate).filter_by(code=code)
    return db.session.execute(query).scalar_one_or_none()


def by_uuid(certificate_uuid: str) -> Certificate | None:
    """Return the certificate with this public id."""
    query = db.select(Certificate).filter_by(uuid=certificate_uuid)
    return db.session.execute(query).scalar_one_or_none()


def certificates_of(user_id: int) -> list[Certificate]:
    """Return a person's certificates, newest first."""
    query = (
        db.select(Certificate)
        .filter_by(holder_id=user_id)
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    )
    return list(db.session.execute(query).scalars())


def latest_in_chain(user_id: int, kind: str, slug: str) -> Certificate | None:
    """Return the newest certificate of a recertification chain."""
    query = (
        db.select(Certificate)
        .filter_by(holder_id=user_id, achievement_kind=kind, achievement_slug=slug)
        .order_by(Certificate.cycle.desc())
        .limit(1)
    )
    return db.session.execute(query).scalar_one_or_none()


def valid_certificates(user_id: int, now: datetime | None = None) -> list[Certificate]:
    """Return the certificates that count as competence: not expired, not revoked."""
    now = now or datetime.now(UTC)
    return [c for c in certificates_of(user_id) if c.status(now) == "valid"]


def competence_levels(user_id: int, now: datetime | None = None) -> dict[str, int]:
    """Return each competence's highest level from the person's valid certificates."""
    levels: dict[str, int] = {}
    for certificate in valid_certificates(user_id, now):
        for competence in certificate.competences:
            key = competence["id"]
            levels[key] = max(levels.get(key, 0), int(competence["level"]))
    return levels


def unit_and_ancestors(unit_id: int | None) -> list[int]:
    """Return the unit and every unit above it."""
    found: list[int] = []
    while unit_id is not None and unit_id not in found:
        found.append(unit_id)
        unit_id = db.session.execute(
            db.select(Unit.parent_id).filter_by(id=unit_id)
        ).scalar_one_or_none()
    return found


def managers_of(user: User) -> list[User]:
    """Return the managers who lead the person's primary unit or a unit above it."""
    units = unit_and_ancestors(user.primary_unit_id)
    if not units:
        return []
    query = (
        db.select(User)
        .join(ManagedUnit, ManagedUnit.user_id == User.id)
        .where(ManagedUnit.unit_id.in_(units), User.active.is_(True))
        .where(User.id != user.id)
        .distinct()
        .order_by(User.id)
    )
    return [m for m in db.session.execute(query).scalars() if m.has_role("manager")]


def may_manage(manager: User, holder: User) -> bool:
    """Return whether a manager leads a unit containing the holder's primary unit."""
    if not manager.has_role("manager"):
        return False
    units = unit_and_ancestors(holder.primary_unit_id)
    if not units:
        return False
    query = db.select(ManagedUnit.unit_id).where(
        ManagedUnit.user_id == manager.id, ManagedUnit.unit_id.in_(units)
    )
    return db.session.execute(query).first() is not None


def window_opens(certificate: Certificate) -> datetime | None:
    """Return when a certificate can be renewed; None if it never needs to be."""
    if certificate.expires_at is None or certificate.revoked_at is not None:
        return None
    # A validity shorter than twice the window opens renewal half-way through.
    halfway = (
        certificate.issued_at + (certificate.expires_at - certificate.issued_at) / 2
    )
    return max(certificate.expires_at - RENEWAL_WINDOW, halfway)


@dataclass(frozen=True)
class CertificateRow:
    """A certificate on its holder's page, with what renews it when that is open."""

    certificate: Certificate
    status: str
    #: The activities to do again, when the certificate can be renewed now.
    renewal: tuple[Activity, ...]


def rows_of(user_id: int, now: datetime) -> list[CertificateRow]:
    """Return a person's certificates with status and open renewals, newest first."""
    from lms.content import module_of
    from lms.models import Enrolment

    rows, seen = [], set()
    for certificate in certificates_of(user_id):
        chain = (certificate.achievement_kind, certificate.achievement_slug)
        renewal: tuple[Activity, ...] = ()
        opens = window_opens(certificate)
        if chain not in seen and chain[0] == "module" and opens and opens <= now:
            enrolment = db.session.execute(
                db.select(Enrolment).filter_by(uuid=certificate.registration)
            ).scalar_one_or_none()
            if enrolment is not None:
                renewal = module_of(enrolment.module_version).recertification_activities
        seen.add(chain)
        rows.append(CertificateRow(certificate, certificate.status(now), renewal))
    return rows


def search(term: str, limit: int = 50) -> list[Certificate]:
    """Find certificates by verification code, or by the holder's name or email."""
    if len(term) > LONGEST_TERM or "\x00" in term:
        return []  # no name holds NUL; SQLite refuses LIKE patterns of 50 000 bytes
    code = normalise_code(term)
    pattern = f"%{term.lower()}%"
    query = (
        db.select(Certificate)
        .join(User, User.id == Certificate.holder_id)
        .where(
            (Certificate.code == code)
            | db.func.lower(Certificate.holder_name).like(pattern)
            | db.func.lower(User.email).like(pattern)
        )
        .order_by(Certificate.issued_at.desc())
        .limit(limit)
    )
    return list(db.session.execute(query).scalars())


def recent(limit: int = 50) -> list[Certificate]:
    """Return the certificates issued last."""
    query = db.select(Certificate).order_by(Certificate.issued_at.desc()).limit(limit)
    return list(db.session.execute(query).scalars())
