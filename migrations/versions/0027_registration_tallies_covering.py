"""The city's competition pyramid from an index alone (issue 21): registration_tallies (event_id, entries), so that
adding up every district's row of the year's events is an index-only scan on PostgreSQL instead of a heap page per
row.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-04 15:25:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_registration_tallies_event_entries', 'registration_tallies', ['event_id', 'entries'],
                    unique=False)


def downgrade():
    op.drop_index('ix_registration_tallies_event_entries', table_name='registration_tallies')
