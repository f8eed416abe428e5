"""Privacy: erased people as tombstones, erased certificate holders, deleted files.

Revision ID: 6a28072b8da5
Revises: 02cc14edac0c
Create Date: 2026-11-28 06:01:00.861532

"""
from alembic import op
import sqlalchemy as sa
import xapi.sqltypes


# revision identifiers, used by Alembic.
revision = '6a28072b8da5'
down_revision = '02cc14edac0c'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN of nullable columns: portable, no table copy on SQLite.
    op.add_column(
        'users',
        sa.Column('erased_at', xapi.sqltypes.UTCDateTime(timezone=True), nullable=True),
    )
    op.add_column(
        'certificates',
        sa.Column(
            'holder_erased_at', xapi.sqltypes.UTCDateTime(timezone=True), nullable=True
        ),
    )
    op.add_column(
        'submission_files',
        sa.Column('deleted_at', xapi.sqltypes.UTCDateTime(timezone=True), nullable=True),
    )
    op.add_column(
        'submission_files',
        sa.Column('deleted_reason', sa.String(length=16), nullable=True),
    )


def downgrade():
    with op.batch_alter_table('submission_files', schema=None) as batch_op:
        batch_op.drop_column('deleted_reason')
        batch_op.drop_column('deleted_at')
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_column('holder_erased_at')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('erased_at')
