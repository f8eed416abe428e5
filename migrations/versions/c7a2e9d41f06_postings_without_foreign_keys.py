"""Posting lists of statements without foreign keys to the statement rows.

The posting lists (activities, agents, verbs, registrations) are an index of the
statement store, written by the store in the same transaction as the statements
they point at, and statements are never deleted. The foreign key only checked
that, at the price of one lookup per posting row: about nine per statement.

Revision ID: c7a2e9d41f06
Revises: b7e2c4a91d05
Create Date: 2026-11-28 09:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c7a2e9d41f06'
down_revision = 'b7e2c4a91d05'
branch_labels = None
depends_on = None

#: Table, key column, whether it has "related" (and so the partial index).
POSTINGS = [
    ("xapi_statement_activities", "activity_id", True),
    ("xapi_statement_agents", "agent_key", True),
    ("xapi_statement_verbs", "verb_id", False),
    ("xapi_statement_registrations", "registration", False),
]


def _foreign_keys(table: str) -> list[str]:
    keys = sa.inspect(op.get_bind()).get_foreign_keys(table)
    return [key["name"] for key in keys if key["referred_table"] == "xapi_statements"]


def _rebuild_sqlite(table: str, key: str, related: bool, with_fk: bool) -> None:
    """Copy a WITHOUT ROWID table into one with or without the foreign key.

    Written out rather than as a batch migration, which could lose WITHOUT ROWID
    and the partial index.
    """
    columns = [f"{key} TEXT NOT NULL", "stored_us INTEGER NOT NULL", "seq INTEGER NOT NULL"]
    if related:
        columns.append("related BOOLEAN NOT NULL")
    constraints = [f"PRIMARY KEY ({key}, stored_us, seq)"]
    if with_fk:
        constraints.append("FOREIGN KEY(seq) REFERENCES xapi_statements (seq)")
    op.execute(
        f"CREATE TABLE {table}_new ({', '.join(columns + constraints)}) WITHOUT ROWID"
    )
    op.execute(f"INSERT INTO {table}_new SELECT * FROM {table}")
    op.execute(f"DROP TABLE {table}")
    op.execute(f"ALTER TABLE {table}_new RENAME TO {table}")
    if related:
        op.execute(
            f"CREATE INDEX ix_{table}_direct ON {table} ({key}, stored_us, seq)"
            " WHERE related = false"
        )


def upgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, key, related in POSTINGS:
        if sqlite:
            if _foreign_keys(table):
                _rebuild_sqlite(table, key, related, with_fk=False)
            continue
        for name in _foreign_keys(table):
            op.drop_constraint(name, table, type_="foreignkey")


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, key, related in POSTINGS:
        if sqlite:
            _rebuild_sqlite(table, key, related, with_fk=True)
            continue
        op.create_foreign_key(
            f"{table}_seq_fkey", table, "xapi_statements", ["seq"], ["seq"]
        )
