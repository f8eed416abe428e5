"""Queue stored statements for the endpoints: new ones as stored, old ones on demand."""

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import exists, func, literal, select

from lms.extensions import db
from lms.models import ForwardingEndpoint, OutboxStatement
from lms.models.common import utcnow
from xapi.store import statements

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


def active_endpoints(dialect: str):
    """Return the query of the active endpoints' ids, which on PostgreSQL holds
    them until the transaction ends (see _ACTIVE_LOCKED)."""
    return _ACTIVE_LOCKED if dialect == "postgresql" else _ACTIVE


def enqueue(stored: Sequence[Mapping], endpoints: Sequence[int] | None = None) -> int:
    """Queue each newly stored statement for every active endpoint; caller commits.

    ``stored`` holds only statements this transaction stored (no-op duplicates are
    not among them), in store order; the outbox keeps that order. ``endpoints``
    are the active endpoints where the caller has read them in this transaction
    (``active_endpoints``); otherwise it costs a query. Then one bulk insert when
    an endpoint is active; no network call happens here: the worker sends after
    the commit. Returns the rows queued.
    """
    if not stored:
        return 0
    connection = db.session.connection()
    if endpoints is None:
        query = active_endpoints(connection.dialect.name)
        endpoints = list(connection.execute(query).scalars())
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


def seq_range(since: datetime | None) -> tuple[int, int] | None:
    """Return the first and last seq of the statements stored since ``since``.

    None when there are none. Everything from the first such statement on counts,
    so a backfill is a contiguous run of seqs (the backfilled range relies on it).
    """
    query = select(func.max(statements.c.seq))
    if since is None:
        query = query.add_columns(func.min(statements.c.seq))
    else:
        first = select(func.min(statements.c.seq)).where(statements.c.stored >= since)
        query = query.add_columns(first.scalar_subquery())
    high, low = db.session.execute(query).one()
    return None if high is None or low is None else (low, high)


def queue_range(endpoint_id: int, low: int, high: int, skip=None) -> int:
    """Queue the statements with seq in [low, high] in seq order, in one statement.

    Statements already in the endpoint's outbox (pending or set aside) and those
    whose seq lies in ``skip`` (an inclusive pair: queued by an earlier backfill,
    perhaps delivered since) are left out. Returns the rows queued; caller commits.
    """
    queued = exists().where(
        OutboxStatement.endpoint_id == endpoint_id,
        OutboxStatement.statement_id == statements.c.statement_id,
    )
    chosen = (
        select(literal(endpoint_id), statements.c.statement_id, literal(utcnow()))
        .where(statements.c.seq.between(low, high), ~queued)
        .order_by(statements.c.seq)
    )
    if skip is not None:
        chosen = chosen.where(~statements.c.seq.between(*skip))
    # Outbox ids follow the SELECT's order, so the worker sends in seq order.
    insert = _INSERT.from_select(["endpoint_id", "statement_id", "created_at"], chosen)
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        return connection.execute(insert).rowcount
    # psycopg reports no rowcount here; the server counts the inserted rows.
    inserted = insert.returning(OutboxStatement.id).cte("inserted")
    return connection.execute(select(func.count()).select_from(inserted)).scalar_one()
