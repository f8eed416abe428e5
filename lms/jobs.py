"""Background jobs: enqueue in the caller's transaction, claim, run, retry with backoff.

Any number of `flask --app lms worker` processes may run. A job is claimed by a
conditional UPDATE of its lease, so only one worker wins it; on PostgreSQL the
candidates are read with FOR UPDATE SKIP LOCKED so workers do not queue on each other.
"""

import logging
import os
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, update

from lms.extensions import db
from lms.models import Job

log = logging.getLogger(__name__)

HANDLERS: dict[str, Callable[[dict[str, Any]], None]] = {}
LEASE = timedelta(minutes=5)
BACKOFF_BASE_SECONDS = 5
BACKOFF_MAX_SECONDS = 3600


def handler(kind: str) -> Callable:
    """Register the function that runs jobs of one kind."""

    def register(function: Callable[[dict[str, Any]], None]) -> Callable:
        HANDLERS[kind] = function
        return function

    return register


def enqueue(kind: str, payload: dict[str, Any], run_at: datetime | None = None) -> Job:
    """Add a job in the caller's transaction; it runs only if that commits."""
    if kind not in HANDLERS:
        raise KeyError(f"no handler for job kind {kind!r}")
    job = Job(kind=kind, payload=payload, run_at=run_at or _now())
    db.session.add(job)
    return job


def worker_name() -> str:
    """Return a name for this worker process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _now() -> datetime:
    return datetime.now(UTC)


def backoff(attempts: int) -> timedelta:
    """Return the wait before the next try: exponential, capped."""
    return timedelta(
        seconds=min(BACKOFF_BASE_SECONDS * 2 ** (attempts - 1), BACKOFF_MAX_SECONDS)
    )


def claim(worker: str, limit: int = 10, now: datetime | None = None) -> list[Job]:
    """Lease up to `limit` due jobs for this worker and commit the lease."""
    now = now or _now()
    free = or_(Job.locked_until.is_(None), Job.locked_until < now)
    query = (
        db.select(Job.id)
        .where(Job.finished_at.is_(None), Job.run_at <= now, free)
        .order_by(Job.run_at, Job.id)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    candidates = list(db.session.execute(query).scalars())
    won = []
    for job_id in candidates:
        result = db.session.execute(
            update(Job)
            .where(Job.id == job_id, Job.finished_at.is_(None), free)
            .values(locked_by=worker, locked_until=now + LEASE)
        )
        if result.rowcount == 1:
            won.append(job_id)
    db.session.commit()
    return [db.session.get(Job, job_id) for job_id in won]


def run_job(job: Job, now: datetime | None = None) -> bool:
    """Run one claimed job in its own transaction; return whether it succeeded."""
    try:
        HANDLERS[job.kind](dict(job.payload))
    except Exception as error:  # a failing job must never stop the worker
        db.session.rollback()
        job = db.session.get(Job, job.id)
        job.attempts += 1
        job.last_error = f"{type(error).__name__}: {error}"[:2000]
        job.locked_by = job.locked_until = None
        if job.attempts >= job.max_attempts:
            job.failed, job.finished_at = True, now or _now()
        else:
            job.run_at = (now or _now()) + backoff(job.attempts)
        db.session.commit()
        log.warning("job %s (%s) failed, attempt %s", job.id, job.kind, job.attempts)
        return False
    job.attempts += 1
    job.finished_at = now or _now()
    job.locked_by = job.locked_until = None
    db.session.commit()
    return True


def run_once(worker: str, limit: int = 10) -> int:
    """Claim and run the due jobs once; return how many ran."""
    jobs = claim(worker, limit)
    for job in jobs:
        run_job(job)
    return len(jobs)


def run_forever(
    worker: str,
    idle_seconds: float = 1.0,
    max_loops: int | None = None,
    also: tuple[Callable[[str], int], ...] = (),
):
    """Run jobs (and the ``also`` tasks) until stopped, sleeping when all are idle.

    Each task of ``also`` takes the worker's name and returns how much it did.
    """
    loops = 0
    while max_loops is None or loops < max_loops:
        loops += 1
        done = run_once(worker)
        done += sum(task(worker) for task in also)
        if done == 0:
            time.sleep(idle_seconds)
