"""Reminders before a certificate expires, to the holder and their managers.

The worker runs this daily (the self-rescheduling job certificates.remind), and
`flask --app lms certificates remind` runs it at once. Each reminder has a dedupe key
per certificate, threshold and recipient, so it goes out once however often this runs.
"""

import logging
from datetime import datetime, timedelta

from lms.certificates import notices
from lms.certificates.queries import managers_of
from lms.extensions import db
from lms.models import Certificate

log = logging.getLogger(__name__)
#: Days before expiry at which reminders go out.
THRESHOLDS = (90, 30, 7)


def due_certificates(now: datetime) -> list[Certificate]:
    """Return the in-force, unrenewed certificates that expire within 90 days."""
    later = db.aliased(Certificate)
    renewed = (
        db.select(later.id)
        .where(
            later.holder_id == Certificate.holder_id,
            later.achievement_kind == Certificate.achievement_kind,
            later.achievement_slug == Certificate.achievement_slug,
            later.cycle > Certificate.cycle,
        )
        .exists()
    )
    query = (
        db.select(Certificate)
        .where(
            Certificate.revoked_at.is_(None),
            Certificate.expires_at > now,
            Certificate.expires_at <= now + timedelta(days=max(THRESHOLDS)),
            ~renewed,
        )
        .order_by(Certificate.expires_at, Certificate.id)
    )
    return list(db.session.execute(query).scalars())


def threshold_for(certificate: Certificate, now: datetime) -> int:
    """Return the nearest threshold the certificate has passed (90, 30 or 7)."""
    days_left = (certificate.expires_at - now) / timedelta(days=1)
    return min(days for days in THRESHOLDS if days_left <= days)


def send_expiry_reminders(now: datetime) -> int:
    """Queue the due reminders once each and commit; return how many were queued."""
    queued = 0
    for certificate in due_certificates(now):
        threshold = threshold_for(certificate, now)
        holder = certificate.holder
        recipients = ([holder] if holder.active else []) + managers_of(holder)
        for recipient in recipients:
            key = f"cert-expiry:{certificate.id}:{threshold}:{recipient.id}"
            queued += notices.send("expiring", certificate, recipient, key)
    db.session.commit()
    log.info("queued %d certificate expiry reminder(s)", queued)
    return queued
