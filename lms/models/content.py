"""Published versions of module packages."""

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.models.common import UTCDateTime, utcnow


class ModuleVersion(db.Model):
    """One published version of a module package, kept for ever."""

    __tablename__ = "module_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[str] = mapped_column(String(32))
    #: sha256 of the package files; a changed package needs a new version.
    content_hash: Mapped[str] = mapped_column(String(64))
    title_da: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    #: The version new enrolments get; one per slug.
    is_current: Mapped[bool] = mapped_column(default=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    files: Mapped[list["ModuleFile"]] = relationship(
        cascade="all, delete-orphan", lazy="raise"
    )

    __table_args__ = (db.UniqueConstraint("slug", "version"),)

    def title(self, locale: str) -> str:
        """Return the title in the given language."""
        return self.title_en if locale == "en" else self.title_da


class ModuleFile(db.Model):
    """One file of a published package, so old versions stay readable."""

    __tablename__ = "module_files"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("module_versions.id"), primary_key=True
    )
    #: Path inside the package, with forward slashes.
    path: Mapped[str] = mapped_column(String(300), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
