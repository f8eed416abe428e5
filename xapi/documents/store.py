"""Read and write State, Activity Profile and Agent Profile documents (Core).

Every function takes a Connection and leaves committing to the caller. A Scope
names the table and the context (Activity, Agent, registration) of the documents.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

from sqlalchemy import Connection, Table, delete, select, update

from xapi.documents.concurrency import NO_PRECONDITION, Precondition, etag_of
from xapi.documents.schema import (
    NO_REGISTRATION,
    activity_profiles,
    agent_profiles,
    states,
)
from xapi.errors import MergeNotPossible, PreconditionFailed
from xapi.sqltypes import dialect_insert

JSON_TYPE = "application/json"


@dataclass(frozen=True)
class Scope:
    """Where a set of documents lives: a table and the values of its context."""

    table: Table
    #: The column of the document id: state_id or profile_id.
    id_column: str
    #: Column values that select one document's context.
    context: tuple[tuple[str, str], ...]
    #: Column values that select the documents listed or deleted together.
    listing: tuple[tuple[str, str], ...]
    #: Profiles: a PUT may not overwrite without If-Match/If-None-Match (3.1.s3).
    guarded: bool


class Document(NamedTuple):
    """A stored document as GET returns it."""

    content: bytes
    content_type: str
    #: SHA-1 of the content, lowercase hex, unquoted.
    etag: str
    updated: datetime


class Listing(NamedTuple):
    """The ids of a context's documents and when the newest one was stored."""

    ids: list[str]
    last_modified: datetime | None


def state(activity_id: str, agent_key: str, registration: str | None = None) -> Scope:
    """Return the scope of State documents of an Activity, Agent and registration.

    Communication 2.3.s4/s5: without a registration, the id listing and the
    multiple DELETE cover the Activity + Agent context under every registration.
    """
    base = (("activity_id", activity_id), ("agent_key", agent_key))
    reg = registration.lower() if registration else NO_REGISTRATION
    listing = base + ((("registration", reg),) if registration else ())
    return Scope(states, "state_id", base + (("registration", reg),), listing, False)


def activity_profile(activity_id: str) -> Scope:
    """Return the scope of an Activity's profile documents."""
    context = (("activity_id", activity_id),)
    return Scope(activity_profiles, "profile_id", context, context, True)


def agent_profile(agent_key: str) -> Scope:
    """Return the scope of an Agent's profile documents."""
    context = (("agent_key", agent_key),)
    return Scope(agent_profiles, "profile_id", context, context, True)


def get_document(conn: Connection, scope: Scope, document_id: str) -> Document | None:
    """Return one document, or None when there is none."""
    table = scope.table
    row = conn.execute(
        select(table.c.content, table.c.content_type, table.c.etag, table.c.updated)
        .where(*_one(scope, document_id))
        .limit(1)
    ).first()
    return None if row is None else Document(bytes(row[0]), row[1], row[2], row[3])


def document_ids(
    conn: Connection, scope: Scope, since: datetime | None = None
) -> Listing:
    """Return the ids stored or updated after ``since`` (exclusive), in id order."""
    table = scope.table
    query = select(table.c[scope.id_column], table.c.updated).where(
        *_where(table, scope.listing)
    )
    if since is not None:
        query = query.where(table.c.updated > since)
    rows = conn.execute(query.order_by(table.c[scope.id_column])).all()
    # Without a registration one stateId may exist under several registrations.
    ids = list(dict.fromkeys(row[0] for row in rows))
    return Listing(ids, max((row[1] for row in rows), default=None))


def put_document(
    conn: Connection,
    scope: Scope,
    document_id: str,
    content: bytes,
    content_type: str,
    precondition: Precondition = NO_PRECONDITION,
    *,
    now: datetime | None = None,
) -> Document:
    """Store a document, replacing any current one; raise if a precondition fails.

    Raises PreconditionFailed (412) or, for a profile that exists and a request
    without If-Match or If-None-Match, ConflictNeedsPrecondition (409).
    """
    current = _current(conn, scope, document_id)
    precondition.check(_etag(current), overwrite_needs_one=scope.guarded)
    return _write(conn, scope, document_id, current, content, content_type, now)


def post_document(
    conn: Connection,
    scope: Scope,
    document_id: str,
    content: bytes,
    content_type: str,
    precondition: Precondition = NO_PRECONDITION,
    *,
    now: datetime | None = None,
) -> Document:
    """Store a new document, or merge a JSON object into the stored JSON object.

    Communication 2.2.s8.b1: if either document "does not have a Content-Type of
    application/json, or if either document cannot be parsed as a JSON Object",
    raise MergeNotPossible (400) and change nothing.
    """
    current = _current(conn, scope, document_id)
    precondition.check(_etag(current), overwrite_needs_one=False)
    if current is None:
        if is_json(content_type):
            json_object(content, "the posted document")
        return _write(conn, scope, document_id, None, content, content_type, now)
    merged = merge_json(current.content, current.content_type, content, content_type)
    return _write(conn, scope, document_id, current, merged, content_type, now)


def delete_document(
    conn: Connection,
    scope: Scope,
    document_id: str,
    precondition: Precondition = NO_PRECONDITION,
) -> bool:
    """Delete one document; return whether there was one. PreconditionFailed if."""
    current = _current(conn, scope, document_id)
    precondition.check(_etag(current), overwrite_needs_one=False)
    if current is None:
        return False
    deleted = conn.execute(
        delete(scope.table).where(
            *_one(scope, document_id), scope.table.c.etag == current.etag
        )
    )
    if deleted.rowcount == 0:
        raise PreconditionFailed("the document changed while it was being deleted")
    return True


def delete_documents(conn: Connection, scope: Scope) -> int:
    """Delete every document of the scope's listing context; return how many."""
    return conn.execute(
        delete(scope.table).where(*_where(scope.table, scope.listing))
    ).rowcount


def is_json(content_type: str | None) -> bool:
    """Return whether a Content-Type is application/json, parameters aside."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    return media_type == JSON_TYPE


def json_object(content: bytes, what: str) -> dict:
    """Parse ``content`` as a JSON object; MergeNotPossible naming ``what`` if not."""
    try:
        parsed = json.loads(content, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise MergeNotPossible(f"{what} is not valid JSON") from None
    if not isinstance(parsed, dict):
        raise MergeNotPossible(f"{what} is JSON but not a JSON object")
    return parsed


def merge_json(
    stored: bytes, stored_type: str, posted: bytes, posted_type: str
) -> bytes:
    """Merge the posted object's top-level properties into the stored object.

    Communication 2.2.s7: "for each property directly defined on the Object being
    posted, set the corresponding property on the existing Object equal to the
    value from the posted Object"; only top-level properties are merged.
    """
    if not is_json(posted_type):
        raise MergeNotPossible(
            f"the posted document has Content-Type {posted_type!r}; merging into a"
            f" stored document needs {JSON_TYPE}"
        )
    if not is_json(stored_type):
        raise MergeNotPossible(
            f"the stored document has Content-Type {stored_type!r}, so it cannot be"
            " merged; replace it with PUT"
        )
    existing = json_object(stored, "the stored document")
    existing.update(json_object(posted, "the posted document"))
    try:
        return json.dumps(existing, ensure_ascii=False, separators=(",", ":")).encode()
    except UnicodeEncodeError:  # a lone surrogate escape: keep it escaped
        return json.dumps(existing, separators=(",", ":")).encode()


def _reject_constant(name: str) -> None:
    """Refuse NaN and Infinity, which are not JSON."""
    raise ValueError(f"{name} is not JSON")


def _where(table: Table, values: tuple[tuple[str, str], ...]) -> list:
    return [table.c[column] == value for column, value in values]


def _one(scope: Scope, document_id: str) -> list:
    """Return the conditions selecting one document."""
    table = scope.table
    return [*_where(table, scope.context), table.c[scope.id_column] == document_id]


def _current(conn: Connection, scope: Scope, document_id: str) -> Document | None:
    """Read the document a write would change, locking its row where possible."""
    table = scope.table
    row = conn.execute(
        select(table.c.content, table.c.content_type, table.c.etag, table.c.updated)
        .where(*_one(scope, document_id))
        .with_for_update()
    ).first()
    return None if row is None else Document(bytes(row[0]), row[1], row[2], row[3])


def _etag(document: Document | None) -> str | None:
    return None if document is None else document.etag


def _write(
    conn: Connection,
    scope: Scope,
    document_id: str,
    current: Document | None,
    content: bytes,
    content_type: str,
    now: datetime | None,
) -> Document:
    """Insert or replace the document, unless another request got there first.

    The update is conditional on the ETag read before, and the insert does nothing
    on a key that appeared meanwhile: either way the precondition checked no longer
    holds, so the write is refused rather than losing the other request's data.
    """
    document = Document(content, content_type, etag_of(content), now or _now())
    values = document._asdict()
    table = scope.table
    if current is None:
        key = dict(scope.context) | {scope.id_column: document_id}
        insert = (
            dialect_insert(conn)(table).values(**key, **values).on_conflict_do_nothing()
        )
        # RETURNING tells whether the row went in; rowcount is not reliable here.
        written = len(conn.execute(insert.returning(table.c.etag)).all())
    else:
        written = conn.execute(
            update(table)
            .where(*_one(scope, document_id), table.c.etag == current.etag)
            .values(**values)
        ).rowcount
    if written != 1:
        raise PreconditionFailed(
            "another request changed the document at the same time"
        )
    return document


def _now() -> datetime:
    return datetime.now(UTC)


__all__ = [
    "Document",
    "Listing",
    "Scope",
    "activity_profile",
    "agent_profile",
    "delete_document",
    "delete_documents",
    "document_ids",
    "get_document",
    "is_json",
    "merge_json",
    "post_document",
    "put_document",
    "state",
]
