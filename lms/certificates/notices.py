"""Mail to learners and managers about certificates, in each recipient's language."""

from flask_babel import force_locale, format_date
from flask_babel import gettext as _

from lms.certificates.credential import verify_url
from lms.mail import queue_mail
from lms.models import Certificate, User

#: The recorded reason when the completion a certificate rests on is voided.
WITHDRAWN_REASON = "completion voided"


def reason_text(certificate: Certificate) -> str:
    """Return the revocation reason in the current language where it is the system's."""
    if certificate.revocation_reason == WITHDRAWN_REASON:
        return _("The completion it was issued for was voided in the learning record.")
    return certificate.revocation_reason or ""


def _revoked(certificate: Certificate, recipient: User) -> tuple[str, str]:
    title = certificate.title(recipient.locale)
    subject = _("Certificate revoked: %(title)s", title=title)
    if recipient.id == certificate.holder_id:
        lead = _("Your certificate for %(title)s has been revoked.", title=title)
    else:
        lead = _(
            "The certificate of %(name)s for %(title)s has been revoked.",
            name=certificate.holder_name,
            title=title,
        )
    body = "\n\n".join(
        [
            lead,
            _("Reason: %(reason)s", reason=reason_text(certificate)),
            _("Verification page: %(url)s", url=verify_url(certificate.code)),
        ]
    )
    return subject, body


def _expiring(certificate: Certificate, recipient: User) -> tuple[str, str]:
    title = certificate.title(recipient.locale)
    when = format_date(certificate.expires_at, "long")
    subject = _("Certificate expires %(date)s: %(title)s", date=when, title=title)
    if recipient.id == certificate.holder_id:
        lead = _(
            "Your certificate for %(title)s expires on %(date)s. Renew it by "
            "completing the recertification activities of the module.",
            title=title,
            date=when,
        )
    else:
        lead = _(
            "The certificate of %(name)s for %(title)s expires on %(date)s.",
            name=certificate.holder_name,
            title=title,
            date=when,
        )
    return subject, lead + "\n\n" + verify_url(certificate.code)


def send(kind: str, certificate: Certificate, recipient: User, dedupe_key: str) -> bool:
    """Queue one notice ("revoked" or "expiring") once per dedupe key."""
    compose = {"revoked": _revoked, "expiring": _expiring}[kind]
    with force_locale(recipient.locale or "da"):
        subject, body = compose(certificate, recipient)
    # A manager's notice names the holder: erasing the holder must reach it.
    about = certificate.holder_id if recipient.id != certificate.holder_id else None
    mail = queue_mail(
        recipient.email, subject, body, dedupe_key=dedupe_key, about=about
    )
    return mail is not None
