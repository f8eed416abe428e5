"""Reading the audit log: search with filters, newest first, a page at a time."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, func, or_

from lms.extensions import db
from lms.models import AuditRecord, User

PAGE_SIZE = 50
#: How many records an export reads from the database at a time.
EXPORT_BATCH = 1000


@dataclass(frozen=True)
class AuditFilter:
    """What the admin searches for; empty fields do not filter."""

    actor: str = ""
    action: str = ""
    target_type: str = ""
    target_id: str = ""
    date_from: date | None = None
    date_to: date | None = None
    remote_addr: str = ""

    def as_detail(self) -> dict[str, str]:
        """Return the filters that are set, as text (for the export's own record)."""
        values = {
            "actor": self.actor,
            "action": self.action,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
            "remote_addr": self.remote_addr,
        }
        return {name: value for name, value in values.items() if value}


@dataclass(frozen=True)
class Page:
    """One page of records, newest first, with the cursors to its neighbours."""

    records: list[AuditRecord]
    #: The id to pass as ``after`` for newer records, or None on the first page.
    newer: int | None
    #: The id to pass as ``before`` for older records, or None on the last page.
    older: int | None


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "UTC"))


def _start_of(day: date) -> datetime:
    """Return the UTC instant a local calendar day begins."""
    return datetime.combine(day, time.min, tzinfo=_zone()).astimezone(UTC)


def _like(text: str) -> str:
    """Escape LIKE wildcards so the admin's text is matched literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _conditions(wanted: AuditFilter) -> list:
    conditions = []
    actor = wanted.actor.strip()
    if actor.isdigit():
        conditions.append(AuditRecord.actor_id == int(actor))
    elif actor:
        emails = db.select(User.id).where(
            func.lower(User.email).like(f"%{_like(actor.lower())}%", escape="\\")
        )
        conditions.append(AuditRecord.actor_id.in_(emails))
    if wanted.action.strip():
        prefix = _like(wanted.action.strip())
        conditions.append(AuditRecord.action.like(f"{prefix}%", escape="\\"))
    if wanted.target_type.strip():
        conditions.append(AuditRecord.target_type == wanted.target_type.strip())
    if wanted.target_id.strip():
        conditions.append(AuditRecord.target_id == wanted.target_id.strip())
    if wanted.date_from:
        conditions.append(AuditRecord.at >= _start_of(wanted.date_from))
    if wanted.date_to:
        conditions.append(
            AuditRecord.at < _start_of(wanted.date_to + timedelta(days=1))
        )
    if wanted.remote_addr.strip():
        prefix = _like(wanted.remote_addr.strip())
        conditions.append(AuditRecord.remote_addr.like(f"{prefix}%", escape="\\"))
    return conditions


def _position(record_id: int | None) -> tuple[datetime, int] | None:
    if record_id is None:
        return None
    at = db.session.execute(
        db.select(AuditRecord.at).where(AuditRecord.id == record_id)
    ).scalar()
    return None if at is None else (at, record_id)


def _older_than(position: tuple[datetime, int]):
    at, record_id = position
    return or_(
        AuditRecord.at < at, and_(AuditRecord.at == at, AuditRecord.id < record_id)
    )


def _newer_than(position: tuple[datetime, int]):
    at, record_id = position
    return or_(
        AuditRecord.at > at, and_(AuditRecord.at == at, AuditRecord.id > record_id)
    )


def search(
    wanted: AuditFilter,
    *,
    before: int | None = None,
    after: int | None = None,
    size: int = PAGE_SIZE,
) -> Page:
    """Return a page of matching records, newest first.

    ``before`` asks for the records older than that record, ``after`` for the
    ones newer than it (keyset pagination: fast at any depth, and stable while
    new records arrive). An unknown cursor gives the first page.
    """
    conditions = _conditions(wanted)
    newest_first = (AuditRecord.at.desc(), AuditRecord.id.desc())
    position = _position(after)
    if position is not None:
        query = db.select(AuditRecord).where(*conditions, _newer_than(position))
        query = query.order_by(AuditRecord.at, AuditRecord.id).limit(size + 1)
        rows = list(db.session.execute(query).scalars())
        more_newer = len(rows) > size
        records = list(reversed(rows[:size]))
        return Page(
            records,
            newer=records[0].id if more_newer and records else None,
            older=records[-1].id if records else None,
        )
    query = db.select(AuditRecord).where(*conditions)
    position = _position(before)
    if position is not None:
        query = query.where(_older_than(position))
    rows = list(
        db.session.execute(query.order_by(*newest_first).limit(size + 1)).scalars()
    )
    records = rows[:size]
    return Page(
        records,
        newer=records[0].id if position is not None and records else None,
        older=records[-1].id if len(rows) > size else None,
    )


def matching(wanted: AuditFilter) -> Iterator[AuditRecord]:
    """Yield every matching record, newest first, reading in batches."""
    position = None
    while True:
        query = db.select(AuditRecord).where(*_conditions(wanted))
        if position is not None:
            query = query.where(_older_than(position))
        query = query.order_by(AuditRecord.at.desc(), AuditRecord.id.desc())
        batch = list(db.session.execute(query.limit(EXPORT_BATCH)).scalars())
        yield from batch
        if len(batch) < EXPORT_BATCH:
            return
        position = (batch[-1].at, batch[-1].id)


def actors_of(records: list[AuditRecord]) -> dict[int, User]:
    """Return the users who acted in the records, as they are now, by id.

    A user created after a record is not its actor, whatever the id: SQLite may
    give a deleted user's id to a new account.
    """
    ids = {record.actor_id for record in records if record.actor_id is not None}
    if not ids:
        return {}
    users = db.session.execute(db.select(User).where(User.id.in_(ids))).scalars()
    return {user.id: user for user in users}


def actor_of(record: AuditRecord, actors: dict[int, User]) -> User | None:
    """Return the record's actor if the account still exists and is that person."""
    user = actors.get(record.actor_id) if record.actor_id is not None else None
    if user is None or (user.created_at and user.created_at > record.at):
        return None
    return user
