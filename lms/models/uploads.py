"""Files handed in with a practice task: one per submission version, at most."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from lms.extensions import db
from lms.models.common import UTCDateTime, utcnow
from lms.models.learning import Submission


class SubmissionFile(db.Model):
    """The file attached to one submission version; the bytes are in storage."""

    __tablename__ = "submission_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submissions.id"), unique=True
    )
    #: The random key in lms.storage; never derived from the user's file name.
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    #: The learner's file name, stripped of any path and control characters.
    filename: Mapped[str] = mapped_column(String(255))
    #: The type found in the content (lms.uploads), served as is.
    content_type: Mapped[str] = mapped_column(String(128))
    #: Size in bytes.
    size: Mapped[int]
    #: Hex SHA-256 of the content: tells a repeated hand-in from a new one.
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Set when the bytes were deleted from storage (lms.privacy); the row stays.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Why: "retention" (LMS_SUBMISSION_FILE_RETENTION_DAYS) or "erasure".
    deleted_reason: Mapped[str | None] = mapped_column(String(16))

    submission: Mapped[Submission] = relationship(
        backref=backref("file", uselist=False, lazy="selectin")
    )
