"""People, their roles and their place in an organisation."""

import hmac
import secrets
from datetime import datetime

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import BigInteger, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from lms.extensions import db
from lms.models.common import UTCDateTime, new_uuid, utcnow
from lms.models.org import Unit

ROLES = ("learner", "educator", "manager", "admin")


class UserRole(db.Model):
    """One role held by a user; a user may hold several."""

    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    #: One of ROLES.
    role: Mapped[str] = mapped_column(String(16), primary_key=True)


class ManagedUnit(db.Model):
    """A unit led by a manager; the manager sees it and every unit below it."""

    __tablename__ = "managed_units"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)


class User(UserMixin, db.Model):
    """A person who signs in."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Opaque id used as the xAPI account name; never a name or an email.
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: None for accounts that sign in only through single sign-on.
    password_hash: Mapped[str | None] = mapped_column(String(256))
    #: UI language, "da" or "en".
    locale: Mapped[str] = mapped_column(String(8), default="da")
    #: IANA time zone for showing times; None means the app's default zone.
    timezone: Mapped[str | None] = mapped_column(String(64))
    primary_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    #: A key of lms.jobroles.JOB_ROLES.
    job_role: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Set when an admin erased the person (lms.privacy): the row stays as a
    #: tombstone holding only the pseudonymous uuid that statements point at.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Part of the session id (get_id); a new value signs out every other session.
    session_token: Mapped[str | None] = mapped_column(
        String(32), default=lambda: secrets.token_hex(16)
    )
    #: Failed sign-in attempts (password or code) since the last success or lock.
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    #: Sign-in is refused until then, even with the right password.
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The TOTP secret, encrypted (lms.auth.totp); set while enrolling and after.
    totp_secret: Mapped[str | None] = mapped_column(Text)
    #: Whether sign-in asks for a TOTP code; true once enrolment is confirmed.
    totp_enabled: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: The last accepted TOTP time step, so that a code cannot be used twice.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)

    primary_unit: Mapped[Unit | None] = relationship()
    role_rows: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def roles(self) -> frozenset[str]:
        """Return the names of the roles the user holds."""
        return frozenset(row.role for row in self.role_rows)

    def has_role(self, *roles: str) -> bool:
        """Return whether the user holds any of the given roles."""
        return not self.roles.isdisjoint(roles)

    def set_roles(self, roles: set[str] | frozenset[str]) -> None:
        """Replace the user's roles."""
        self.role_rows = [UserRole(role=role) for role in sorted(roles)]

    def set_password(self, password: str) -> None:
        """Store a salted hash of the password."""
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        """Return whether the password matches the stored hash."""
        if not self.has_password:
            return False
        return check_password_hash(self.password_hash, password)

    @property
    def has_password(self) -> bool:
        """Return whether the account has a local password to sign in with."""
        return bool(self.password_hash) and self.password_hash != "!"

    @property
    def is_active(self) -> bool:  # Flask-Login reads this
        """Return whether the account may sign in."""
        return self.active

    def get_id(self) -> str:
        """Return the session id: the user id and the current session token."""
        return f"{self.id}:{self.session_token or ''}"

    def matches_session(self, token: str) -> bool:
        """Return whether a session's token is the current one."""
        return hmac.compare_digest(token, self.session_token or "")

    def renew_session_token(self) -> None:
        """Invalidate every session and remember cookie of this user."""
        self.session_token = secrets.token_hex(16)

    def is_locked(self, now: datetime) -> bool:
        """Return whether sign-in is refused because of failed attempts."""
        return self.locked_until is not None and self.locked_until > now


class PasswordResetToken(db.Model):
    """A one-time link to set a new password; only a hash of the token is kept."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey(
            "users.id",
            ondelete="CASCADE",
            name="fk_password_reset_tokens_user_id_users",
        ),
        index=True,
    )
    #: SHA-256 (hex) of the token sent by mail; the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Set when used, or when a newer link or a password change made it void.
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("token_hash", name="uq_password_reset_tokens_token_hash"),
    )
