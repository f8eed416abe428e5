"""Practice-task files: one optional file per submission version, kept in storage.

Revision ID: bf07454ea04a
Revises: 14d1971608fa
Create Date: 2026-11-28 04:03:38.895325

"""
from alembic import op
import sqlalchemy as sa
import xapi.sqltypes


# revision identifiers, used by Alembic.
revision = 'bf07454ea04a'
down_revision = '14d1971608fa'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('submission_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('storage_key', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=128), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', xapi.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('storage_key'),
    sa.UniqueConstraint('submission_id')
    )


def downgrade():
    op.drop_table('submission_files')
