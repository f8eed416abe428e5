"""Write the audit record of an admin's or manager's action.

``audit`` adds the record to the session of the write it describes, so both are
committed together by the caller. ``audit_now`` is for actions that write
nothing else, such as an export, and commits at once.
"""

from typing import Any

from flask import has_request_context, request

from lms.extensions import db
from lms.models import AuditRecord, User


def audit(
    action: str,
    target_type: str,
    target_id: str | int,
    actor: User | None,
    detail: dict[str, Any] | None = None,
) -> AuditRecord:
    """Record who did what to which record, and from which address."""
    record = AuditRecord(
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        actor_id=actor.id if actor is not None else None,
        detail=detail or {},
        # Behind LMS_TRUSTED_PROXIES this is the client's address, not the proxy's.
        remote_addr=request.remote_addr if has_request_context() else None,
    )
    db.session.add(record)
    return record


def audit_now(
    action: str,
    target_type: str,
    target_id: str | int,
    actor: User | None,
    detail: dict[str, Any] | None = None,
) -> AuditRecord:
    """Record an action that changes nothing else, such as an export, and commit."""
    record = audit(action, target_type, target_id, actor, detail)
    db.session.commit()
    return record
