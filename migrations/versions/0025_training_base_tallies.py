"""Training-base tab that does not join every session with its log (issue 21): sessions, booked seconds and logged
hours per training base and local month kept on write (training_base_tallies), filled here from the sessions and
logs already there.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04 12:40:00

"""
import os
from collections import defaultdict
from datetime import UTC, date
from decimal import Decimal
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def _tz() -> str:
    try:
        from flask import current_app
        return current_app.config["TZ"]
    except (ImportError, RuntimeError, KeyError):
        return os.environ.get("TZ_DISPLAY", "Asia/Shanghai")


def upgrade():
    tallies = op.create_table(
        'training_base_tallies',
        sa.Column('base_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('sessions', sa.Integer(), nullable=False),
        sa.Column('booked_seconds', sa.BigInteger(), nullable=False),
        sa.Column('logged_hours', sa.Numeric(precision=14, scale=2), nullable=False),
        sa.ForeignKeyConstraint(['base_id'], ['training_bases.id'],
                                name=op.f('fk_training_base_tallies_base_id_training_bases'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('base_id', 'month', name=op.f('pk_training_base_tallies')),
    )
    # The tallies of the sessions already there (afterwards kept by the area's own writes of sessions and logs,
    # app/training_bases/tallies.py), months in the display time zone.
    tz = _tz()
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        bind.execute(sa.text("""
            INSERT INTO training_base_tallies (base_id, month, sessions, booked_seconds, logged_hours)
            SELECT s.base_id, CAST(date_trunc('month', s.starts_at AT TIME ZONE :tz) AS date), COUNT(*),
                   CAST(COALESCE(SUM(EXTRACT(EPOCH FROM (s.ends_at - s.starts_at))), 0) AS bigint),
                   COALESCE(SUM(l.actual_hours), 0)
            FROM training_sessions s LEFT JOIN session_logs l ON l.session_id = s.id
            GROUP BY 1, 2
        """), {"tz": tz})
        return
    # SQLite has no time zones: the sessions are grouped here by their local month.
    zone = ZoneInfo(tz)
    s = sa.table('training_sessions', sa.column('id', sa.Integer()), sa.column('base_id', sa.Integer()),
                 sa.column('starts_at', sa.DateTime()), sa.column('ends_at', sa.DateTime()))
    lg = sa.table('session_logs', sa.column('session_id', sa.Integer()),
                  sa.column('actual_hours', sa.Numeric(5, 2)))
    out = defaultdict(lambda: [0, 0, Decimal(0)])
    for base_id, starts, ends, hours in bind.execute(
            sa.select(s.c.base_id, s.c.starts_at, s.c.ends_at, lg.c.actual_hours)
            .select_from(s.outerjoin(lg, lg.c.session_id == s.c.id))):
        starts, ends = starts.replace(tzinfo=UTC), ends.replace(tzinfo=UTC)
        local = starts.astimezone(zone)
        row = out[(base_id, date(local.year, local.month, 1))]
        row[0] += 1
        row[1] += int((ends - starts).total_seconds())
        row[2] += Decimal(hours or 0)
    rows = [{"base_id": b, "month": m, "sessions": n, "booked_seconds": secs, "logged_hours": hours}
            for (b, m), (n, secs, hours) in sorted(out.items())]
    if rows:
        op.bulk_insert(tallies, rows)


def downgrade():
    op.drop_table('training_base_tallies')
