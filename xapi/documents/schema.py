"""The document tables, on the statement store's MetaData (SQLAlchemy Core)."""

from __future__ import annotations

from sqlalchemy import Column, LargeBinary, String, Table, Text

from xapi.sqltypes import UTCDateTime
from xapi.store.schema import metadata

#: What registration holds for state stored without one; a NOT NULL key column
#: keeps the primary key unique on every database ("" never equals a UUID).
NO_REGISTRATION = ""


def _document_columns(id_name: str) -> list[Column]:
    """Return the columns every document table ends with."""
    return [
        #: The document's id within its context (stateId or profileId).
        Column(id_name, Text, primary_key=True),
        #: The document exactly as the client sent it.
        Column("content", LargeBinary, nullable=False),
        #: The Content-Type the client gave, returned as given.
        Column("content_type", Text, nullable=False),
        #: SHA-1 of the content in lowercase hex, unquoted (Communication 3.1.s4.b2).
        Column("etag", String(40), nullable=False),
        #: When the document was last stored; "since" listings compare with it.
        Column("updated", UTCDateTime, nullable=False),
    ]


states = Table(
    "xapi_states",
    metadata,
    Column("activity_id", Text, primary_key=True),
    #: The agent's canonical key (xapi.agents.agent_key).
    Column("agent_key", Text, primary_key=True),
    #: The registration UUID in lowercase, or NO_REGISTRATION.
    Column("registration", String(36), primary_key=True),
    *_document_columns("state_id"),
)

activity_profiles = Table(
    "xapi_activity_profiles",
    metadata,
    Column("activity_id", Text, primary_key=True),
    *_document_columns("profile_id"),
)

agent_profiles = Table(
    "xapi_agent_profiles",
    metadata,
    #: The agent's canonical key (xapi.agents.agent_key).
    Column("agent_key", Text, primary_key=True),
    *_document_columns("profile_id"),
)

activities = Table(
    "xapi_activities",
    metadata,
    Column("activity_id", Text, primary_key=True),
    #: The canonical Activity Definition as JSON, from trusted sources only.
    Column("definition", Text, nullable=False),
    Column("updated", UTCDateTime, nullable=False),
)
