"""The xAPI statement store: SQLAlchemy Core tables and the LRS read/write paths."""

from xapi.agents import agent_key
from xapi.store.attachments import (
    Attachment,
    attachment_hashes,
    attachments,
    load_attachments,
    save_attachments,
)
from xapi.store.query import (
    StatementQuery,
    consistent_through,
    get_statement,
    get_statement_payload,
    iter_statements,
    query_payloads,
    query_statements,
)
from xapi.store.save import (
    LOOK_UP_COLUMNS,
    LookUp,
    Saved,
    given_ids,
    look_up_query,
    read_look_up,
    save_statements,
    store_batch,
    validate_batch,
)
from xapi.store.schema import (
    metadata,
    statement_activities,
    statement_agents,
    statement_registrations,
    statement_verbs,
    statements,
)

__all__ = [
    "LOOK_UP_COLUMNS",
    "Attachment",
    "LookUp",
    "Saved",
    "StatementQuery",
    "agent_key",
    "attachment_hashes",
    "attachments",
    "consistent_through",
    "get_statement",
    "get_statement_payload",
    "given_ids",
    "iter_statements",
    "load_attachments",
    "look_up_query",
    "metadata",
    "query_payloads",
    "query_statements",
    "read_look_up",
    "save_attachments",
    "save_statements",
    "statement_activities",
    "statement_agents",
    "statement_registrations",
    "statement_verbs",
    "statements",
    "store_batch",
    "validate_batch",
]
