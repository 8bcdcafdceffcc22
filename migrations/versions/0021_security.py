"""Security sweep (issue 18): a per-user session epoch that ends every session and remember cookie when it moves;
masked 身份证号 keep fewer characters (first 3 and last 2)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 23:59:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_epoch', sa.Integer(), nullable=False, server_default='0'))
    # The new mask is a part of the old one (which kept characters 1–3 and 15–18), so no key is needed.
    people = sa.table('people', sa.column('id', sa.Integer), sa.column('id_number_masked', sa.String),
                      sa.column('doc_type', sa.String))
    conn = op.get_bind()
    rows = conn.execute(sa.select(people.c.id, people.c.id_number_masked)
                        .where(sa.func.length(people.c.id_number_masked) == 18)).all()
    for row in rows:
        masked = row.id_number_masked[:3] + '*' * 13 + row.id_number_masked[-2:]
        conn.execute(people.update().where(people.c.id == row.id).values(id_number_masked=masked))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_epoch')
