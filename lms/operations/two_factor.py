"""TOTP second factor: enrol, confirm, check at sign-in, disable; all audited."""

import logging

from sqlalchemy import or_, update

from lms.audit import audit
from lms.auth import totp
from lms.extensions import db
from lms.models import User

log = logging.getLogger(__name__)


def start_enrolment(user: User) -> None:
    """Give the user a new secret to scan; it works only after confirmation."""
    if user.totp_enabled:
        raise ValueError("two-step verification is already on")
    user.totp_secret = totp.encrypt(totp.new_secret())
    user.totp_last_step = None
    db.session.commit()


def pending_secret(user: User) -> str | None:
    """Return the secret of an enrolment that is not yet confirmed."""
    return None if user.totp_enabled else totp.decrypt(user.totp_secret)


def confirm_enrolment(user: User, code: str) -> bool:
    """Turn TOTP on if the code fits the pending secret; other sessions end."""
    secret = pending_secret(user)
    step = totp.matching_step(secret, code) if secret else None
    if step is None:
        return False
    user.totp_enabled, user.totp_last_step = True, step
    user.renew_session_token()
    audit("user.totp_enable", "user", user.uuid, user)
    db.session.commit()
    log.info("user %s turned on two-step verification", user.id)
    return True


def accept_code(user: User, code: str) -> bool:
    """Check a sign-in code; each code is accepted once, even across processes."""
    secret = totp.decrypt(user.totp_secret) if user.totp_enabled else None
    step = totp.matching_step(secret, code) if secret else None
    if step is None:
        return False
    # Only a step newer than the last one used counts: a replayed code fails.
    claimed = db.session.execute(
        update(User)
        .where(
            User.id == user.id,
            or_(User.totp_last_step.is_(None), User.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    db.session.refresh(user)
    return claimed == 1


def disable(user: User, actor: User | None) -> None:
    """Turn TOTP off and forget the secret (audited)."""
    user.totp_enabled, user.totp_secret, user.totp_last_step = False, None, None
    audit("user.totp_disable", "user", user.uuid, actor)
    db.session.commit()
    log.info("two-step verification of user %s turned off", user.id)
