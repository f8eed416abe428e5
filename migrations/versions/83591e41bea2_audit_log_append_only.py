"""Audit log: indexes for searching it, no foreign key on the actor, append-only.

The actor is kept as a plain id so that a record outlives the person it names.
On PostgreSQL a trigger refuses UPDATE and DELETE of audit records (the ORM
refuses them on every database); TRUNCATE stays possible for the owner, as the
deliberate way to apply a retention period. SQLite gets no trigger: batch
migrations rebuild tables there and would drop it without a word.

Revision ID: 83591e41bea2
Revises: 73b50050cab7
Create Date: 2026-11-28 06:01:35.172895

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '83591e41bea2'
down_revision = '73b50050cab7'
branch_labels = None
depends_on = None

#: The name the unnamed foreign key gets in a SQLite batch rebuild.
ACTOR_FK = "fk_audit_records_actor_id_users"
NAMING = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}

APPEND_ONLY_FUNCTION = """
CREATE FUNCTION audit_records_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit records are append-only: % refused', TG_OP;
END
$$
"""
APPEND_ONLY_TRIGGER = """
CREATE TRIGGER audit_records_append_only
BEFORE UPDATE OR DELETE ON audit_records
FOR EACH ROW EXECUTE FUNCTION audit_records_append_only()
"""


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _actor_fk_name() -> str | None:
    for key in sa.inspect(op.get_bind()).get_foreign_keys("audit_records"):
        if key["constrained_columns"] == ["actor_id"]:
            return key["name"] or ACTOR_FK
    return None


def upgrade():
    fk_name = _actor_fk_name()
    with op.batch_alter_table("audit_records", naming_convention=NAMING) as batch_op:
        if fk_name:
            batch_op.drop_constraint(fk_name, type_="foreignkey")
        batch_op.drop_index("ix_audit_records_at")
        batch_op.create_index("ix_audit_records_at_id", ["at", "id"])
        batch_op.create_index("ix_audit_records_actor", ["actor_id", "at"])
        batch_op.create_index("ix_audit_records_action", ["action", "at"])
        batch_op.create_index("ix_audit_records_target", ["target_type", "target_id"])
    if _postgres():
        op.execute(APPEND_ONLY_FUNCTION)
        op.execute(APPEND_ONLY_TRIGGER)


def downgrade():
    if _postgres():
        op.execute("DROP TRIGGER audit_records_append_only ON audit_records")
        op.execute("DROP FUNCTION audit_records_append_only()")
    with op.batch_alter_table("audit_records", naming_convention=NAMING) as batch_op:
        batch_op.drop_index("ix_audit_records_target")
        batch_op.drop_index("ix_audit_records_action")
        batch_op.drop_index("ix_audit_records_actor")
        batch_op.drop_index("ix_audit_records_at_id")
        batch_op.create_index("ix_audit_records_at", ["at"])
        # Fails if records name users who were deleted meanwhile, as it must.
        batch_op.create_foreign_key(ACTOR_FK, "users", ["actor_id"], ["id"])
