"""The statement store's tables, on a MetaData of its own (SQLAlchemy Core)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    false,
)

from xapi.sqltypes import UTCDateTime

metadata = MetaData()

#: Insertion order: a 64-bit sequence on PostgreSQL, the rowid alias on SQLite.
SEQ = BigInteger().with_variant(Integer, "sqlite")

statements = Table(
    "xapi_statements",
    metadata,
    #: Insertion order; the paging cursor and the order of every listing.
    Column("seq", SEQ, primary_key=True, autoincrement=True),
    #: The statement's id, in lowercase.
    Column("statement_id", String(36), nullable=False, unique=True),
    #: When the LRS stored the statement; listings are ordered by (stored, seq).
    Column("stored", UTCDateTime, nullable=False),
    Column("timestamp", UTCDateTime, nullable=False),
    #: Canonical key of the actor; NULL for an Anonymous Group.
    Column("actor_key", Text),
    Column("verb_id", Text, nullable=False),
    #: Activity, Agent, Group, StatementRef or SubStatement.
    Column("object_type", String(16), nullable=False),
    #: The object's activity id or agent key; NULL for other object types.
    Column("object_key", Text),
    #: The id of the statement a StatementRef object points to (lowercase).
    Column("target_id", String(36)),
    #: context.registration in lowercase.
    Column("registration", String(36)),
    #: True once a voiding statement targets this (non-voiding) statement.
    Column("voided", Boolean, nullable=False, default=False),
    #: Canonical key of the authority; NULL for an OAuth Group authority.
    Column("authority_key", Text),
    #: The stored statement as JSON, exactly as GET returns it.
    Column("payload", Text, nullable=False),
)

# Serves listings without filters, and since/until, in (stored, seq) order.
Index("ix_xapi_statements_stored_seq", statements.c.stored, statements.c.seq)

# Statements that point at another one are few: index only those rows. Both SQLite
# and PostgreSQL use a partial "IS NOT NULL" index for "target_id IN (...)".
Index(
    "ix_xapi_statements_target_id",
    statements.c.target_id,
    postgresql_where=statements.c.target_id.is_not(None),
    sqlite_where=statements.c.target_id.is_not(None),
)


def _postings(name: str, key: str, *, related: bool) -> Table:
    """Define a posting list: which statements match a filter value.

    The primary key (value[, related], stored_us, seq) serves "WHERE value = ?
    [AND related = ?] [AND stored_us > ?] ORDER BY stored_us DESC, seq DESC LIMIT n"
    as one ordered index range; on SQLite the table is that index (WITHOUT ROWID).
    A "related_*" query reads the two ranges of a value and merges them, so the
    table needs no second index and a statement costs one index entry per value.
    """
    columns = [
        Column(key, Text, nullable=False),
        #: The statement's stored time in microseconds since the Unix epoch: an
        #: integer needs no conversion per row, and keeps the key short.
        Column("stored_us", SEQ, nullable=False),
        # No foreign key: the store writes postings with their statement in one
        # transaction and never deletes a statement, and the check would cost a
        # lookup per posting row.
        Column("seq", SEQ, nullable=False),
    ]
    if related:
        #: False when the value is the statement's own object/actor (or inherited
        #: through a StatementRef as such); True when only in context, authority or
        #: a SubStatement. A value present both ways is stored as False; readers
        #: still allow for both rows, which concurrent upserts can leave.
        columns.append(Column("related", Boolean, nullable=False))
    primary_key = (
        [key, "related", "stored_us", "seq"] if related else [key, "stored_us", "seq"]
    )
    return Table(
        name,
        metadata,
        *columns,
        PrimaryKeyConstraint(*primary_key, name=f"{name}_pkey"),
        sqlite_with_rowid=False,
    )


def direct_only(table: Table):
    """Return the condition of a value's direct postings, a range of its key."""
    return table.c.related == false()


statement_activities = _postings(
    "xapi_statement_activities", "activity_id", related=True
)
statement_agents = _postings("xapi_statement_agents", "agent_key", related=True)
statement_verbs = _postings("xapi_statement_verbs", "verb_id", related=False)
statement_registrations = _postings(
    "xapi_statement_registrations", "registration", related=False
)

#: Posting tables by filter, with the name of their value column.
POSTINGS = {
    "activities": (statement_activities, "activity_id"),
    "agents": (statement_agents, "agent_key"),
    "verbs": (statement_verbs, "verb_id"),
    "registrations": (statement_registrations, "registration"),
}
