"""Issue, render and revoke certificates.

Issuing joins the transaction of the completion that earned it, so the certificate,
its "earned" statement and the completion commit together or not at all. A unique
constraint on (holder, achievement, cycle) makes it happen exactly once, even when
two completions race; the loser finds the winner's certificate and issues nothing.
"""

import logging
import secrets
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy.exc import IntegrityError

from lms.audit import audit
from lms.certificates import credential, keys, notices
from lms.certificates.achievements import (
    Achievement,
    add_months,
    competence_snapshot,
    earned_statement,
    institution_of,
    module_achievement,
    programme_achievement,
)
from lms.certificates.pdf import render_pdf
from lms.certificates.queries import (
    CODE_ALPHABET,
    CODE_LENGTH,
    latest_in_chain,
    managers_of,
    window_opens,
)
from lms.certificates.status_list import LIST_BITS
from lms.extensions import db
from lms.jobs import enqueue, handler
from lms.models import Certificate, Enrolment, Job, ProgrammeEnrolment, SigningKey, User
from lms.models.common import new_uuid

log = logging.getLogger(__name__)
#: Certificates per status list before a new list is started: half full at most.
PER_LIST = LIST_BITS // 2
RENDER_JOB, REMIND_JOB = "certificates.render", "certificates.remind"


class CertificateError(Exception):
    """A certificate action that is not allowed; the message is for the user."""


def issue_for_enrolment(enrolment: Enrolment) -> Certificate | None:
    """Issue a completed module's first certificate once; the caller commits."""
    if enrolment.completed_at is None:
        return None
    if latest_in_chain(enrolment.user_id, "module", _slug(enrolment)) is not None:
        return None
    return issue_module(enrolment)


def issue_module(
    enrolment: Enrolment,
    previous: Certificate | None = None,
    now: datetime | None = None,
) -> Certificate | None:
    """Issue a module certificate, next in the chain after previous; None if raced."""
    achievement = module_achievement(enrolment)
    certificate = issue(enrolment.user, achievement, enrolment.uuid, previous, now)
    if certificate is not None:
        from lms.records import record  # records calls this module

        record(enrolment, [earned_statement(certificate, enrolment.uuid)])
        if previous is not None:
            renew_programmes(enrolment, now)
    return certificate


def renew_programmes(enrolment: Enrolment, now: datetime | None = None) -> None:
    """Renew the programme certificates that a renewed module certificate completes.

    A programme certificate is renewed, continuing its chain, once its renewal
    window is open and every module of the programme holds a valid certificate
    issued since the window opened. The caller commits.
    """
    from lms.programme_records import save  # it builds on this module
    from lms.programmes import programme_of, programmes_with_module

    now = now or datetime.now(UTC)
    slug = _slug(enrolment)
    for programme_enrolment in programmes_with_module(enrolment.user_id, slug):
        programme = programme_of(programme_enrolment.programme_version)
        latest = latest_in_chain(enrolment.user_id, "programme", programme.slug)
        opens = window_opens(latest) if latest is not None else None
        if opens is None or now < opens:
            continue
        if not all(
            _renewed_since(enrolment.user_id, module, opens, now)
            for module in programme.modules
        ):
            continue
        achievement = programme_achievement(programme_enrolment)
        renewed = issue(
            programme_enrolment.user, achievement, programme_enrolment.uuid, latest, now
        )
        if renewed is not None:
            save([earned_statement(renewed, programme_enrolment.uuid)])
            log.info("programme certificate %s renewed", renewed.id)


def _renewed_since(user_id: int, slug: str, opens: datetime, now: datetime) -> bool:
    latest = latest_in_chain(user_id, "module", slug)
    return (
        latest is not None
        and latest.issued_at >= opens.replace(microsecond=0)
        and latest.status(now) == "valid"
    )


def issue_for_programme(enrolment: ProgrammeEnrolment) -> Certificate | None:
    """Issue a completed programme's first certificate once; the caller commits."""
    if enrolment.completed_at is None:
        return None
    slug = enrolment.programme_version.slug
    if latest_in_chain(enrolment.user_id, "programme", slug) is not None:
        return None
    achievement = programme_achievement(enrolment)
    certificate = issue(enrolment.user, achievement, enrolment.uuid)
    if certificate is not None:
        from lms.programme_records import save

        save([earned_statement(certificate, enrolment.uuid)])
    return certificate


def _slug(enrolment: Enrolment) -> str:
    return enrolment.module_version.slug


def issue(
    holder: User,
    achievement: Achievement,
    registration: str,
    previous: Certificate | None = None,
    now: datetime | None = None,
) -> Certificate | None:
    """Insert and sign a certificate unless the chain already has this cycle."""
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    for _attempt in range(5):
        certificate = _new_certificate(holder, achievement, registration, previous, now)
        try:
            with db.session.begin_nested():
                db.session.add(certificate)
        except IntegrityError:
            # Either a racing completion issued this cycle (done), or the random
            # code or status index collided (draw again).
            if _cycle_taken(holder, achievement, certificate.cycle):
                return None
            continue
        enqueue(RENDER_JOB, {"certificate_id": certificate.id})
        schedule_reminders()
        log.info("certificate %s issued to user %s", certificate.id, holder.id)
        return certificate
    raise CertificateError("could not allocate a certificate code")


def _cycle_taken(holder: User, achievement: Achievement, cycle: int) -> bool:
    query = db.select(Certificate.id).filter_by(
        holder_id=holder.id,
        achievement_kind=achievement.kind,
        achievement_slug=achievement.slug,
        cycle=cycle,
    )
    return db.session.execute(query).first() is not None


def _new_certificate(
    holder: User,
    achievement: Achievement,
    registration: str,
    previous: Certificate | None,
    now: datetime,
) -> Certificate:
    months = achievement.valid_months
    start = now
    if previous is not None and previous.expires_at and previous.expires_at > now:
        start = previous.expires_at  # renewing early loses no time
    status_list, status_index = _status_slot()
    certificate = Certificate(
        uuid=new_uuid(),
        code="".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)),
        holder_id=holder.id,
        holder_name=holder.name,
        locale=holder.locale if holder.locale in ("da", "en") else "da",
        achievement_kind=achievement.kind,
        achievement_slug=achievement.slug,
        achievement_version=achievement.version,
        title_da=achievement.title["da"],
        title_en=achievement.title["en"],
        competences=competence_snapshot(achievement.competences),
        issuer_name=_issuer_name(),
        institution_name=institution_of(holder, achievement.cohort_slugs),
        registration=registration,
        issued_at=now,
        expires_at=add_months(start, months) if months else None,
        status_list=status_list,
        status_index=status_index,
        cycle=previous.cycle + 1 if previous is not None else 0,
        previous_id=previous.id if previous is not None else None,
    )
    summary = achievement.summary.get(certificate.locale, "")
    credential.sign_certificate(certificate, summary)
    return certificate


def _issuer_name() -> str:
    return current_app.config["LMS_ISSUER_NAME"]


def _status_slot() -> tuple[int, int]:
    """Draw a random free place in the current status list (herd privacy)."""
    issued = db.session.execute(db.select(db.func.count(Certificate.id))).scalar()
    return 1 + issued // PER_LIST, secrets.randbelow(LIST_BITS)


def pdf_of(certificate: Certificate) -> bytes:
    """Return the certificate's PDF, rendering and caching it the first time."""
    if certificate.holder_erased_at is not None:
        raise CertificateError("the holder was erased")
    if certificate.pdf is None:
        certificate.pdf = render_pdf(
            certificate, credential.verify_url(certificate.code)
        )
        db.session.commit()
    return certificate.pdf


@handler(RENDER_JOB)
def _render(payload: dict) -> None:
    """Render a new certificate's PDF ahead of its first download."""
    certificate = db.session.get(Certificate, payload["certificate_id"])
    if certificate is not None and certificate.holder_erased_at is None:
        pdf_of(certificate)


def revoke(certificate: Certificate, admin: User, reason: str) -> None:
    """Revoke a certificate with a reason, audit it and tell the holder and managers."""
    if certificate.revoked_at is not None:
        raise CertificateError("already revoked")
    _revoke(certificate, admin, reason)
    db.session.commit()
    log.info("admin %s revoked certificate %s", admin.id, certificate.id)


def withdraw_unearned(enrolment: Enrolment | ProgrammeEnrolment) -> list[Certificate]:
    """Revoke the certificates of an enrolment whose completion was voided.

    lms.records and lms.programme_records call this after folding again a
    voided enrolment; the caller commits.
    """
    if enrolment.completed_at is not None:
        return []
    query = db.select(Certificate).filter_by(
        registration=enrolment.uuid, revoked_at=None
    )
    withdrawn = list(db.session.execute(query).scalars())
    for certificate in withdrawn:
        _revoke(certificate, None, notices.WITHDRAWN_REASON)
        log.info("certificate %s withdrawn: completion voided", certificate.id)
    return withdrawn


def _revoke(certificate: Certificate, actor: User | None, reason: str) -> None:
    """Mark revoked, audit and notify; actor None means the system did it."""
    certificate.revoked_at = datetime.now(UTC)
    certificate.revocation_reason = reason
    certificate.revoked_by_id = actor.id if actor is not None else None
    audit(
        "certificate.revoke",
        "certificate",
        certificate.uuid,
        actor,
        {"reason": reason, "holder_id": certificate.holder_id},
    )
    holder = [certificate.holder] if certificate.holder.active else []
    for recipient in holder + managers_of(certificate.holder):
        key = f"cert-revoked:{certificate.id}:{recipient.id}"
        notices.send("revoked", certificate, recipient, key)


def rotate_key(admin: User | None) -> SigningKey:
    """Start signing with a new key; the old ones stay published. Audited."""
    key = keys.rotate()
    audit("signing_key.rotate", "signing_key", key.kid, admin)
    db.session.commit()
    log.info(
        "user %s rotated the signing key to %s", admin.id if admin else None, key.kid
    )
    return key


def schedule_reminders(first_run: datetime | None = None) -> None:
    """Make sure the daily expiry-reminder job is queued; the caller commits."""
    pending = db.session.execute(
        db.select(Job.id).where(Job.kind == REMIND_JOB, Job.finished_at.is_(None))
    ).first()
    if pending is None:
        enqueue(REMIND_JOB, {}, run_at=first_run or datetime.now(UTC))


@handler(REMIND_JOB)
def _remind(payload: dict) -> None:
    """Send the due expiry reminders, then queue tomorrow's run."""
    from lms.operations.certificate_reminders import send_expiry_reminders

    send_expiry_reminders(datetime.now(UTC))
    enqueue(REMIND_JOB, {}, run_at=datetime.now(UTC) + timedelta(days=1))
    db.session.commit()
