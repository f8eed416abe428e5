"""Rate-limit storage in the app's own database, for the `limits` library.

`limits` (under Flask-Limiter) keeps counts in memory, Redis, Memcached or MongoDB.
Memory counts per process, so a login limit of 10 would allow 10 per gunicorn
worker. This storage keeps the counts in two small tables of the app's database
(lms.models.ratelimit), so every process shares them without another service.
It is chosen with the URI ``database://`` and uses the database of the current
Flask app. It supports the fixed window, sliding window counter and moving window
strategies. Rows of ended windows are deleted by a cleanup that runs at most once
per ``cleanup_interval`` seconds per process, on a write.
"""

from __future__ import annotations

import hashlib
import logging
import time
from datetime import UTC, datetime
from math import floor

from flask import g, has_request_context
from limits.storage.base import (
    MovingWindowSupport,
    SlidingWindowCounterSupport,
    Storage,
    TimestampedSlidingWindow,
)
from sqlalchemy import case, delete, func, literal, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from lms.extensions import db
from lms.models.ratelimit import rate_limit_counters as counters
from lms.models.ratelimit import rate_limit_entries as entries

log = logging.getLogger(__name__)
KEY_LENGTH = 255


def _now() -> float:
    """Return the time in epoch seconds (the unit of `limits`); tests replace it."""
    return time.time()


def _instant(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _stored_key(key: str) -> str:
    """Return the key as stored: long keys keep a prefix and a digest."""
    if len(key) <= KEY_LENGTH:
        return key
    return key[: KEY_LENGTH - 65] + "#" + hashlib.sha256(key.encode()).hexdigest()


class DatabaseStorage(
    Storage, MovingWindowSupport, SlidingWindowCounterSupport, TimestampedSlidingWindow
):
    """Counts in the app's database, shared by every process that uses it."""

    STORAGE_SCHEME = ["database"]

    def __init__(
        self,
        uri: str | None = None,
        wrap_exceptions: bool = False,
        cleanup_interval: float = 60.0,
        **options: float | str | bool,
    ) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.cleanup_interval = float(cleanup_interval)
        self._next_cleanup = 0.0

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    @staticmethod
    def _engine() -> Engine:
        """Return the engine of the current app: the one limit, whichever app runs."""
        return db.engine

    # Fixed window

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """Add to the counter; an ended window starts again at the amount."""
        now = _now()
        _forget(key)
        with self._engine().begin() as connection:
            count = self._incr(connection, _stored_key(key), expiry, amount, now)
            self._maybe_cleanup(connection, now)
        return count

    def _incr(
        self, connection: Connection, key: str, expiry: float, amount: int, now: float
    ) -> int:
        insert = _insert_for(connection)
        statement = insert(counters).values(
            key=key, count=amount, expires_at=_instant(now + expiry)
        )
        # One atomic statement on SQLite and PostgreSQL: a concurrent first hit
        # becomes an update of the row, and an ended window is started afresh.
        ended = counters.c.expires_at <= _instant(now)
        statement = statement.on_conflict_do_update(
            index_elements=[counters.c.key],
            set_={
                "count": case((ended, amount), else_=counters.c.count + amount),
                "expires_at": case(
                    (ended, statement.excluded.expires_at),
                    else_=counters.c.expires_at,
                ),
            },
        ).returning(counters.c.count)
        return int(connection.execute(statement).scalar_one())

    def decr(self, key: str, amount: int = 1) -> int:
        """Take from a live counter, never below zero."""
        now = _instant(_now())
        _forget(key)
        with self._engine().begin() as connection:
            connection.execute(
                update(counters)
                .where(counters.c.key == _stored_key(key), counters.c.expires_at > now)
                .values(
                    count=case(
                        (counters.c.count > amount, counters.c.count - amount),
                        else_=0,
                    )
                )
            )
            return self._get(connection, _stored_key(key), now)

    def get(self, key: str) -> int:
        """Return the count of the live window, or 0."""
        return self._window(key)[0]

    def get_expiry(self, key: str) -> float:
        """Return when the live window ends, or now."""
        expires_at = self._window(key)[1]
        return expires_at if expires_at is not None else _now()

    def _window(self, key: str) -> tuple[int, float | None]:
        """Return the live window's count and end, read once per request.

        A limited request asks for the same counter three or four times (the
        check, then the X-RateLimit headers); one query answers them all. The
        request's own writes forget the value, so it never hides them.
        """
        now = _now()
        cache = _request_cache()
        cached = cache.get(key) if cache is not None else None
        if cached is not None and (cached[1] is None or cached[1] > now):
            return cached
        with self._engine().connect() as connection:
            row = connection.execute(
                select(counters.c.count, counters.c.expires_at).where(
                    counters.c.key == _stored_key(key),
                    counters.c.expires_at > _instant(now),
                )
            ).first()
        window = (
            (0, None) if row is None else (int(row[0]), _as_utc(row[1]).timestamp())
        )
        if cache is not None:
            cache[key] = window
        return window

    @staticmethod
    def _get(connection: Connection, key: str, now: datetime) -> int:
        count = connection.execute(
            select(counters.c.count).where(
                counters.c.key == key, counters.c.expires_at > now
            )
        ).scalar()
        return int(count or 0)

    def clear(self, key: str) -> None:
        """Forget the counter and the entries of a key."""
        _forget(key)
        with self._engine().begin() as connection:
            connection.execute(
                delete(counters).where(counters.c.key == _stored_key(key))
            )
            connection.execute(delete(entries).where(entries.c.key == _stored_key(key)))

    def reset(self) -> int | None:
        """Forget every count; return how many rows went."""
        cache = _request_cache()
        if cache is not None:
            cache.clear()
        with self._engine().begin() as connection:
            gone = connection.execute(delete(counters)).rowcount
            gone += connection.execute(delete(entries)).rowcount
        return gone

    def check(self) -> bool:
        """Return whether the database answers."""
        try:
            with self._engine().connect() as connection:
                connection.execute(select(literal(1)))
        except SQLAlchemyError:
            return False
        return True

    # Moving window

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        """Count `amount` hits if the last `expiry` seconds leave room for them."""
        if amount > limit:
            return False
        now, key = _now(), _stored_key(key)
        with self._engine().begin() as connection:
            self._lock(connection, key, now)
            used = connection.execute(
                select(func.count())
                .select_from(entries)
                .where(entries.c.key == key, entries.c.at > _instant(now - expiry))
            ).scalar_one()
            if used + amount > limit:
                return False
            row = {
                "key": key,
                "at": _instant(now),
                "expires_at": _instant(now + expiry),
            }
            connection.execute(entries.insert(), [row] * amount)
            self._maybe_cleanup(connection, now)
        return True

    @staticmethod
    def _lock(connection: Connection, key: str, now: float) -> None:
        """Serialise acquisitions of one key across processes until commit."""
        if connection.dialect.name == "postgresql":
            digest = hashlib.sha256(key.encode()).digest()
            lock_id = int.from_bytes(digest[:8], "big", signed=True)
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id}
            )
        # On SQLite this first write takes the database's write lock for the
        # transaction; on PostgreSQL it only tidies the key.
        connection.execute(
            delete(entries).where(
                entries.c.key == key, entries.c.expires_at <= _instant(now)
            )
        )

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        """Return the oldest hit in the window and the number of hits in it."""
        now = _now()
        with self._engine().connect() as connection:
            oldest, count = connection.execute(
                select(func.min(entries.c.at), func.count()).where(
                    entries.c.key == _stored_key(key),
                    entries.c.at > _instant(now - expiry),
                )
            ).one()
        if not count:
            return now, 0
        return _as_utc(oldest).timestamp(), int(count)

    # Sliding window counter (two fixed windows, as in limits' memory storage)

    def acquire_sliding_window_entry(
        self, key: str, limit: int, expiry: int, amount: int = 1
    ) -> bool:
        """Count the hits if the weighted count of both windows leaves room."""
        if amount > limit:
            return False
        now = _now()
        previous_key, current_key = self.sliding_window_keys(key, expiry, now)
        previous, previous_ttl, current, _ = self._sliding(
            previous_key, current_key, expiry, now
        )
        if floor(previous * previous_ttl / expiry + current) + amount > limit:
            return False
        current = self.incr(current_key, 2 * expiry, amount=amount)
        if floor(previous * previous_ttl / expiry + current) > limit:
            # Another process took the last room meanwhile: give this hit back.
            self.decr(current_key, amount)
            return False
        return True

    def get_sliding_window(
        self, key: str, expiry: int
    ) -> tuple[int, float, int, float]:
        """Return the previous and current window counts and their time to live."""
        now = _now()
        previous_key, current_key = self.sliding_window_keys(key, expiry, now)
        return self._sliding(previous_key, current_key, expiry, now)

    def _sliding(
        self, previous_key: str, current_key: str, expiry: int, now: float
    ) -> tuple[int, float, int, float]:
        previous, current = self.get(previous_key), self.get(current_key)
        previous_ttl = (
            0.0 if previous == 0 else (1 - (((now - expiry) / expiry) % 1)) * expiry
        )
        current_ttl = (1 - ((now / expiry) % 1)) * expiry + expiry
        return previous, previous_ttl, current, current_ttl

    def clear_sliding_window(self, key: str, expiry: int) -> None:
        """Forget both windows of a key."""
        previous_key, current_key = self.sliding_window_keys(key, expiry, _now())
        self.clear(previous_key)
        self.clear(current_key)

    # Cleanup

    def cleanup(self) -> int:
        """Delete ended counters and entries now; return how many rows went."""
        now = _now()
        with self._engine().begin() as connection:
            return self._cleanup(connection, now)

    def _maybe_cleanup(self, connection: Connection, now: float) -> None:
        if now >= self._next_cleanup:
            self._next_cleanup = now + self.cleanup_interval
            gone = self._cleanup(connection, now)
            if gone:
                log.debug("rate limits: %d ended rows deleted", gone)

    @staticmethod
    def _cleanup(connection: Connection, now: float) -> int:
        instant = _instant(now)
        gone = connection.execute(
            delete(counters).where(counters.c.expires_at <= instant)
        ).rowcount
        gone += connection.execute(
            delete(entries).where(entries.c.expires_at <= instant)
        ).rowcount
        return gone


def _request_cache() -> dict | None:
    """Return this request's memo of counter reads, or None outside a request."""
    if not has_request_context():
        return None
    return g.setdefault("_rate_limit_windows", {})


def _forget(key: str) -> None:
    cache = _request_cache()
    if cache is not None:
        cache.pop(key, None)


def _insert_for(connection: Connection):
    """Return the dialect's INSERT, which has ON CONFLICT DO UPDATE."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert
    if connection.dialect.name == "sqlite":
        return sqlite.insert
    name = connection.dialect.name
    raise NotImplementedError(f"database:// needs SQLite or PostgreSQL, not {name}")


def _as_utc(value: datetime) -> datetime:
    """Aggregates skip the column type, so SQLite hands back text or a naive value."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
