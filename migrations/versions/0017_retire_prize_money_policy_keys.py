"""Retire the policy keys that award rules superseded: competition.prize_money and competition.prize_money_topup

Award amounts come from award rules (award_rules, migration 0006); these two keys were no longer read by any code.
Their values are deleted; the audit trail keeps who set them and when.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 00:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

RETIRED = ("competition.prize_money", "competition.prize_money_topup")


def upgrade():
    policy_values = sa.table("policy_values", sa.column("key", sa.String))
    op.execute(policy_values.delete().where(policy_values.c.key.in_(RETIRED)))


def downgrade():
    # The deleted values cannot be restored (the audit trail keeps them); nothing reads these keys any more.
    pass
