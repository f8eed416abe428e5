"""one_of: a list as one parameter, on both databases."""

import orjson
import pytest
from sqlalchemy import (
    Column,
    Connection,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    or_,
    select,
)

from xapi.sqltypes import one_of

metadata = MetaData()
things = Table(
    "one_of_things",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("number", Integer, nullable=False),
    Column("other", String(40)),
)
Index("ix_one_of_things_number", things.c.number)
Index("ix_one_of_things_other", things.c.other)
NAMES = ["anna", "ben", "o'hara", 'say "hi"', "æøå", "a,b", "[x]", "a\\b", "new\nline"]


@pytest.fixture
def table(conn: Connection) -> Table:
    metadata.create_all(conn)
    conn.execute(
        things.insert(),
        [
            {"name": name, "number": number, "other": f"other-{number}"}
            for number, name in enumerate(NAMES)
        ],
    )
    return things


@pytest.mark.parametrize(
    "wanted",
    [
        [],
        ["anna"],
        ["o'hara", 'say "hi"', "æøå"],
        ["a,b", "[x]", "nobody"],
        ["a\\b", "new\nline"],
        NAMES,
    ],
    ids=["none", "one", "quoted", "odd", "escaped", "all"],
)
@pytest.mark.parametrize("by_dialect", [True, False], ids=["one-parameter", "in-list"])
def test_one_of_finds_exactly_the_listed_values(conn, table, wanted, by_dialect):
    dialect = conn.dialect.name if by_dialect else None
    query = select(table.c.name).where(one_of(table.c.name, "names", dialect=dialect))
    found = conn.execute(query, {"names": wanted}).scalars().all()
    assert sorted(found) == sorted(set(wanted) & set(NAMES))


def test_one_of_is_the_same_text_for_any_number_of_values(conn, table):
    """The point of one parameter: the SQL the driver sees does not depend on the
    list, so the server (PostgreSQL) or the driver's cache (SQLite) prepares it
    once, and SQLAlchemy does not render it again."""
    query = select(table.c.name).where(
        one_of(table.c.name, "names", dialect=conn.dialect.name)
    )
    texts = set()
    for wanted in (["anna"], ["anna", "ben", "æøå"]):
        result = conn.execute(query, {"names": wanted})
        texts.add(result.context.statement)
        assert sorted(result.scalars()) == sorted(wanted)
    assert len(texts) == 1


@pytest.mark.parametrize("by_dialect", [True, False], ids=["one-parameter", "in-list"])
def test_one_of_compares_values_of_the_column_type(conn, table, by_dialect):
    dialect = conn.dialect.name if by_dialect else None
    query = select(table.c.name).where(
        one_of(table.c.number, "numbers", dialect=dialect)
    )
    found = conn.execute(query, {"numbers": [0, 2, 99]}).scalars().all()
    assert sorted(found) == sorted([NAMES[0], NAMES[2]])


def test_two_lists_in_an_or_are_read_through_their_indexes(conn, table):
    """The store's look-up asks "id in one list or target in another": each list
    must stay an index lookup, never a scan of the whole table."""
    dialect = conn.dialect.name
    query = select(table.c.name).where(
        or_(
            one_of(table.c.number, "numbers", dialect=dialect),
            one_of(table.c.other, "others", dialect=dialect),
        )
    )
    params = {"numbers": [1, 3], "others": ["other-5"]}
    assert sorted(conn.execute(query, params).scalars()) == sorted(
        [NAMES[1], NAMES[3], NAMES[5]]
    )
    compiled = query.compile(conn)
    # Both dialects take each list as the text of a JSON array.
    sent = {name: orjson.dumps(values).decode() for name, values in params.items()}
    if dialect == "postgresql":
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        plan = "\n".join(
            row[0] for row in conn.exec_driver_sql(f"EXPLAIN {compiled.string}", sent)
        )
        assert "ix_one_of_things_number" in plan
        assert "ix_one_of_things_other" in plan
        assert "Seq Scan on one_of_things" not in plan
    else:
        plan = "\n".join(
            str(row[-1])
            for row in conn.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {compiled.string}",
                tuple(sent[name] for name in compiled.positiontup or ()),
            )
        )
        assert "ix_one_of_things_number" in plan
        assert "ix_one_of_things_other" in plan
