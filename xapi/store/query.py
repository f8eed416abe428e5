"""The LRS read path: one statement, filtered pages, and full scans for projections."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import orjson
from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    Select,
    Table,
    bindparam,
    false,
    select,
    text,
    true,
    tuple_,
    union_all,
)

from xapi.store.driver import run_query
from xapi.store.keys import epoch_us, index_key
from xapi.store.schema import (
    statement_activities,
    statement_agents,
    statement_registrations,
    statement_verbs,
    statements,
)

#: How long a transaction may take between choosing "stored" and committing.
CONSISTENCY_MARGIN = timedelta(seconds=1)
#: The furthest back an open transaction may hold the consistency time.
CONSISTENCY_HORIZON = timedelta(minutes=1)


@dataclass(frozen=True)
class StatementQuery:
    """The filters of GET /statements (Communication 2.1.3), plus a paging cursor.

    ``agent_key`` is the canonical key of the agent filter (``xapi.agents.agent_key``).
    ``after_seq`` continues a listing after the statement with that seq.
    """

    agent_key: str | None = None
    verb_id: str | None = None
    activity_id: str | None = None
    registration: str | None = None
    related_activities: bool = False
    related_agents: bool = False
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 0
    ascending: bool = False
    after_seq: int | None = None
    #: Only statements with this authority (canonical key): "statements/read/mine".
    authority_key: str | None = None


def get_statement(
    conn: Connection, statement_id: str, *, voided: bool = False
) -> dict | None:
    """Return a stored statement by id, or None.

    Communication 2.1.4 s1 b1: "The LRS MUST not return any Statement which has been
    voided, unless that Statement has been requested by voidedStatementId"; so with
    ``voided=True`` only a voided statement is returned (voidedStatementId).
    """
    payload = get_statement_payload(conn, statement_id, voided=voided)
    return None if payload is None else orjson.loads(payload)


def get_statement_payload(
    conn: Connection, statement_id: str, *, voided: bool = False
) -> str | None:
    """Return the stored JSON of a statement, with the rules of get_statement."""
    found = conn.execute(
        _PAYLOAD, {"statement_id": statement_id.lower(), "voided": voided}
    )
    return found.scalar_one_or_none()


#: Built once, as building a query costs more than running it.
_PAYLOAD = select(statements.c.payload).where(
    statements.c.statement_id == bindparam("statement_id"),
    statements.c.voided == bindparam("voided"),
)


def query_statements(
    conn: Connection, query: StatementQuery, *, max_limit: int = 500
) -> tuple[list[dict], int | None]:
    """Return one page of matching statements and the cursor of the next, if any."""
    payloads, cursor = query_payloads(conn, query, max_limit=max_limit)
    return [orjson.loads(payload) for payload in payloads], cursor


def query_payloads(
    conn: Connection, query: StatementQuery, *, max_limit: int = 500
) -> tuple[list[str], int | None]:
    """Return one page as stored JSON texts, to answer without re-encoding."""
    limit = query.limit if 0 < query.limit <= max_limit else max_limit
    after = _cursor_position(conn, query.after_seq)
    if after is False:
        return [], None
    # On the driver's cursor: SQLAlchemy's execution cost about a tenth of a page.
    rows = _distinct(run_query(conn, *_select(query, after, limit + 1)))
    rows = rows[: limit + 1]
    cursor = rows[limit - 1][0] if len(rows) > limit else None
    return [row[1] for row in rows[:limit]], cursor


def _distinct(rows: Sequence[Sequence]) -> Sequence[Sequence]:
    """Return ordered (seq, payload) rows with each statement once.

    A statement can come twice from the merge of a value's direct and related
    postings; the two rows are neighbours in the order.
    """
    seqs = [row[0] for row in rows]
    if len(set(seqs)) == len(seqs):
        return rows
    return [row for n, row in enumerate(rows) if n == 0 or seqs[n - 1] != seqs[n]]


def _cursor_position(
    conn: Connection, after_seq: int | None
) -> tuple[datetime, int] | None | bool:
    """Return the (stored, seq) a cursor continues from; False if it is unknown."""
    if after_seq is None:
        return None
    stored = conn.execute(_STORED, {"seq": after_seq}).scalar_one_or_none()
    return False if stored is None else (stored, after_seq)


_STORED = select(statements.c.stored).where(statements.c.seq == bindparam("seq"))


#: How a filter on a posting list with a "related" column reads it.
DIRECT, EITHER = False, None


class Filter(NamedTuple):
    """One filter of a query: a value of a posting list.

    ``related`` is DIRECT (False) for the value's direct postings only, EITHER
    (None) for direct and related ones, and EITHER for lists without "related".
    """

    table: Table
    column: str
    value: str
    related: bool | None


def _filters(query: StatementQuery) -> list[Filter]:
    """Return the query's filters; the most selective comes first and drives the
    query."""
    agents = EITHER if query.related_agents else DIRECT
    activities = EITHER if query.related_activities else DIRECT
    candidates = [
        (statement_registrations, "registration", query.registration, EITHER),
        (statement_agents, "agent_key", query.agent_key, agents),
        (statement_activities, "activity_id", query.activity_id, activities),
        (statement_verbs, "verb_id", query.verb_id, EITHER),
    ]
    return [
        Filter(table, column, _value(column, value), related)
        for table, column, value, related in candidates
        if value is not None
    ]


def _value(column: str, value: str) -> str:
    """Return a filter value as the posting lists hold it."""
    return value.lower() if column == "registration" else index_key(value)


def _select(
    query: StatementQuery, after: tuple[datetime, int] | None, limit: int
) -> tuple[Select, dict[str, Any]]:
    """Return the page query and its parameters: walk one posting list in order,
    probe the others.

    Communication 2.1.3: statements come "in reverse chronological order based on
    stored time"; seq breaks ties, so a page boundary is exact.

    A driving list read for direct and related postings is two ranges of its
    key, each walked in order; the page is the merge of their first ``limit``
    rows, where a statement with both postings comes twice (see _distinct).

    The query of each shape (which filters, bounds and order) is built once, with
    the values as parameters: building it cost more than running it.
    """
    filters = _filters(query)
    shape = _Shape(
        tuple((f.table.name, f.related) for f in filters),
        query.authority_key is not None,
        query.since is not None,
        query.until is not None,
        after is not None,
        query.ascending,
    )
    stmt = _SHAPES.get(shape)
    if stmt is None:
        stmt = _SHAPES[shape] = _build(shape, filters)
    params: dict[str, Any] = {"limit": limit, "merged_limit": 2 * limit}
    for number, found in enumerate(filters):
        params[f"value_{number}"] = found.value
    if query.authority_key is not None:
        params["authority_key"] = query.authority_key
    _stored, moment = _stored_column(filters[0].table if filters else statements)
    if query.since is not None:
        params["since"] = moment(query.since)
    if query.until is not None:
        params["until"] = moment(query.until)
    if after is not None:
        params["after_stored"], params["after_seq"] = moment(after[0]), after[1]
    return stmt, params


class _Shape(NamedTuple):
    """What the text of a page query depends on; the values are parameters."""

    filters: tuple[tuple[str, bool | None], ...]
    mine: bool
    since: bool
    until: bool
    after: bool
    ascending: bool


_SHAPES: dict[_Shape, Select] = {}


def _build(shape: _Shape, filters: list[Filter]) -> Select:
    """Build the page query of a shape, with named parameters for the values."""
    limit = bindparam("limit", type_=Integer)
    if not filters:
        stmt = select(statements.c.seq, statements.c.payload)
        return _bounds(stmt, shape, statements).limit(limit)
    driver = filters[0]
    if driver.related is not EITHER or "related" not in driver.table.c:
        return _walk(shape, filters, driver.related).limit(limit)
    ranges = [
        _walk(shape, filters, flag).limit(limit).subquery() for flag in (False, True)
    ]
    merged = union_all(*(select(*part.c) for part in ranges)).subquery()
    order = (merged.c.stored_us, merged.c.seq)
    return (
        select(merged.c.seq, merged.c.payload)
        .order_by(*(c.asc() if shape.ascending else c.desc() for c in order))
        .limit(bindparam("merged_limit", type_=Integer))
    )


def _walk(shape: _Shape, filters: list[Filter], related: bool | None) -> Select:
    """Select from the driving list (its ``related`` range, if any), in order."""
    driver = filters[0].table
    stmt = (
        select(statements.c.seq, statements.c.payload, driver.c.stored_us)
        .select_from(driver)
        .join(statements, statements.c.seq == driver.c.seq)
        .where(driver.c[filters[0].column] == bindparam("value_0"))
    )
    if related is not EITHER:
        stmt = stmt.where(driver.c.related == _flag(related))
    for number, probe in enumerate(filters[1:], start=1):
        stmt = stmt.where(_posted(probe, f"value_{number}", driver))
    return _bounds(stmt, shape, driver)


def _posted(probe: Filter, parameter: str, driver: Table) -> ColumnElement[bool]:
    """Return whether the driver's statement has a posting of the probe's value
    (the parameter named ``parameter``).

    A semi-join: a statement with a direct and a related posting counts once. The
    "related" condition names both values, so each is one primary key lookup.
    """
    table = probe.table
    found = select(table.c.seq).where(
        table.c[probe.column] == bindparam(parameter),
        table.c.stored_us == driver.c.stored_us,
        table.c.seq == driver.c.seq,
    )
    if "related" in table.c:
        flag = table.c.related
        found = found.where(
            flag.in_([false(), true()])
            if probe.related is EITHER
            else flag == _flag(probe.related)
        )
    return found.exists()


def _flag(related: bool) -> ColumnElement[bool]:
    """Return a "related" value as a constant of the SQL, which the plan can use."""
    return true() if related else false()


def _bounds(stmt: Select, shape: _Shape, driver: Table) -> Select:
    """Add the voided, time and cursor conditions and the order.

    Communication 2.1.3: "since" is exclusive, "until" inclusive, both on stored.
    """
    stmt = stmt.where(statements.c.voided == false())
    if shape.mine:
        stmt = stmt.where(statements.c.authority_key == bindparam("authority_key"))
    stored, _moment = _stored_column(driver)
    if shape.since:
        stmt = stmt.where(stored > bindparam("since", type_=stored.type))
    if shape.until:
        stmt = stmt.where(stored <= bindparam("until", type_=stored.type))
    if shape.after:
        position = tuple_(stored, driver.c.seq)
        cursor = tuple_(
            bindparam("after_stored", type_=stored.type),
            bindparam("after_seq", type_=driver.c.seq.type),
        )
        stmt = stmt.where(position > cursor if shape.ascending else position < cursor)
    if shape.ascending:
        return stmt.order_by(stored.asc(), driver.c.seq.asc())
    return stmt.order_by(stored.desc(), driver.c.seq.desc())


def _stored_column(table: Table) -> tuple[ColumnElement, Callable[[datetime], Any]]:
    """Return a table's stored-time column and the conversion of a datetime to it."""
    if table is statements:
        return statements.c.stored, _aware
    return table.c.stored_us, lambda moment: epoch_us(_aware(moment))


def _aware(moment: datetime) -> datetime:
    """Return ``moment``, refusing a naive datetime."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("since, until and cursor times must be timezone-aware")
    return moment


def iter_statements(
    conn: Connection, *, registration: str | None = None, batch: int = 1000
) -> Iterator[dict]:
    """Yield every non-voided statement in insertion order, to rebuild projections."""
    query = StatementQuery(registration=registration, limit=batch, ascending=True)
    while True:
        page, cursor = query_statements(conn, query, max_limit=batch)
        yield from page
        if cursor is None:
            return
        query = replace(query, after_seq=cursor)


def consistent_through(conn: Connection, *, now: datetime | None = None) -> datetime:
    """Return the value of the X-Experience-API-Consistent-Through header.

    Communication 2.1.3 s2 b5: "all Statements that have or will have a stored
    property before that time are known with reasonable certainty to be available".
    A statement's stored time is chosen inside its transaction, so on PostgreSQL the
    oldest open transaction of another session bounds it too, up to a horizon that
    keeps a forgotten session from holding the time back for ever.
    """
    now = now or datetime.now(UTC)
    bound = now - CONSISTENCY_MARGIN
    if conn.dialect.name == "postgresql":
        oldest = conn.execute(_OLDEST_TRANSACTION).scalar()
        if oldest is not None:
            bound = min(bound, max(oldest, now - CONSISTENCY_HORIZON))
    return bound.astimezone(UTC)


_OLDEST_TRANSACTION = text(
    "SELECT min(xact_start) FROM pg_stat_activity"
    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
    " AND state IN ('active', 'idle in transaction')"
)
