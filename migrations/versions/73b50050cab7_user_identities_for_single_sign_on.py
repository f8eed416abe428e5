"""Single sign-on: users' accounts at identity providers; a password is optional.

Revision ID: 73b50050cab7
Revises: d91fda44745b
Create Date: 2026-11-28 06:00:47.688254

"""
from alembic import op
import sqlalchemy as sa
import xapi.sqltypes


# revision identifiers, used by Alembic.
revision = '73b50050cab7'
down_revision = 'd91fda44745b'
branch_labels = None
depends_on = None


def _password_hash_nullable(nullable):
    """Change users.password_hash; SQLite needs the table copied to do it."""
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    if sqlite:
        # SQLite's own recipe for copying a table that others point at: foreign
        # keys off (outside any transaction, or the pragma is ignored), copy in
        # one transaction, check, and on again. Otherwise the old table's DROP
        # fails on the rows that point at it.
        raw = bind.connection.dbapi_connection
        raw.commit()
        raw.execute("PRAGMA foreign_keys = OFF")
        raw.execute("BEGIN")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('password_hash',
               existing_type=sa.String(length=256),
               nullable=nullable)
    if sqlite:
        broken = raw.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raw.rollback()
        else:
            raw.commit()
        raw.execute("PRAGMA foreign_keys = ON")
        if broken:
            raise RuntimeError(f"foreign keys broken by copying users: {broken}")


def upgrade():
    _password_hash_nullable(True)

    op.create_table('user_identities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('issuer', sa.String(length=255), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('created_at', xapi.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', xapi.sqltypes.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name='fk_user_identities_user_id'),
    sa.PrimaryKeyConstraint('id', name='pk_user_identities'),
    sa.UniqueConstraint('issuer', 'subject', name='uq_user_identities_issuer_subject')
    )
    op.create_index('ix_user_identities_user_id', 'user_identities', ['user_id'], unique=False)


def downgrade():
    op.drop_index('ix_user_identities_user_id', table_name='user_identities')
    op.drop_table('user_identities')
    # Accounts without a password get an unusable one ("!" matches no password).
    op.execute("UPDATE users SET password_hash = '!' WHERE password_hash IS NULL")
    _password_hash_nullable(False)
