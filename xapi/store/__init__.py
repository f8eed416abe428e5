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
from xapi.store.save import Saved, save_statements, store_batch, validate_batch
from xapi.store.schema import (
    metadata,
    statement_activities,
    statement_agents,
    statement_registrations,
    statement_verbs,
    statements,
)

__all__ = [
    "Attachment",
    "Saved",
    "StatementQuery",
    "agent_key",
    "attachment_hashes",
    "attachments",
    "consistent_through",
    "get_statement",
    "get_statement_payload",
    "iter_statements",
    "load_attachments",
    "metadata",
    "query_payloads",
    "query_statements",
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
