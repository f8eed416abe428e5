"""Forwarding endpoints remember which statements a backfill has queued.

Delivered outbox rows are deleted, so the outbox alone cannot tell a backfill
which statements an endpoint already has; the range of statement seqs that
backfills have queued makes running a backfill again queue nothing new.

Revision ID: e4b1f7a20c93
Revises: c7a2e9d41f06
Create Date: 2026-11-29 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e4b1f7a20c93'
down_revision = 'c7a2e9d41f06'
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    with op.batch_alter_table('forwarding_endpoints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('backfilled_from_seq', SEQ, nullable=True))
        batch_op.add_column(sa.Column('backfilled_to_seq', SEQ, nullable=True))


def downgrade():
    with op.batch_alter_table('forwarding_endpoints', schema=None) as batch_op:
        batch_op.drop_column('backfilled_to_seq')
        batch_op.drop_column('backfilled_from_seq')
