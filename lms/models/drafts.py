"""Module packages uploaded by authors, kept as drafts until they are published."""

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.models.common import UTCDateTime, new_uuid, utcnow
from lms.models.content import ModuleVersion
from lms.models.user import User


class ModuleDraft(db.Model):
    """An uploaded package that passed the checks, to preview and then publish."""

    __tablename__ = "module_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Public id in URLs, so other authors' drafts cannot be guessed.
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    slug: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[str] = mapped_column(String(32))
    title_da: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    #: sha256 of the package files, as ModuleVersion.content_hash.
    content_hash: Mapped[str] = mapped_column(String(64))
    #: The author who uploaded it; None once that account is erased.
    uploader_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The version it became when published; None while it is a draft.
    published_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("module_versions.id")
    )
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    uploader: Mapped[User | None] = relationship()
    published_version: Mapped[ModuleVersion | None] = relationship()
    files: Mapped[list["ModuleDraftFile"]] = relationship(
        cascade="all, delete-orphan", order_by="ModuleDraftFile.path"
    )

    def title(self, locale: str) -> str:
        """Return the title in the given language."""
        return self.title_en if locale == "en" else self.title_da


class ModuleDraftFile(db.Model):
    """One file of a draft package."""

    __tablename__ = "module_draft_files"

    draft_id: Mapped[int] = mapped_column(
        ForeignKey("module_drafts.id", ondelete="CASCADE"), primary_key=True
    )
    #: Path inside the package, with forward slashes.
    path: Mapped[str] = mapped_column(String(300), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
