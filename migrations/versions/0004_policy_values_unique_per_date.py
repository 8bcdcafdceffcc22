"""policy values: one value per date, city-wide rows included

A unique constraint over the nullable district lets duplicate city-wide rows through (NULLs are
distinct); a unique index over coalesce(district, '') does not.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 23:07:08.369109

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('policy_values', schema=None) as batch_op:
        batch_op.drop_constraint('uq_policy_values_key_from', type_='unique')
    op.create_index('uq_policy_values_key_from', 'policy_values',
                    ['key', 'qualifier', sa.text("coalesce(district, '')"), 'effective_from'], unique=True)


def downgrade():
    op.drop_index('uq_policy_values_key_from', table_name='policy_values')
    with op.batch_alter_table('policy_values', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_policy_values_key_from',
                                          ['key', 'qualifier', 'district', 'effective_from'])
