"""Supervision dashboards: indexes for a district's registrations, enrollments by district and start, completions, subsidy totals.

Revision ID: 0014
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("enrollments", schema=None) as batch_op:
        batch_op.create_index("ix_enrollments_approved_district_starts_on", ["district", "starts_on"], unique=False,
                              sqlite_where=sa.text("approved_at IS NOT NULL"),
                              postgresql_where=sa.text("approved_at IS NOT NULL"))
        batch_op.create_index("ix_enrollments_status_ends_on_district", ["status", "ends_on", "district"],
                              unique=False)
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.create_index("ix_registrations_unit_event_status", ["unit_id", "event_id", "status"], unique=False)
    with op.batch_alter_table("subsidy_lines", schema=None) as batch_op:
        batch_op.create_index("ix_subsidy_lines_year_district_totals",
                              ["year", "district", "kind", "status", "amount"], unique=False)


def downgrade():
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.drop_index("ix_registrations_unit_event_status")
    with op.batch_alter_table("subsidy_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_subsidy_lines_year_district_totals")
    with op.batch_alter_table("enrollments", schema=None) as batch_op:
        batch_op.drop_index("ix_enrollments_status_ends_on_district")
        batch_op.drop_index("ix_enrollments_approved_district_starts_on",
                            sqlite_where=sa.text("approved_at IS NOT NULL"),
                            postgresql_where=sa.text("approved_at IS NOT NULL"))
