"""Accounts at outside identity providers, linked to our users."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.models.common import UTCDateTime, utcnow
from lms.models.user import User


class UserIdentity(db.Model):
    """A user's account at an OpenID Connect provider, matched by (issuer, subject)."""

    __tablename__ = "user_identities"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", name="fk_user_identities_user_id"), index=True
    )
    #: The provider's issuer URL, exactly as in the ID token's "iss".
    issuer: Mapped[str] = mapped_column(String(255))
    #: The provider's stable, never reassigned id of the person ("sub").
    subject: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    __table_args__ = (
        UniqueConstraint("issuer", "subject", name="uq_user_identities_issuer_subject"),
    )
