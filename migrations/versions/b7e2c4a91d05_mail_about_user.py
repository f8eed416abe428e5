"""Mail: the person a mail is about, so that erasing them reaches it.

Revision ID: b7e2c4a91d05
Revises: 83591e41bea2
Create Date: 2026-11-29 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e2c4a91d05'
down_revision = '83591e41bea2'
branch_labels = None
depends_on = None

FK = "fk_mails_about_user_id"
INDEX = "ix_mails_about_user_id"


def upgrade():
    # A batch: SQLite cannot add a foreign key to an existing table otherwise; on
    # PostgreSQL it is plain ALTER TABLE.
    with op.batch_alter_table('mails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('about_user_id', sa.Integer(), nullable=True))
        batch_op.create_index(INDEX, ['about_user_id'], unique=False)
        batch_op.create_foreign_key(
            FK, 'users', ['about_user_id'], ['id'], ondelete='SET NULL'
        )


def downgrade():
    with op.batch_alter_table('mails', schema=None) as batch_op:
        batch_op.drop_constraint(FK, type_='foreignkey')
        batch_op.drop_index(INDEX)
        batch_op.drop_column('about_user_id')
