"""Sign-in security: lockout, session tokens, TOTP, reset links, rate-limit counters.

Revision ID: 195674dd968f
Revises: 6a28072b8da5
Create Date: 2026-11-28 06:12:28.859249

"""
import secrets

from alembic import op
import sqlalchemy as sa
import xapi.sqltypes


# revision identifiers, used by Alembic.
revision = '195674dd968f'
down_revision = '6a28072b8da5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('rate_limit_counters',
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('expires_at', xapi.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name='pk_rate_limit_counters')
    )
    op.create_index('ix_rate_limit_counters_expires_at', 'rate_limit_counters', ['expires_at'])

    op.create_table('rate_limit_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('at', xapi.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', xapi.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name='pk_rate_limit_entries')
    )
    op.create_index('ix_rate_limit_entries_expires_at', 'rate_limit_entries', ['expires_at'])
    op.create_index('ix_rate_limit_entries_key_at', 'rate_limit_entries', ['key', 'at'])

    op.create_table('password_reset_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', xapi.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', xapi.sqltypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', xapi.sqltypes.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE',
                            name='fk_password_reset_tokens_user_id_users'),
    sa.PrimaryKeyConstraint('id', name='pk_password_reset_tokens'),
    sa.UniqueConstraint('token_hash', name='uq_password_reset_tokens_token_hash')
    )
    op.create_index('ix_password_reset_tokens_user_id', 'password_reset_tokens', ['user_id'])

    # Plain ADD COLUMN on both databases: a batch copy of users (SQLite) would
    # break the foreign keys that point at it once there are rows.
    op.add_column('users', sa.Column('session_token', sa.String(length=32), nullable=True))
    op.add_column('users', sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False))
    op.add_column('users', sa.Column('locked_until', xapi.sqltypes.UTCDateTime(timezone=True), nullable=True))
    op.add_column('users', sa.Column('totp_secret', sa.Text(), nullable=True))
    op.add_column('users', sa.Column('totp_enabled', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('users', sa.Column('totp_last_step', sa.BigInteger(), nullable=True))

    # Every existing user gets a session token; sessions from before the upgrade
    # carry none and so end, which is what a security upgrade wants anyway.
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('session_token', sa.String))
    connection = op.get_bind()
    for (user_id,) in connection.execute(sa.select(users.c.id)).all():
        connection.execute(
            users.update().where(users.c.id == user_id).values(session_token=secrets.token_hex(16))
        )


def downgrade():
    # Plain DROP COLUMN (SQLite 3.35+), for the same reason.
    for column in ('totp_last_step', 'totp_enabled', 'totp_secret', 'locked_until',
                   'failed_logins', 'session_token'):
        op.drop_column('users', column)
    op.drop_index('ix_password_reset_tokens_user_id', table_name='password_reset_tokens')
    op.drop_table('password_reset_tokens')
    op.drop_index('ix_rate_limit_entries_key_at', table_name='rate_limit_entries')
    op.drop_index('ix_rate_limit_entries_expires_at', table_name='rate_limit_entries')
    op.drop_table('rate_limit_entries')
    op.drop_index('ix_rate_limit_counters_expires_at', table_name='rate_limit_counters')
    op.drop_table('rate_limit_counters')
