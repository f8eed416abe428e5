"""Forwarding: external LRS endpoints and the outbox of statements to send them.

Revision ID: d91fda44745b
Revises: 195674dd968f
Create Date: 2026-11-28 06:11:04.748706

"""
from alembic import op
import sqlalchemy as sa
import xapi.sqltypes


# revision identifiers, used by Alembic.
revision = 'd91fda44745b'
down_revision = '195674dd968f'
branch_labels = None
depends_on = None

UTC_TIME = xapi.sqltypes.UTCDateTime(timezone=True)


def upgrade():
    op.create_table('forwarding_endpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('username', sa.String(length=200), nullable=False),
    sa.Column('secret_encrypted', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', UTC_TIME, nullable=False),
    sa.Column('updated_at', UTC_TIME, nullable=False),
    sa.Column('sent_count', sa.BigInteger(), nullable=False),
    sa.Column('last_success_at', UTC_TIME, nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_error_at', UTC_TIME, nullable=True),
    sa.Column('next_attempt_at', UTC_TIME, nullable=True),
    sa.Column('consecutive_failures', sa.Integer(), nullable=False),
    sa.Column('locked_by', sa.String(length=64), nullable=True),
    sa.Column('locked_until', UTC_TIME, nullable=True),
    sa.PrimaryKeyConstraint('id', name='pk_forwarding_endpoints'),
    sa.UniqueConstraint('name', name='uq_forwarding_endpoints_name'),
    )
    op.create_table('forwarding_outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('endpoint_id', sa.Integer(), nullable=False),
    sa.Column('statement_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', UTC_TIME, nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('rejections', sa.Integer(), nullable=False),
    sa.Column('failed_at', UTC_TIME, nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['endpoint_id'], ['forwarding_endpoints.id'], name='fk_forwarding_outbox_endpoint_id', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name='pk_forwarding_outbox'),
    sa.UniqueConstraint('endpoint_id', 'statement_id', name='uq_forwarding_outbox_endpoint_statement'),
    )
    op.create_index(
        'ix_forwarding_outbox_pending',
        'forwarding_outbox',
        ['endpoint_id', 'id'],
        sqlite_where=sa.text('failed_at IS NULL'),
        postgresql_where=sa.text('failed_at IS NULL'),
    )


def downgrade():
    op.drop_index('ix_forwarding_outbox_pending', table_name='forwarding_outbox')
    op.drop_table('forwarding_outbox')
    op.drop_table('forwarding_endpoints')
