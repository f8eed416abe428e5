"""one_of: a list as one parameter, on both databases."""

import pytest
from sqlalchemy import Column, Connection, MetaData, String, Table, select

from xapi.sqltypes import one_of

metadata = MetaData()
things = Table("one_of_things", metadata, Column("name", String(40), primary_key=True))
NAMES = ["anna", "ben", "o'hara", 'say "hi"', "æøå", "a,b", "[x]"]


@pytest.fixture
def table(conn: Connection) -> Table:
    metadata.create_all(conn)
    conn.execute(things.insert(), [{"name": name} for name in NAMES])
    return things


@pytest.mark.parametrize(
    "wanted",
    [[], ["anna"], ["o'hara", 'say "hi"', "æøå"], ["a,b", "[x]", "nobody"], NAMES],
    ids=["none", "one", "quoted", "odd", "all"],
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
