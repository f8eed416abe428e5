"""The audit record: who did what to which record, when and from where."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, event
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from lms.extensions import db
from lms.models.common import UTCDateTime, utcnow


class AuditRecord(db.Model):
    """Who did what to which record, when and from where; never changed afterwards.

    The ORM refuses to update or delete a record (below), and on PostgreSQL a
    trigger refuses it in the database too.
    """

    __tablename__ = "audit_records"
    # The admin page lists newest first and filters by actor, action or target.
    __table_args__ = (
        Index("ix_audit_records_at_id", "at", "id"),
        Index("ix_audit_records_actor", "actor_id", "at"),
        Index("ix_audit_records_action", "action", "at"),
        Index("ix_audit_records_target", "target_type", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The user who acted, or None for the system (a command or a job). Not a
    #: foreign key: the record outlives the person, and shows "deleted user".
    actor_id: Mapped[int | None]
    #: A dotted verb such as "certificate.revoke".
    action: Mapped[str] = mapped_column(String(64))
    #: The kind and public id of what was acted on, e.g. "certificate", a uuid.
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str] = mapped_column(String(64))
    #: Details without personal data beyond ids, e.g. {"reason": "..."}.
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: The client address of the request (behind LMS_TRUSTED_PROXIES), if any.
    remote_addr: Mapped[str | None] = mapped_column(String(64))


class AuditRecordImmutable(RuntimeError):
    """Something tried to change or delete an audit record."""


@event.listens_for(Session, "before_flush")
def _refuse_changes(session: Session, _context, _instances) -> None:
    """Refuse to flush a changed or deleted audit record."""
    for record in session.deleted:
        if isinstance(record, AuditRecord):
            raise AuditRecordImmutable(f"audit record {record.id} cannot be deleted")
    for record in session.dirty:
        if isinstance(record, AuditRecord) and session.is_modified(record):
            raise AuditRecordImmutable(f"audit record {record.id} cannot be changed")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state: ORMExecuteState) -> None:
    """Refuse UPDATE and DELETE statements on the audit table run through a session."""
    table = getattr(state.statement, "table", None)
    # An ORM statement carries an annotated copy of the table: compare names.
    if (state.is_update or state.is_delete) and (
        getattr(table, "name", None) == AuditRecord.__tablename__
    ):
        raise AuditRecordImmutable("audit records cannot be changed or deleted")
