"""The parameters the document, Agents and Activities resources share."""

from __future__ import annotations

from datetime import datetime

from lms.lrs.http import LRSError, parse_json_param
from xapi.agents import agent_key
from xapi.errors import StatementValidationError
from xapi.formats import is_iri, is_timestamp, is_uuid
from xapi.store.enrich import parse_timestamp
from xapi.validation import validate_agent


def activity_id(given: dict[str, str]) -> str:
    """Return the activityId parameter, which must be an IRI (2.3.s3, 2.5.s1)."""
    value = given["activityId"]
    if not is_iri(value):
        raise LRSError(400, f"parameter 'activityId' is not an IRI: {value!r}")
    return value


def agent(given: dict[str, str]) -> dict:
    """Return the agent parameter: a valid Agent Object (not a Group), else 400."""
    found = parse_json_param("agent", given["agent"])
    try:
        validate_agent(found, path="agent")
    except StatementValidationError as error:
        raise LRSError(400, f"parameter {error}") from None
    return found


def agent_key_of(given: dict[str, str]) -> str:
    """Return the canonical key of the agent parameter."""
    return str(agent_key(agent(given)))


def registration(given: dict[str, str]) -> str | None:
    """Return the registration parameter, which must be a UUID (2.3.s3)."""
    value = given.get("registration")
    if value is not None and not is_uuid(value):
        raise LRSError(400, f"parameter 'registration' is not a UUID: {value!r}")
    return value


def since(given: dict[str, str]) -> datetime | None:
    """Return the since parameter as an aware datetime, or None (2.3.s4)."""
    value = given.get("since")
    if value is None:
        return None
    if not is_timestamp(value):
        raise LRSError(
            400, f"parameter 'since' is not an ISO 8601 timestamp: {value!r}"
        )
    try:
        return parse_timestamp(value, path="since")
    except StatementValidationError as error:
        raise LRSError(400, f"parameter {error}") from None
