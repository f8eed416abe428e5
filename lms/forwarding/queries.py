"""Reads for the forwarding admin pages: endpoints with their backlog."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select

from lms.extensions import db
from lms.models import ForwardingEndpoint, OutboxStatement

#: Statements set aside that an endpoint's page lists.
FAILED_SHOWN = 20


@dataclass(frozen=True)
class Backlog:
    """An endpoint's queue: statements waiting, the oldest's age, those set aside."""

    pending: int = 0
    oldest_pending_at: datetime | None = None
    failed: int = 0


def backlogs(endpoint_id: int | None = None) -> dict[int, Backlog]:
    """Return the backlog of every endpoint (or one) that has one, in one query."""
    waiting = OutboxStatement.failed_at.is_(None)
    query = select(
        OutboxStatement.endpoint_id,
        func.sum(case((waiting, 1), else_=0)),
        func.min(case((waiting, OutboxStatement.created_at))),
        func.sum(case((waiting, 0), else_=1)),
    ).group_by(OutboxStatement.endpoint_id)
    if endpoint_id is not None:
        query = query.where(OutboxStatement.endpoint_id == endpoint_id)
    return {
        found: Backlog(int(pending or 0), oldest, int(failed or 0))
        for found, pending, oldest, failed in db.session.execute(query)
    }


def endpoints() -> list[tuple[ForwardingEndpoint, Backlog]]:
    """Return every endpoint with its backlog, by name."""
    found = backlogs()
    rows = db.session.execute(
        select(ForwardingEndpoint).order_by(ForwardingEndpoint.name)
    ).scalars()
    return [(endpoint, found.get(endpoint.id, Backlog())) for endpoint in rows]


def backlog_of(endpoint: ForwardingEndpoint) -> Backlog:
    """Return one endpoint's backlog."""
    return backlogs(endpoint.id).get(endpoint.id, Backlog())


def failed_statements(endpoint: ForwardingEndpoint) -> list[OutboxStatement]:
    """Return the newest statements set aside for an endpoint."""
    return list(
        db.session.execute(
            select(OutboxStatement)
            .where(
                OutboxStatement.endpoint_id == endpoint.id,
                OutboxStatement.failed_at.is_not(None),
            )
            .order_by(OutboxStatement.id.desc())
            .limit(FAILED_SHOWN)
        ).scalars()
    )
