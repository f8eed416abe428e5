"""Column helpers shared by the models."""

import uuid
from datetime import UTC, datetime

from xapi.sqltypes import UTCDateTime

__all__ = ["UTCDateTime", "new_uuid", "utcnow"]


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


def new_uuid() -> str:
    """Return a new random UUID as text."""
    return str(uuid.uuid4())
