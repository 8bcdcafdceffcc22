"""Medal tables that do not look up every medalled result's contestant and unit (issue 21): medals per year and
unit, with the unit's district and name, kept on write (medal_tallies, app/competitions/judging/tallies.py: locking
and unlocking results, a competition moved to another year, a unit's new district or name), filled here from the
results of the locked events already there.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-04 15:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None

MEDALS = ('gold', 'silver', 'bronze', 'merit', 'medallion')


def upgrade():
    op.create_table(
        'medal_tallies',
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('district', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=100).with_variant(sa.String(length=100, collation='C'), 'postgresql'),
                  nullable=False),
        *(sa.Column(medal, sa.Integer(), nullable=False) for medal in MEDALS),
        sa.ForeignKeyConstraint(['unit_id'], ['organisations.id'], name=op.f('fk_medal_tallies_unit_id_organisations')),
        sa.PrimaryKeyConstraint('year', 'unit_id', name=op.f('pk_medal_tallies')),
    )
    op.create_index('ix_medal_tallies_year_district', 'medal_tallies', ['year', 'district'], unique=False)
    # The first units of a year in the medal tables' order, from the index alone.
    op.create_index('ix_medal_tallies_ranking', 'medal_tallies',
                    ['year', *(sa.text(f'{medal} DESC') for medal in MEDALS), 'name', 'unit_id'], unique=False)
    # The medals of the results already locked (afterwards kept by the judging services, the competition's year
    # change and the unit's changes).
    counts = ", ".join(f"SUM(CASE WHEN r.medal = '{medal}' THEN 1 ELSE 0 END)" for medal in MEDALS)
    op.execute(f"""
        INSERT INTO medal_tallies (year, unit_id, district, name, {", ".join(MEDALS)})
        SELECT c.year, k.unit_id, COALESCE(MAX(o.district), ''), MAX(o.name), {counts}
        FROM results r JOIN contestants k ON k.id = r.contestant_id JOIN events e ON e.id = r.event_id
             JOIN competitions c ON c.id = e.competition_id JOIN organisations o ON o.id = k.unit_id
        WHERE e.judging_state = 'locked' AND r.medal IS NOT NULL
        GROUP BY c.year, k.unit_id
    """)


def downgrade():
    op.drop_table('medal_tallies')
