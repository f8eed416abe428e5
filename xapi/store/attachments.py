"""Attachment content, stored once per SHA-2 digest (Data 2.4.11)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import NamedTuple

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    LargeBinary,
    String,
    Table,
    Text,
    select,
)

from xapi.sqltypes import dialect_insert
from xapi.store.schema import metadata

attachments = Table(
    "xapi_attachments",
    metadata,
    #: The lowercase hex SHA-2 (256, 384 or 512) of the content; statements refer
    #: to an attachment by this digest, so equal content is stored once.
    Column("sha2", String(128), primary_key=True),
    #: The Content-Type of the part that carried the content.
    Column("content_type", Text, nullable=False),
    Column("length", BigInteger, nullable=False),
    Column("content", LargeBinary, nullable=False),
)

# Ids per "IN (...)" list: well under SQLite's bound-parameter limit.
_CHUNK = 500


class Attachment(NamedTuple):
    """The raw data of one attachment."""

    sha2: str
    content_type: str
    content: bytes


def attachment_hashes(statements: Iterable[Mapping]) -> Iterator[str]:
    """Yield the sha2 of every attachment of the statements and their SubStatements."""
    for statement in statements:
        holders = [statement]
        if statement.get("object", {}).get("objectType") == "SubStatement":
            holders.append(statement["object"])
        for holder in holders:
            for attachment in holder.get("attachments") or ():
                yield attachment["sha2"].lower()


def save_attachments(conn: Connection, parts: Iterable[Attachment]) -> None:
    """Store attachment content in the caller's transaction; known digests stay."""
    rows = {
        part.sha2.lower(): {
            "sha2": part.sha2.lower(),
            "content_type": part.content_type,
            "length": len(part.content),
            "content": part.content,
        }
        for part in parts
    }
    if not rows:
        return
    stmt = dialect_insert(conn)(attachments).on_conflict_do_nothing(
        index_elements=["sha2"]
    )
    conn.execute(stmt, list(rows.values()))


def load_attachments(conn: Connection, hashes: Iterable[str]) -> list[Attachment]:
    """Return the stored attachments among ``hashes``, in the order first given."""
    wanted = list(dict.fromkeys(h.lower() for h in hashes))
    found: dict[str, Attachment] = {}
    for start in range(0, len(wanted), _CHUNK):
        query = select(
            attachments.c.sha2, attachments.c.content_type, attachments.c.content
        ).where(attachments.c.sha2.in_(wanted[start : start + _CHUNK]))
        for row in conn.execute(query):
            found[row.sha2] = Attachment(row.sha2, row.content_type, bytes(row.content))
    return [found[sha2] for sha2 in wanted if sha2 in found]
