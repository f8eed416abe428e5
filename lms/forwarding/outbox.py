"""Queue newly stored statements for the active endpoints, in the same transaction."""

from collections.abc import Mapping, Sequence

from sqlalchemy import select

from lms.extensions import db
from lms.models import ForwardingEndpoint, OutboxStatement
from lms.models.common import utcnow

_ACTIVE = (
    select(ForwardingEndpoint.id)
    .where(ForwardingEndpoint.active)
    .order_by(ForwardingEndpoint.id)
)
# FOR KEY SHARE makes an admin's concurrent delete of an endpoint wait for this
# commit (the queued rows then go with it) instead of failing this insert on the
# foreign key; it blocks neither other storing transactions nor the worker.
_ACTIVE_LOCKED = _ACTIVE.with_for_update(read=True, key_share=True)
_INSERT = OutboxStatement.__table__.insert()


def enqueue(stored: Sequence[Mapping]) -> int:
    """Queue each newly stored statement for every active endpoint; caller commits.

    ``stored`` holds only statements this transaction stored (no-op duplicates are
    not among them), in store order; the outbox keeps that order. It costs one
    query, plus one bulk insert when an endpoint is active; no network call happens
    here: the worker sends after the commit. Returns the rows queued.
    """
    if not stored:
        return 0
    connection = db.session.connection()
    postgres = connection.dialect.name == "postgresql"
    endpoints = connection.execute(_ACTIVE_LOCKED if postgres else _ACTIVE).scalars()
    endpoints = list(endpoints)
    if not endpoints:
        return 0
    now = utcnow()
    rows = [
        {"endpoint_id": endpoint, "statement_id": statement["id"], "created_at": now}
        for statement in stored
        for endpoint in endpoints
    ]
    connection.execute(_INSERT, rows)
    return len(rows)
