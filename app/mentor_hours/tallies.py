"""A summary kept on write: approved 带徒 hours, allowances and mentor-apprentice months per month and district.

The officials' mentor-hours tab adds up at most 12 × 16 of these rows instead of the year's approved month sheets
(hundreds of thousands at full scale), so its cost does not grow with the data. The services that change an
approved sheet — approving a month, reopening one, and the allowance re-computation both do for the mentor's
other sheets of that month — call :func:`approved_totals` before and after the change and :func:`apply` with the
difference, in the same transaction, as an atomic ``x = x + delta`` upsert (two approvals at once add up).

A write around the services (raw SQL, a bulk load) must be followed by :func:`rebuild`
(``flask mentor_hours rebuild-tallies``); migration 0024 builds the table from the sheets already there.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.core import tallies
from app.core.enums import District
from app.core.types import enum_type
from app.extensions import db
from app.mentor_hours.models import HourMonth, MonthStatus

#: (hours, allowance, sheets) of the approved sheets of one district.
Totals = dict[District, tuple[Decimal, Decimal, int]]


class MentorHourTally(db.Model):
    __tablename__ = "mentor_hour_tallies"

    month: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    district: Mapped[District] = mapped_column(enum_type(District), primary_key=True)
    hours: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2), default=Decimal(0))
    allowance: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2), default=Decimal(0))
    #: Approved mentor-apprentice months (带徒人月).
    sheets: Mapped[int] = mapped_column(sa.Integer, default=0)


def approved_totals(mentor_id: int, enterprise_id: int, month: date) -> Totals:
    """What the approved sheets of one mentor at one enterprise in one month add up to, per district (the sheets
    an approval or a reopening changes: the one sheet and the allowance shares of the others)."""
    rows = db.session.execute(
        sa.select(HourMonth.district, sa.func.coalesce(sa.func.sum(HourMonth.hours), 0),
                  sa.func.coalesce(sa.func.sum(HourMonth.allowance), 0), sa.func.count())
        .where(HourMonth.mentor_id == mentor_id, HourMonth.enterprise_id == enterprise_id,
               HourMonth.month == month, HourMonth.status == MonthStatus.APPROVED)
        .group_by(HourMonth.district))
    return {district: (Decimal(hours), Decimal(allowance), int(n)) for district, hours, allowance, n in rows}


def apply(month: date, before: Totals, after: Totals) -> None:
    """Add the difference between two :func:`approved_totals` of the same month to the tallies."""
    table = MentorHourTally.__table__
    connection = db.session.connection()
    zero = (Decimal(0), Decimal(0), 0)
    for district in sorted(set(before) | set(after), key=lambda d: d.value):  # a fixed order: writers lock alike
        old, new = before.get(district, zero), after.get(district, zero)
        delta = (new[0] - old[0], new[1] - old[1], new[2] - old[2])
        if not any(delta):
            continue
        tallies.add_to(connection, table, {"month": month, "district": district},
                       {"hours": delta[0], "allowance": delta[1], "sheets": delta[2]})


REBUILD_SQL = """
    INSERT INTO mentor_hour_tallies (month, district, hours, allowance, sheets)
    SELECT month, district, COALESCE(SUM(hours), 0), COALESCE(SUM(allowance), 0), COUNT(*)
    FROM mentor_hour_months WHERE status = 'approved'
    GROUP BY month, district
"""


def rebuild(connection: sa.Connection | None = None) -> None:
    """Recount the whole table from the month sheets (after writes around the services)."""
    connection = connection or db.session.connection()
    connection.execute(sa.delete(MentorHourTally.__table__))
    connection.execute(sa.text(REBUILD_SQL))


def by_month(year: int, district: District | None) -> dict[date, tuple[Any, Any, Any]]:
    """Approved hours, allowances and sheets per month of ``year`` (city or one district): at most 192 rows."""
    t = MentorHourTally
    stmt = (sa.select(t.month, sa.func.sum(t.hours), sa.func.sum(t.allowance), sa.func.sum(t.sheets))
            .where(t.month >= date(year, 1, 1), t.month <= date(year, 12, 1)).group_by(t.month))
    if district is not None:
        stmt = stmt.where(t.district == district)
    return {m: (h, a, n) for m, h, a, n in db.session.execute(stmt)}


def sheets(year: int, month: int | None, district: District | None) -> int:
    """How many approved sheets a month (or the year, without ``month``) has: the drill-down list's total."""
    t = MentorHourTally
    stmt = sa.select(sa.func.coalesce(sa.func.sum(t.sheets), 0))
    stmt = stmt.where(t.month == date(year, month, 1)) if month else stmt.where(
        t.month >= date(year, 1, 1), t.month <= date(year, 12, 1))
    if district is not None:
        stmt = stmt.where(t.district == district)
    return int(db.session.scalar(stmt) or 0)
