"""Write the audit record of an admin's or manager's action; the caller commits."""

from typing import Any

from flask import has_request_context, request

from lms.extensions import db
from lms.models import AuditRecord, User


def audit(
    action: str,
    target_type: str,
    target_id: str,
    actor: User | None,
    detail: dict[str, Any] | None = None,
) -> AuditRecord:
    """Record who did what to which record, and from which address."""
    record = AuditRecord(
        action=action,
        target_type=target_type,
        target_id=target_id,
        actor_id=actor.id if actor is not None else None,
        detail=detail or {},
        remote_addr=request.remote_addr if has_request_context() else None,
    )
    db.session.add(record)
    return record
