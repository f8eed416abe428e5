"""Enrichment: the properties the LRS sets on a statement before storing it."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

from xapi.builders import utc_timestamp
from xapi.errors import StatementValidationError

#: Statement properties the LRS may assign (Data 2.3.1 b1).
LRS_PROPERTIES = ("id", "authority", "stored", "timestamp", "version")


def default_version(api_version: str) -> str:
    """Return the "version" the LRS gives a statement that has none.

    Data 2.4.10 s3 b3: "If they lack a version, the version MUST be set to 1.0.0."
    """
    major_minor = ".".join(api_version.split(".")[:2])
    return f"{major_minor}.0"


def parse_timestamp(text: str, path: str = "statement.timestamp") -> datetime:
    """Return an ISO 8601 timestamp as an aware datetime; no zone is read as UTC."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise StatementValidationError(
            path, f"cannot read timestamp {text!r}"
        ) from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def enrich(statement: Mapping, *, stored: str, authority: dict, version: str) -> dict:
    """Return a copy of ``statement`` with id, stored, timestamp, authority, version.

    Data 2.4.8: the LRS "MUST overwrite any value currently in the stored property";
    2.4.7: timestamp is set "to the value of the stored property if not provided";
    2.4.9: the LRS "SHOULD overwrite the authority"; 4.5: it "SHOULD* return the
    Timestamp in UTC"; 2.4.6.2: it "MUST return every value in the contextActivities
    Object as an array".
    """
    enriched = dict(statement)
    enriched["id"] = str(statement.get("id") or uuid.uuid4()).lower()
    if "timestamp" in statement:
        enriched["timestamp"] = utc_timestamp(parse_timestamp(statement["timestamp"]))
    else:
        enriched["timestamp"] = stored
    enriched["stored"] = stored
    enriched["authority"] = authority
    enriched.setdefault("version", version)
    _context_arrays(enriched)
    if enriched["object"].get("objectType") == "SubStatement":
        enriched["object"] = dict(enriched["object"])
        _context_arrays(enriched["object"])
    return enriched


def _context_arrays(statement: dict) -> None:
    """Replace single context activities by arrays of one, copying what changes."""
    context = statement.get("context")
    activities = (context or {}).get("contextActivities")
    if not activities or all(isinstance(v, list) for v in activities.values()):
        return
    statement["context"] = {
        **context,
        "contextActivities": {
            key: value if isinstance(value, list) else [value]
            for key, value in activities.items()
        },
    }
