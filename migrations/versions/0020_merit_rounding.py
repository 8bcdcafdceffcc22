"""Events: how the national rule's "top half" for 优胜奖 rounds an odd field (down or up)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 00:35:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('events') as batch_op:
        batch_op.add_column(sa.Column('merit_rounding', sa.String(length=8), server_default='down', nullable=False))


def downgrade():
    with op.batch_alter_table('events') as batch_op:
        batch_op.drop_column('merit_rounding')
