"""The counters of the database rate-limit storage (lms.ratelimit), in SQLAlchemy Core.

Rate limits must hold across worker processes; without Redis the app's own database
keeps the counts.
"""

from sqlalchemy import Column, Index, Integer, String, Table

from lms.extensions import db
from lms.models.common import UTCDateTime

#: Fixed and sliding window counters: one row per limit key and window.
rate_limit_counters = Table(
    "rate_limit_counters",
    db.metadata,
    Column("key", String(255), primary_key=True),
    Column("count", Integer, nullable=False),
    #: When the window ends; the row is dead after this and deleted by cleanup.
    Column("expires_at", UTCDateTime, nullable=False),
    Index("ix_rate_limit_counters_expires_at", "expires_at"),
)

#: Moving window entries: one row per counted hit.
rate_limit_entries = Table(
    "rate_limit_entries",
    db.metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(255), nullable=False),
    #: When the hit was counted.
    Column("at", UTCDateTime, nullable=False),
    #: When the hit leaves every window it can belong to.
    Column("expires_at", UTCDateTime, nullable=False),
    Index("ix_rate_limit_entries_key_at", "key", "at"),
    Index("ix_rate_limit_entries_expires_at", "expires_at"),
)
