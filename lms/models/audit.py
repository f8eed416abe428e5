"""The audit record: who did what to which record, when and from where."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db
from lms.models.common import UTCDateTime, utcnow


class AuditRecord(db.Model):
    """Who did what to which record, when and from where; never changed afterwards."""

    __tablename__ = "audit_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: A dotted verb such as "certificate.revoke".
    action: Mapped[str] = mapped_column(String(64))
    #: The kind and public id of what was acted on, e.g. "certificate", a uuid.
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str] = mapped_column(String(64))
    #: Details without personal data beyond ids, e.g. {"reason": "..."}.
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: The client address of the request, if there was one.
    remote_addr: Mapped[str | None] = mapped_column(String(64))
