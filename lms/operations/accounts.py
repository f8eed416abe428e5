"""Sign-in outcomes, lockout, passwords and reset links; each use case commits once."""

import hashlib
import logging
import secrets
from datetime import UTC, datetime, timedelta
from functools import cache

from flask import current_app
from sqlalchemy import update
from werkzeug.security import check_password_hash, generate_password_hash

from lms.audit import audit
from lms.auth import notices, passwords
from lms.extensions import db
from lms.models import PasswordResetToken, User

log = logging.getLogger(__name__)


class PasswordRejected(ValueError):
    """The new password breaks the policy; `codes` says which rules."""

    def __init__(self, codes: list[str]) -> None:
        super().__init__(", ".join(codes))
        self.codes = codes


def _now() -> datetime:
    return datetime.now(UTC)


def normalise_email(email: str) -> str:
    """Return the email as stored: trimmed and lower-case."""
    return (email or "").strip().lower()


def active_user(email: str) -> User | None:
    """Return the active user with this email, or None."""
    user = db.session.execute(
        db.select(User).filter_by(email=normalise_email(email))
    ).scalar_one_or_none()
    return user if user is not None and user.active else None


@cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash(secrets.token_hex(16), method=method)


def authenticate(email: str, password: str) -> User | None:
    """Return the user if the password is right and the account is not locked.

    Every refusal takes about as long as a real check, so the timing does not tell
    whether the email has an account. A wrong password counts towards lockout.
    """
    user, now = active_user(email), _now()
    if user is None:
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        check_password_hash(_dummy_hash(method), password)
        return None
    right = user.check_password(password)
    if user.is_locked(now):
        return None
    if not right:
        record_failed_sign_in(user)
        return None
    return user


def record_failed_sign_in(user: User) -> bool:
    """Count a failed password or code; lock the account at the threshold.

    Return whether this failure locked it. The owner gets one mail per lockout.
    """
    config, now = current_app.config, _now()
    user.failed_logins = User.failed_logins + 1
    db.session.flush()
    db.session.refresh(user, ["failed_logins"])
    locked = user.failed_logins >= config["LMS_LOCKOUT_THRESHOLD"]
    if locked:
        until = now + timedelta(minutes=config["LMS_LOCKOUT_MINUTES"])
        attempts, user.failed_logins, user.locked_until = user.failed_logins, 0, until
        audit(
            "user.lock",
            "user",
            user.uuid,
            None,
            {"failed_logins": attempts, "until": until.isoformat()},
        )
        notices.lockout(user, until)  # deduplicated by the lockout's end
        log.info("user %s locked after %d failed sign-ins", user.id, attempts)
    db.session.commit()
    return locked


def complete_sign_in(user: User) -> None:
    """Forget earlier failures after a full sign-in (password and any code)."""
    if user.failed_logins or user.locked_until is not None:
        user.failed_logins, user.locked_until = 0, None
        db.session.commit()
    log.info("user %s signed in", user.id)


def is_locked(user: User) -> bool:
    """Return whether the account is locked now."""
    return user.is_locked(_now())


def unlock(user: User, admin: User) -> bool:
    """Lift a lockout (audited); return False when the account was not locked."""
    if not user.is_locked(_now()):
        return False
    user.failed_logins, user.locked_until = 0, None
    audit("user.unlock", "user", user.uuid, admin)
    db.session.commit()
    log.info("admin %s unlocked user %s", admin.id, user.id)
    return True


def check_policy(password: str, email: str | None) -> list[str]:
    """Return the policy problems of a password with the configured lengths."""
    config = current_app.config
    return passwords.problems(
        password,
        email,
        min_length=config["LMS_PASSWORD_MIN_LENGTH"],
        max_length=config["LMS_PASSWORD_MAX_LENGTH"],
    )


def _set_password(user: User, password: str) -> None:
    """Set a password that meets the policy; sign out other sessions, void links."""
    codes = check_policy(password, user.email)
    if codes:
        raise PasswordRejected(codes)
    user.set_password(password)
    user.renew_session_token()
    db.session.execute(
        update(PasswordResetToken)
        .where(
            PasswordResetToken.user_id == user.id,
            PasswordResetToken.used_at.is_(None),
        )
        .values(used_at=_now())
    )


def change_password(user: User, new_password: str) -> None:
    """Change the user's own password; every other session ends (audited)."""
    _set_password(user, new_password)
    audit("user.password_change", "user", user.uuid, user)
    db.session.commit()
    log.info("user %s changed the password", user.id)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def request_reset(email: str, link_for) -> None:
    """Mail a one-time reset link if the email has an active account.

    `link_for(token)` builds the absolute URL. Earlier links of the user stop
    working. Nothing tells the caller whether a mail went out.
    """
    user = active_user(email)
    if user is None:
        return
    now = _now()
    db.session.execute(
        update(PasswordResetToken)
        .where(
            PasswordResetToken.user_id == user.id,
            PasswordResetToken.used_at.is_(None),
        )
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(32)
    minutes = current_app.config["LMS_PASSWORD_RESET_MINUTES"]
    db.session.add(
        PasswordResetToken(
            user_id=user.id,
            token_hash=_token_hash(token),
            created_at=now,
            expires_at=now + timedelta(minutes=minutes),
        )
    )
    audit("user.password_reset_request", "user", user.uuid, None)
    notices.reset_link(user, link_for(token), minutes)
    db.session.commit()
    log.info("password reset link queued for user %s", user.id)


def _live_token(token: str) -> PasswordResetToken | None:
    found = db.session.execute(
        db.select(PasswordResetToken).filter_by(token_hash=_token_hash(token))
    ).scalar_one_or_none()
    if found is None or found.used_at is not None or found.expires_at <= _now():
        return None
    return found


def user_for_reset(token: str) -> User | None:
    """Return the active user of a usable reset token, or None."""
    found = _live_token(token)
    user = db.session.get(User, found.user_id) if found else None
    return user if user is not None and user.active else None


def reset_password(token: str, new_password: str) -> User | None:
    """Use a reset token once to set a new password; None if it is not usable.

    Raises PasswordRejected, leaving the token usable, when the password breaks
    the policy. Every session of the user ends and a lockout is lifted.
    """
    user = user_for_reset(token)
    if user is None:
        return None
    codes = check_policy(new_password, user.email)
    if codes:
        raise PasswordRejected(codes)
    # Claim the token atomically, so two submissions cannot both use it.
    claimed = db.session.execute(
        update(PasswordResetToken)
        .where(
            PasswordResetToken.token_hash == _token_hash(token),
            PasswordResetToken.used_at.is_(None),
        )
        .values(used_at=_now())
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        return None
    _set_password(user, new_password)
    user.failed_logins, user.locked_until = 0, None
    audit("user.password_reset", "user", user.uuid, None)
    db.session.commit()
    log.info("user %s set a new password with a reset link", user.id)
    return user
