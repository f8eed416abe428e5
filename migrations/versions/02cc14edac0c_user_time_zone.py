"""Users: the time zone their dates and times are shown in (None: the app's).

Revision ID: 02cc14edac0c
Revises: bf07454ea04a
Create Date: 2026-11-28 06:03:31.845637

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '02cc14edac0c'
down_revision = 'bf07454ea04a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timezone', sa.String(length=64), nullable=True))



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('timezone')

