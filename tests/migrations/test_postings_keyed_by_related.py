"""Migration f3a8d0c5b217: posting lists keyed (value, related, stored_us, seq)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from lms import create_app
from lms.extensions import db
from tests.conftest import BACKENDS, _drop_schema, _postgres_schema

BEFORE, AFTER = "e4b1f7a20c93", "f3a8d0c5b217"
#: (value, stored_us, seq, related) rows the old schema allows.
ROWS = [
    ("a", 10, 1, False),
    ("a", 20, 2, True),
    ("b", 10, 1, True),
    ("b", 30, 3, False),
]


@pytest.fixture(params=BACKENDS)
def app(request, tmp_path) -> Iterator:
    """An app whose database is migrated up to the revision before this one."""
    config = {
        "TESTING": True,
        "LMS_BASE_URL": "http://lms.test",
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'migrate.db'}",
    }
    schema = None
    if request.param == "postgres":
        schema, config["SQLALCHEMY_DATABASE_URI"] = _postgres_schema()
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "connect_args": {"options": f"-c search_path={schema}"}
        }
    app = create_app(config)
    with app.app_context():
        upgrade(revision=BEFORE)
        yield app
        db.session.remove()
        db.engine.dispose()
    if schema:
        _drop_schema(schema)


def _insert(table: str, key: str, rows: list[tuple]) -> None:
    with db.engine.begin() as connection:
        for value, stored_us, seq, related in rows:
            connection.execute(
                text(
                    f"INSERT INTO {table} ({key}, stored_us, seq, related)"
                    " VALUES (:value, :us, :seq, :related)"
                ),
                {"value": value, "us": stored_us, "seq": seq, "related": related},
            )


def _rows(table: str, key: str) -> list[tuple]:
    with db.engine.connect() as connection:
        query = f"SELECT {key}, stored_us, seq, related FROM {table}"
        return sorted(tuple(row) for row in connection.execute(text(query)))


def _shape(table: str) -> tuple[list[str], list[str]]:
    """Return the table's primary key columns and its index names."""
    inspector = inspect(db.engine)
    columns = inspector.get_pk_constraint(table)["constrained_columns"]
    return columns, sorted(index["name"] for index in inspector.get_indexes(table))


@pytest.mark.parametrize(
    "table,key",
    [
        ("xapi_statement_activities", "activity_id"),
        ("xapi_statement_agents", "agent_key"),
    ],
)
def test_upgrade_keeps_every_posting_and_drops_the_direct_index(app, table, key):
    _insert(table, key, ROWS)
    assert _shape(table) == ([key, "stored_us", "seq"], [f"ix_{table}_direct"])
    upgrade(revision=AFTER)
    assert _shape(table) == ([key, "related", "stored_us", "seq"], [])
    assert _rows(table, key) == sorted(ROWS)


def test_downgrade_keeps_the_direct_posting_of_a_value_stored_both_ways(app):
    """The old key holds one posting per value and statement, so a direct one wins."""
    table, key = "xapi_statement_agents", "agent_key"
    upgrade(revision=AFTER)
    both = [("a", 10, 1, True)]
    _insert(table, key, ROWS + both)
    downgrade(revision=BEFORE)
    assert _shape(table) == ([key, "stored_us", "seq"], [f"ix_{table}_direct"])
    assert _rows(table, key) == sorted(ROWS)
