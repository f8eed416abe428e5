"""xAPI documents: State, Activity Profile and Agent Profile, Activities and Persons."""

from xapi.documents import schema
from xapi.documents.activities import (
    defined_ids,
    definitions_query,
    get_activity,
    merge_definition,
    read_definitions,
    upsert_definitions,
)
from xapi.documents.agents import person
from xapi.documents.concurrency import (
    NO_PRECONDITION,
    Precondition,
    etag_of,
    parse_etags,
)
from xapi.documents.store import (
    Document,
    Listing,
    Scope,
    activity_profile,
    agent_profile,
    delete_document,
    delete_documents,
    document_ids,
    get_document,
    is_json,
    merge_json,
    post_document,
    put_document,
    state,
)

__all__ = [
    "NO_PRECONDITION",
    "Document",
    "Listing",
    "Precondition",
    "Scope",
    "activity_profile",
    "agent_profile",
    "defined_ids",
    "definitions_query",
    "delete_document",
    "delete_documents",
    "document_ids",
    "etag_of",
    "get_activity",
    "get_document",
    "is_json",
    "merge_definition",
    "merge_json",
    "parse_etags",
    "person",
    "post_document",
    "put_document",
    "read_definitions",
    "schema",
    "state",
    "upsert_definitions",
]
