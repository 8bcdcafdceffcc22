"""Supervision dashboards: registration tallies (a summary kept on write); indexes for enrollments by district
and start, completions, subsidy totals.

Revision ID: 0014
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "registration_tallies",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("district", sa.String(length=32), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_registration_tallies_event_id_events"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("event_id", "district", name=op.f("pk_registration_tallies")),
    )
    # The tallies of the registrations already there (afterwards kept on every write, app/supervision/tallies.py).
    op.execute("""
        INSERT INTO registration_tallies (event_id, district, entries)
        SELECT r.event_id, COALESCE(o.district, ''), COUNT(*)
        FROM registrations r JOIN organisations o ON o.id = r.unit_id
        WHERE r.status IN ('submitted', 'approved', 'changes_requested')
        GROUP BY r.event_id, COALESCE(o.district, '')
    """)
    with op.batch_alter_table("enrollments", schema=None) as batch_op:
        batch_op.create_index("ix_enrollments_approved_district_starts_on", ["district", "starts_on"], unique=False,
                              sqlite_where=sa.text("approved_at IS NOT NULL"),
                              postgresql_where=sa.text("approved_at IS NOT NULL"))
        batch_op.create_index("ix_enrollments_status_ends_on_district", ["status", "ends_on", "district"],
                              unique=False)
    with op.batch_alter_table("subsidy_lines", schema=None) as batch_op:
        batch_op.create_index("ix_subsidy_lines_year_district_totals",
                              ["year", "district", "kind", "status", "amount"], unique=False)


def downgrade():
    op.drop_table("registration_tallies")
    with op.batch_alter_table("subsidy_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_subsidy_lines_year_district_totals")
    with op.batch_alter_table("enrollments", schema=None) as batch_op:
        batch_op.drop_index("ix_enrollments_status_ends_on_district")
        batch_op.drop_index("ix_enrollments_approved_district_starts_on",
                            sqlite_where=sa.text("approved_at IS NOT NULL"),
                            postgresql_where=sa.text("approved_at IS NOT NULL"))
