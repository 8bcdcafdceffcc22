"""Risk prompts store their facts (kind + parameters as JSON), rendered in the reader's language, one row per
district a prompt concerns (the first the lead the city lists); their counts per district and kind
(risk_prompt_tallies)

The stored prompts are a materialisation of the rules: their Chinese sentences cannot be turned back into facts,
so upgrade (and downgrade) empties them and forgets when each kind was refreshed — the next desk view, the
scheduler's refresh or ``flask risks refresh`` finds them again. Reviews (risk_reviews) are kept: they stick
to (kind, subject_key).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04 03:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

DISTRICTS = ('huangpu', 'xuhui', 'changning', 'jingan', 'putuo', 'hongkou', 'yangpu', 'minhang', 'baoshan',
             'jiading', 'pudong', 'jinshan', 'songjiang', 'qingpu', 'fengxian', 'chongming')


def _district(name):
    return sa.Column(name, sa.Enum(*DISTRICTS, name='district', native_enum=False, length=32), nullable=True)


def _forget_refreshes():
    op.execute(sa.text('DELETE FROM risk_refreshes'))


def upgrade():
    _forget_refreshes()
    with op.batch_alter_table('risk_prompts', schema=None) as batch_op:
        batch_op.drop_index('ix_risk_prompts_kind_id')
        batch_op.drop_index('ix_risk_prompts_district_kind_id')
        batch_op.drop_index('ix_risk_prompts_district_id')
        batch_op.drop_index('ix_risk_prompts_also_district_id')
    op.drop_table('risk_prompts')
    op.create_table('risk_prompts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('subject_key', sa.String(length=80), nullable=False),
    _district('district'),
    sa.Column('lead', sa.Boolean(), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.Column('link', sa.Text(), nullable=True),
    sa.Column('found_on', sa.Date(), nullable=True),
    sa.Column('refreshed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_prompts')),
    sa.UniqueConstraint('kind', 'subject_key', 'district', name='uq_risk_prompts_kind_subject_district')
    )
    with op.batch_alter_table('risk_prompts', schema=None) as batch_op:
        batch_op.create_index('ix_risk_prompts_district_id', ['district', 'id'], unique=False)
        batch_op.create_index('ix_risk_prompts_district_kind_id', ['district', 'kind', 'id'], unique=False)
        batch_op.create_index('ix_risk_prompts_kind_id', ['kind', 'id'], unique=False)
        batch_op.create_index('ix_risk_prompts_lead_id', ['lead', 'id'], unique=False)
    op.create_table('risk_prompt_tallies',
    sa.Column('scope', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('open', sa.Integer(), nullable=False),
    sa.Column('reviewed', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('scope', 'kind', name=op.f('pk_risk_prompt_tallies'))
    )


def downgrade():
    _forget_refreshes()
    op.drop_table('risk_prompt_tallies')
    with op.batch_alter_table('risk_prompts', schema=None) as batch_op:
        batch_op.drop_index('ix_risk_prompts_lead_id')
        batch_op.drop_index('ix_risk_prompts_kind_id')
        batch_op.drop_index('ix_risk_prompts_district_kind_id')
        batch_op.drop_index('ix_risk_prompts_district_id')
    op.drop_table('risk_prompts')
    op.create_table('risk_prompts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('subject_key', sa.String(length=80), nullable=False),
    _district('district'),
    _district('also_district'),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('link', sa.Text(), nullable=True),
    sa.Column('found_on', sa.Date(), nullable=True),
    sa.Column('refreshed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_prompts')),
    sa.UniqueConstraint('kind', 'subject_key', name='uq_risk_prompts_kind_subject')
    )
    with op.batch_alter_table('risk_prompts', schema=None) as batch_op:
        batch_op.create_index('ix_risk_prompts_also_district_id', ['also_district', 'id'], unique=False)
        batch_op.create_index('ix_risk_prompts_district_id', ['district', 'id'], unique=False)
        batch_op.create_index('ix_risk_prompts_district_kind_id', ['district', 'kind', 'id'], unique=False)
        batch_op.create_index('ix_risk_prompts_kind_id', ['kind', 'id'], unique=False)
