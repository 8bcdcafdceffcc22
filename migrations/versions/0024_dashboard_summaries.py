"""Dashboards that do not grow with the data (issue 21): approved mentor hours per month and district kept on
write (mentor_hour_tallies, filled here from the sheets already there), and the medalled results in a partial
covering index (the competitions tab's medal tables read the medals only, not every result of the year).

Revision ID: 0024
Revises: 0022
Create Date: 2026-12-04 03:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'mentor_hour_tallies',
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('district', sa.Enum('huangpu', 'xuhui', 'changning', 'jingan', 'putuo', 'hongkou', 'yangpu',
                                      'minhang', 'baoshan', 'jiading', 'pudong', 'jinshan', 'songjiang', 'qingpu',
                                      'fengxian', 'chongming', name='district', native_enum=False,
                                      create_constraint=False, length=32), nullable=False),
        sa.Column('hours', sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column('allowance', sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column('sheets', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('month', 'district', name=op.f('pk_mentor_hour_tallies')),
    )
    # The tallies of the sheets already approved (afterwards kept on every approval and reopening,
    # app/mentor_hours/tallies.py).
    op.execute("""
        INSERT INTO mentor_hour_tallies (month, district, hours, allowance, sheets)
        SELECT month, district, COALESCE(SUM(hours), 0), COALESCE(SUM(allowance), 0), COUNT(*)
        FROM mentor_hour_months WHERE status = 'approved'
        GROUP BY month, district
    """)
    with op.batch_alter_table('results', schema=None) as batch_op:
        batch_op.create_index('ix_results_medalled', ['event_id', 'medal', 'contestant_id'], unique=False,
                              postgresql_where=sa.text('medal IS NOT NULL'),
                              sqlite_where=sa.text('medal IS NOT NULL'))


def downgrade():
    with op.batch_alter_table('results', schema=None) as batch_op:
        batch_op.drop_index('ix_results_medalled', postgresql_where=sa.text('medal IS NOT NULL'),
                            sqlite_where=sa.text('medal IS NOT NULL'))
    op.drop_table('mentor_hour_tallies')
