"""Published programme versions and learners' enrolments on them."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.models.common import UTCDateTime, new_uuid, utcnow
from lms.models.user import User


class ProgrammeVersion(db.Model):
    """One published version of a programme, kept for ever."""

    __tablename__ = "programme_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[str] = mapped_column(String(32))
    #: The programme's [[programmes]] block of programmes.toml, as published.
    source: Mapped[bytes] = mapped_column(LargeBinary)
    #: sha256 of source; a changed programme needs a new version.
    content_hash: Mapped[str] = mapped_column(String(64))
    title_da: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    #: The version new enrolments get; one per slug.
    is_current: Mapped[bool] = mapped_column(default=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (db.UniqueConstraint("slug", "version"),)

    def title(self, locale: str) -> str:
        """Return the title in the given language."""
        return self.title_en if locale == "en" else self.title_da


class ProgrammeEnrolment(db.Model):
    """A learner's enrolment on one programme version."""

    __tablename__ = "programme_enrolments"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The xAPI registration of the programme's own statements.
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: Pinned at enrolment; a newer version never changes this record.
    programme_version_id: Mapped[int] = mapped_column(
        ForeignKey("programme_versions.id")
    )
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The columns below are a projection of the statements (lms.programme_progress).
    #: Listed modules completed and required sessions attended, as a percentage.
    progress_percent: Mapped[int] = mapped_column(default=0)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: {"modules": {slug: completed}, "attended": {activity id: attended}}, as
    #: ISO 8601 times of the earliest statement that counts.
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    user: Mapped[User] = relationship()
    programme_version: Mapped[ProgrammeVersion] = relationship()

    __table_args__ = (db.UniqueConstraint("user_id", "programme_version_id"),)
