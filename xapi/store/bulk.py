"""Bulk inserts: on PostgreSQL one SQL statement of JSON parameters for a small
batch and COPY for a large one, the driver's executemany elsewhere."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping

import orjson
from sqlalchemy import Connection, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.engine.interfaces import Compiled

from xapi.store.driver import driver_errors, execute_many, fetch_all
from xapi.store.schema import POSTINGS, statements

#: Posting rows by posting table name; see insert_statements.
PostingRows = Mapping[str, list[tuple]]


def insert_statements(
    conn: Connection, rows: list[dict], postings: PostingRows | None = None
) -> list[int]:
    """Insert xapi_statements rows and their posting rows; return the rows' seqs in
    the order of ``rows``.

    A posting row (value, stored_us, position[, related]) names its statement by
    its position in ``rows``; the statement's seq takes its place.
    """
    postings = postings or {}
    if conn.dialect.name == "postgresql":
        return _insert_postgres(conn, rows, postings)
    if conn.dialect.name == "sqlite":
        seqs = _insert_sqlite_statements(conn, rows)
    else:
        query = statements.insert().returning(
            statements.c.seq, sort_by_parameter_order=True
        )
        seqs = list(conn.execute(query, rows).scalars())
    for name, table_rows in postings.items():
        if table_rows:
            _insert_rows(conn, POSTINGS[name][0], _with_seqs(table_rows, seqs))
    return seqs


def _with_seqs(table_rows: list[tuple], seqs: list[int]) -> list[tuple]:
    """Return posting rows with each statement's position replaced by its seq."""
    return [(*row[:2], seqs[row[2]], *row[3:]) for row in table_rows]


def _insert_sqlite_statements(conn: Connection, rows: list[dict]) -> list[int]:
    """Insert on SQLite with the driver's executemany; return the seqs.

    seq is the rowid, and SQLite gives a new row the largest rowid plus one. The
    transaction holds the only write lock, so the rows of one executemany get
    consecutive seqs ending at last_insert_rowid().
    """
    _check_no_schema_translation(conn)
    compiled = _compiled_insert(statements, conn.dialect, exclude=("seq",))
    processors = _bind_processors(conn.dialect)
    values = [
        tuple(
            processor(row[name]) if processor else row[name]
            for name, processor in processors
        )
        for row in rows
    ]
    execute_many(conn, compiled.string, values)
    ((last,),) = fetch_all(conn, "SELECT last_insert_rowid()", ())
    return list(range(last - len(rows) + 1, last + 1))


_PROCESSORS: dict[str, list[tuple[str, Callable | None]]] = {}


def _bind_processors(dialect: Dialect) -> list[tuple[str, Callable | None]]:
    """Return (column, value conversion) of xapi_statements but seq, as SQLAlchemy
    would convert them for ``dialect`` (times to UTC text on SQLite)."""
    found = _PROCESSORS.get(dialect.name)
    if found is None:
        found = _PROCESSORS[dialect.name] = [
            (name, column.type.dialect_impl(dialect).bind_processor(dialect))
            for name, column in statements.c.items()
            if name != "seq"
        ]
    return found


def _insert_rows(conn: Connection, table: Table, rows: list[tuple]) -> None:
    """Insert rows holding a value for every column, in column order.

    The rows hold only text, integers and booleans, so they skip SQLAlchemy's
    per-row parameter processing, which would be most of the cost of a batch.
    """
    compiled = _compiled_insert(table, conn.dialect)
    _check_no_schema_translation(conn)
    if compiled.positional:
        execute_many(conn, compiled.string, rows)
    else:
        names = table.c.keys()
        params = [dict(zip(names, row, strict=True)) for row in rows]
        execute_many(conn, compiled.string, params)


_COMPILED: dict[tuple[str, str, str, tuple[str, ...]], Compiled] = {}


def _compiled_insert(
    table: Table, dialect: Dialect, exclude: tuple[str, ...] = ()
) -> Compiled:
    """Return the table's INSERT of every column but ``exclude``, compiled for a
    dialect, with positional parameters in column order; compiling costs ~0.2 ms."""
    key = (table.name, dialect.name, dialect.paramstyle, exclude)
    compiled = _COMPILED.get(key)
    if compiled is None:
        columns = {name: None for name in table.c.keys() if name not in exclude}
        compiled = _COMPILED[key] = (
            table.insert().values(columns).compile(dialect=dialect)
        )
    return compiled


# --- PostgreSQL ----------------------------------------------------------------------


#: Statements from which a batch goes by COPY on PostgreSQL; see _insert_postgres.
COPY_MIN = 50


def _insert_postgres(
    conn: Connection, rows: list[dict], postings: PostingRows
) -> list[int]:
    """Insert the statement rows and posting rows: by COPY from COPY_MIN rows,
    else in one SQL statement.

    A small batch's cost on PostgreSQL is mostly round trips, so one statement
    replaces one COPY per table and the query for the seqs. Each table's rows go
    as one JSON parameter: orjson encodes a batch in C, where psycopg's array
    parameters dump element by element in Python. A large batch is cheaper by
    COPY, as parsing the JSON (each payload a long escaped string) costs the
    server more than the round trips.
    """
    if len(rows) >= COPY_MIN:
        return _copy_postgres(conn, rows, postings)
    params: dict[str, object] = {
        "count": len(rows),
        "statements": orjson.dumps(rows).decode(),
    }
    for name in POSTINGS:
        params[name] = orjson.dumps(postings.get(name) or []).decode()
    sql = _postgres_sql(
        conn.dialect,
        qualified_name(conn, statements),
        tuple(qualified_name(conn, table) for table, _key in POSTINGS.values()),
    )
    return [row[0] for row in fetch_all(conn, sql, params)]


def _copy_postgres(
    conn: Connection, rows: list[dict], postings: PostingRows
) -> list[int]:
    """Draw the batch's seqs, then COPY each table's rows; return the seqs."""
    sequence = _sequence(qualified_name(conn, statements))
    drawn = fetch_all(
        conn,
        f"SELECT nextval({sequence}) FROM generate_series(1, %(count)s)",
        {"count": len(rows)},
    )
    seqs = sorted(row[0] for row in drawn)
    statement_rows = [
        (seq, *_statement_values(row)) for seq, row in zip(seqs, rows, strict=True)
    ]
    driver = conn.connection.driver_connection
    with driver_errors(conn, "COPY", None):
        with driver.cursor() as cursor:  # type: ignore[union-attr]
            with cursor.copy(_copy_sql(conn, statements)) as copy:
                for row in statement_rows:
                    copy.write_row(row)
            for name, (table, _key) in POSTINGS.items():
                table_rows = postings.get(name)
                if table_rows:
                    with cursor.copy(_copy_sql(conn, table)) as copy:
                        copy.write(posting_text(table_rows, seqs))
    return seqs


def _copy_sql(conn: Connection, table: Table) -> str:
    columns = ", ".join(table.c.keys())
    return f"COPY {qualified_name(conn, table)} ({columns}) FROM STDIN"


#: What COPY's text format escapes in a value, and how.
_SPECIAL = "\\\t\n\r"
_ESCAPES = str.maketrans(
    dict(zip(_SPECIAL, ("\\\\", "\\t", "\\n", "\\r"), strict=True))
)


def posting_text(rows: list[tuple], seqs: list[int]) -> str:
    """Return posting rows (value, stored_us, position[, related]) in COPY's text
    format, each position replaced by its statement's seq.

    Every posting row has this shape: one format string per row costs a writer
    about half of the driver's write_row, ~3 µs a statement of eight rows.
    """
    values = [row[0] for row in rows]
    whole = "".join(values)
    if any(character in whole for character in _SPECIAL):
        values = [value.translate(_ESCAPES) for value in values]
    if len(rows[0]) == 4:
        flags = ["\tt" if row[3] else "\tf" for row in rows]
    else:
        flags = [""] * len(rows)
    return "".join(
        [
            f"{value}\t{row[1]}\t{seqs[row[2]]}{flag}\n"
            for value, row, flag in zip(values, rows, flags, strict=True)
        ]
    )


#: xapi_statements' columns but seq, which the SQL gives out.
_STATEMENT_COLUMNS = [name for name in statements.c.keys() if name != "seq"]
_statement_values = operator.itemgetter(*_STATEMENT_COLUMNS)
_SQL: dict[tuple[str, tuple[str, ...]], str] = {}


def _postgres_sql(
    dialect: Dialect, statement_table: str, posting_tables: tuple[str, ...]
) -> str:
    """Return the SQL of _insert_postgres for these quoted table names.

    Statement rows come as a JSON array of objects (read by json_to_recordset),
    posting rows as a JSON array of arrays; the columns' types come from the
    schema.
    """
    key = (statement_table, posting_tables)
    if key in _SQL:
        return _SQL[key]

    def sql_type(table: Table, column: str) -> str:
        return str(table.c[column].type.compile(dialect=dialect))

    # The seqs are drawn first and sorted, then given out by position, so the
    # statements of a batch get ascending seqs in batch order.
    sequence = _sequence(statement_table)
    parts = [
        "WITH seqs AS MATERIALIZED (SELECT array_agg(v ORDER BY v) AS seq"
        f" FROM (SELECT nextval({sequence}) AS v"
        " FROM generate_series(1, %(count)s)) AS drawn)"
    ]
    names = ", ".join(_STATEMENT_COLUMNS)
    typed = ", ".join(f"{c} {sql_type(statements, c)}" for c in _STATEMENT_COLUMNS)
    picked = ", ".join(f"u.{c}" for c in _STATEMENT_COLUMNS)
    parts.append(
        f", s AS (INSERT INTO {statement_table} (seq, {names})"
        f" SELECT seqs.seq[u.position], {picked} FROM seqs,"
        f" ROWS FROM (json_to_recordset(%(statements)s::json) AS ({typed}))"
        f" WITH ORDINALITY AS u({names}, position))"
    )
    for (name, (table, _key)), target in zip(
        POSTINGS.items(), posting_tables, strict=True
    ):
        columns = table.c.keys()
        picked = ", ".join(
            f"seqs.seq[(e->>{number})::integer + 1]"
            if column == "seq"
            else f"(e->>{number})::{sql_type(table, column)}"
            for number, column in enumerate(columns)
        )
        parts.append(
            f", {name} AS (INSERT INTO {target} ({', '.join(columns)})"
            f" SELECT {picked} FROM seqs, json_array_elements(%({name})s::json) AS e)"
        )
    parts.append(" SELECT unnest(seq) FROM seqs")
    _SQL[key] = "".join(parts)
    return _SQL[key]


def _sequence(statement_table: str) -> str:
    """Return the SQL of xapi_statements' seq sequence, by its quoted name."""
    return f"pg_get_serial_sequence('{statement_table}', 'seq')"


def qualified_name(conn: Connection, table: Table) -> str:
    """Return the quoted table name, with its schema after schema translation."""
    translate = conn.get_execution_options().get("schema_translate_map") or {}
    schema = translate.get(table.schema, table.schema)
    preparer = conn.dialect.identifier_preparer
    name = preparer.quote(table.name)
    return f"{preparer.quote_schema(schema)}.{name}" if schema else name


def _check_no_schema_translation(conn: Connection) -> None:
    """Refuse a schema translation map where this module cannot honour it."""
    if conn.get_execution_options().get("schema_translate_map"):
        raise NotImplementedError("schema_translate_map is supported on PostgreSQL")
