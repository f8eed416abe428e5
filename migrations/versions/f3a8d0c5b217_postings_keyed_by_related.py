"""Posting lists keyed (value, related, stored_us, seq), without the direct index.

The activity and agent posting lists had a second, partial index of their direct
postings. Keying the table by "related" after the value makes a value's direct
postings one range of the primary key, so each posting costs one index entry
instead of two; a "related_*" query merges the value's two ranges.

Revision ID: f3a8d0c5b217
Revises: e4b1f7a20c93
Create Date: 2026-11-29 01:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f3a8d0c5b217'
down_revision = 'e4b1f7a20c93'
branch_labels = None
depends_on = None

#: The posting lists with a "related" column, and their value column.
POSTINGS = [
    ("xapi_statement_activities", "activity_id"),
    ("xapi_statement_agents", "agent_key"),
]
COLUMNS = "{key}, stored_us, seq, related"


def _rebuild_sqlite(table: str, key: str, primary_key: str) -> None:
    """Copy a WITHOUT ROWID table into one with another primary key.

    Written out rather than as a batch migration, which could lose WITHOUT ROWID.
    """
    op.execute(
        f"CREATE TABLE {table}_new ({key} TEXT NOT NULL,"
        " stored_us INTEGER NOT NULL, seq INTEGER NOT NULL,"
        f" related BOOLEAN NOT NULL, CONSTRAINT {table}_pkey"
        f" PRIMARY KEY ({primary_key})) WITHOUT ROWID"
    )
    columns = COLUMNS.format(key=key)
    op.execute(f"INSERT INTO {table}_new ({columns}) SELECT {columns} FROM {table}")
    op.execute(f"DROP TABLE {table}")
    op.execute(f"ALTER TABLE {table}_new RENAME TO {table}")


def _replace_primary_key(table: str, primary_key: str) -> None:
    name = sa.inspect(op.get_bind()).get_pk_constraint(table)["name"]
    op.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY ({primary_key})")


def upgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, key in POSTINGS:
        primary_key = f"{key}, related, stored_us, seq"
        if sqlite:
            _rebuild_sqlite(table, key, primary_key)
        else:
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_direct")
            _replace_primary_key(table, primary_key)


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, key in POSTINGS:
        # The old key allows one posting per value and statement: a direct one wins.
        op.execute(
            f"DELETE FROM {table} WHERE related = true AND EXISTS (SELECT 1 FROM"
            f" {table} AS direct WHERE direct.{key} = {table}.{key}"
            f" AND direct.related = false AND direct.stored_us = {table}.stored_us"
            f" AND direct.seq = {table}.seq)"
        )
        primary_key = f"{key}, stored_us, seq"
        if sqlite:
            _rebuild_sqlite(table, key, primary_key)
        else:
            _replace_primary_key(table, primary_key)
        op.execute(
            f"CREATE INDEX ix_{table}_direct ON {table} ({key}, stored_us, seq)"
            " WHERE related = false"
        )
