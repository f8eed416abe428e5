"""The sender: each endpoint's turn, in order, with retries and backoff.

A worker takes an endpoint's turn with a lease on its row (a conditional UPDATE;
on PostgreSQL the candidate is read with FOR NO KEY UPDATE SKIP LOCKED), so two
workers never send to one endpoint at once and its statements go out in outbox
order, while different endpoints proceed in parallel. The lease is renewed before
each batch; a worker that dies leaves it to expire, and another worker then sends
the unconfirmed batch again. That is safe: statement ids make the receiver's POST
idempotent (the same id with the same content is a no-op, Communication 2.1.2).

No transaction stays open during a request. A failed request backs the endpoint
off exponentially and later statements wait, so the order holds. A batch the
receiver refuses for its content (400, 409, 413, ...) is narrowed to its oldest
statement, and a statement refused alone REJECTIONS_TO_SET_ASIDE times is set aside
(failed, shown to the admins, who can queue it again) so that the rest can go.

Order is the order in which statements became visible: the outbox id is taken
inside the storing transaction, so of two transactions that store at the same
time the one that commits first may be sent first.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import NamedTuple

import orjson
from flask import current_app
from sqlalchemy import exists, or_, select, update

from lms.extensions import db
from lms.forwarding.client import ForwardingLRS, Outcome, send, statements_body
from lms.forwarding.crypto import SecretUnreadable, decrypt_secret
from lms.models import ForwardingEndpoint, OutboxStatement
from xapi.store import attachment_hashes, load_attachments, statements

log = logging.getLogger(__name__)

BACKOFF_BASE_SECONDS = 5
BACKOFF_MAX_SECONDS = 600
#: Batches one turn sends before the worker looks at its other work.
BATCHES_PER_TURN = 20
#: Refusals of a batch after which its statements are sent one at a time.
REJECTIONS_TO_NARROW = 2
#: Refusals after which a statement sent alone is set aside.
REJECTIONS_TO_SET_ASIDE = 4

Endpoint = ForwardingEndpoint
Outbox = OutboxStatement


class Pending(NamedTuple):
    """An outbox row as read before the request (the session expires it after)."""

    id: int
    statement_id: str
    rejections: int


def _now() -> datetime:
    return datetime.now(UTC)


def backoff(failures: int) -> timedelta:
    """Return the wait after ``failures`` failed sends in a row: doubling, capped."""
    seconds = BACKOFF_BASE_SECONDS * 2 ** min(max(failures - 1, 0), 20)
    return timedelta(seconds=min(seconds, BACKOFF_MAX_SECONDS))


def lease_length() -> timedelta:
    """Return how long a turn is held; longer than any one request can take."""
    config = current_app.config
    timeout = float(config["LMS_FORWARDING_TIMEOUT"])
    return timedelta(
        seconds=max(float(config["LMS_FORWARDING_LEASE_SECONDS"]), 4 * timeout)
    )


def forward_due(
    worker: str, *, now: datetime | None = None, drain: bool = False
) -> int:
    """Give every due endpoint one turn; return how many statements were delivered.

    With ``drain``, a turn lasts until the endpoint's queue is empty or a send
    fails; otherwise it sends at most BATCHES_PER_TURN batches.
    """
    delivered, visited = 0, set()
    while (endpoint_id := claim(worker, now=now, exclude=visited)) is not None:
        visited.add(endpoint_id)
        delivered += _turn(endpoint_id, worker, now, drain)
    return delivered


def _free(moment: datetime):
    return or_(Endpoint.locked_until.is_(None), Endpoint.locked_until < moment)


def claim(
    worker: str, *, now: datetime | None = None, exclude: set[int] | frozenset = ()
) -> int | None:
    """Take the turn of one due endpoint with pending statements; commit the lease."""
    moment = now or _now()
    pending = exists().where(
        Outbox.endpoint_id == Endpoint.id, Outbox.failed_at.is_(None)
    )
    query = (
        select(Endpoint.id)
        .where(
            Endpoint.active,
            or_(Endpoint.next_attempt_at.is_(None), Endpoint.next_attempt_at <= moment),
            _free(moment),
            Endpoint.id.not_in(exclude),
            pending,
        )
        .order_by(Endpoint.id)
        .limit(1)
    )
    if db.engine.dialect.name == "postgresql":
        # NO KEY UPDATE: the storing transactions hold KEY SHARE on these rows,
        # which must not make the worker skip an endpoint.
        query = query.with_for_update(skip_locked=True, key_share=True, of=Endpoint)
    endpoint_id = db.session.execute(query).scalar()
    won = endpoint_id is not None and _lease(endpoint_id, worker, moment, _free(moment))
    db.session.commit()
    return endpoint_id if won else None


def _lease(endpoint_id: int, worker: str, moment: datetime, condition) -> bool:
    """Set the endpoint's lease if ``condition`` holds; return whether it did."""
    result = db.session.execute(
        update(Endpoint)
        .where(Endpoint.id == endpoint_id, condition)
        .values(locked_by=worker, locked_until=moment + lease_length())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _release(endpoint_id: int, worker: str) -> None:
    """Give the turn back, unless another worker has taken it meanwhile."""
    db.session.execute(
        update(Endpoint)
        .where(Endpoint.id == endpoint_id, Endpoint.locked_by == worker)
        .values(locked_by=None, locked_until=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _turn(endpoint_id: int, worker: str, now: datetime | None, drain: bool) -> int:
    """Send an endpoint's pending statements batch by batch while it succeeds."""
    delivered = 0
    try:
        for _ in count() if drain else range(BATCHES_PER_TURN):
            sent = _send_batch(endpoint_id, worker, now or _now())
            if sent is None:
                break
            delivered += sent
    except Exception as error:  # a broken endpoint must never stop the worker
        db.session.rollback()
        log.exception("forwarding to endpoint %s failed unexpectedly", endpoint_id)
        _failed(endpoint_id, f"{type(error).__name__}", now or _now())
    _release(endpoint_id, worker)
    return delivered


def _send_batch(endpoint_id: int, worker: str, moment: datetime) -> int | None:
    """Send the next batch; return statements delivered, or None to end the turn."""
    if not _lease(endpoint_id, worker, moment, Endpoint.locked_by == worker):
        db.session.commit()
        return None  # the lease expired and another worker has the turn
    endpoint = db.session.get(Endpoint, endpoint_id)
    if endpoint is None or not endpoint.active or _waiting(endpoint, moment):
        db.session.commit()
        return None
    rows = _pending(endpoint_id)
    if not rows:
        db.session.commit()
        return None
    payloads = _payloads([row.statement_id for row in rows])
    missing = [row.id for row in rows if row.statement_id not in payloads]
    if missing:
        _set_aside(missing, "the statement is no longer stored", moment)
        db.session.commit()
        return 0
    try:
        lrs = _lrs(endpoint)
    except SecretUnreadable as error:
        db.session.rollback()
        _failed(endpoint_id, str(error), moment)
        return None
    body = statements_body(
        [payloads[row.statement_id] for row in rows], _attachments(payloads.values())
    )
    ids = [row.id for row in rows]
    db.session.commit()  # no transaction stays open while the receiver answers
    outcome = send(lrs, body)
    if outcome.delivered:
        _delivered(endpoint_id, ids, moment)
        return len(ids)
    return 0 if _refused(endpoint_id, rows, outcome, moment) else None


def _waiting(endpoint: Endpoint, moment: datetime) -> bool:
    return endpoint.next_attempt_at is not None and endpoint.next_attempt_at > moment


def _pending(endpoint_id: int) -> list[Pending]:
    """Return the next batch, oldest first; only the oldest once batches are refused."""
    size = int(current_app.config["LMS_FORWARDING_BATCH_SIZE"])
    rows = [
        Pending(*row)
        for row in db.session.execute(
            select(Outbox.id, Outbox.statement_id, Outbox.rejections)
            .where(Outbox.endpoint_id == endpoint_id, Outbox.failed_at.is_(None))
            .order_by(Outbox.id)
            .limit(size)
        )
    ]
    if rows and rows[0].rejections >= REJECTIONS_TO_NARROW:
        return rows[:1]
    return rows


def _payloads(statement_ids: list[str]) -> dict[str, str]:
    """Return the stored JSON of the statements, by id."""
    query = select(statements.c.statement_id, statements.c.payload).where(
        statements.c.statement_id.in_(statement_ids)
    )
    return {row[0]: row[1] for row in db.session.execute(query)}


def _attachments(payloads):
    """Return the attachment contents we hold for the statements.

    Attachments given only by fileUrl have no content here and go as they are.
    """
    hashes = list(attachment_hashes(orjson.loads(p) for p in payloads))
    if not hashes:
        return []
    return load_attachments(db.session.connection(), hashes)


def _lrs(endpoint: Endpoint) -> ForwardingLRS:
    return ForwardingLRS(
        endpoint=endpoint.url,
        username=endpoint.username,
        secret=decrypt_secret(endpoint.secret_encrypted),
        timeout=float(current_app.config["LMS_FORWARDING_TIMEOUT"]),
    )


def _delivered(endpoint_id: int, ids: list[int], moment: datetime) -> None:
    """Remove a delivered batch from the outbox and clear the backoff."""
    db.session.execute(Outbox.__table__.delete().where(Outbox.id.in_(ids)))
    endpoint = db.session.get(Endpoint, endpoint_id)
    if endpoint is not None:
        endpoint.sent_count += len(ids)
        endpoint.last_success_at = moment
        endpoint.consecutive_failures = 0
        endpoint.next_attempt_at = None
    db.session.commit()


def _failed(endpoint_id: int, error: str, moment: datetime) -> None:
    """Record a failed send on the endpoint and back it off."""
    endpoint = db.session.get(Endpoint, endpoint_id)
    if endpoint is None:
        return
    endpoint.consecutive_failures += 1
    endpoint.next_attempt_at = moment + backoff(endpoint.consecutive_failures)
    endpoint.last_error, endpoint.last_error_at = error[:2000], moment
    db.session.commit()
    log.warning(
        "forwarding to endpoint %s failed (%s in a row): %s",
        endpoint_id,
        endpoint.consecutive_failures,
        error,
    )


def _refused(
    endpoint_id: int, rows: list[Pending], outcome: Outcome, moment: datetime
) -> bool:
    """Count a failed send; return True if a statement was set aside (go on)."""
    ids = [row.id for row in rows]
    counts = {"attempts": Outbox.attempts + 1}
    if outcome.rejected:
        counts["rejections"] = Outbox.rejections + 1
    db.session.execute(
        update(Outbox)
        .where(Outbox.id.in_(ids))
        .values(**counts)
        .execution_options(synchronize_session=False)
    )
    alone = rows[0] if len(rows) == 1 else None
    if outcome.rejected and alone and alone.rejections + 1 >= REJECTIONS_TO_SET_ASIDE:
        _set_aside(ids, outcome.error or "", moment)
        endpoint = db.session.get(Endpoint, endpoint_id)
        endpoint.last_error = (
            f"statement {alone.statement_id} was refused "
            f"{REJECTIONS_TO_SET_ASIDE} times and set aside: {outcome.error}"
        )[:2000]
        endpoint.last_error_at = moment
        endpoint.consecutive_failures, endpoint.next_attempt_at = 0, None
        db.session.commit()
        log.warning(
            "forwarding endpoint %s set statement %s aside: %s",
            endpoint_id,
            alone.statement_id,
            outcome.error,
        )
        return True
    db.session.commit()
    _failed(endpoint_id, outcome.error or "", moment)
    return False


def _set_aside(ids: list[int], error: str, moment: datetime) -> None:
    """Mark outbox rows as failed, so the statements after them can go."""
    db.session.execute(
        update(Outbox)
        .where(Outbox.id.in_(ids))
        .values(failed_at=moment, last_error=error[:2000])
        .execution_options(synchronize_session=False)
    )
