"""A summary kept on write: sessions, booked seconds and logged hours per training base and (local) month.

The officials' training-base tab adds up at most 12 rows per base instead of joining the year's sessions with
their logs (≈9,000 sessions and as many logs for a busy base, a hash join over every log on each view). The
table is kept by the area's own writes, as the other tallies are (no global flush hook): every service that books,
moves or cancels a training session, or writes or corrects a session log (and the demo seeding), adds what it
changed through :class:`Changes`, in the same transaction, as an atomic ``n = n + delta`` upsert (two writers at
once add up). Deleting a base deletes its rows (foreign key).

A write around the services (raw SQL, a bulk load, a cascade in the database) must be followed by :func:`rebuild`
(``flask training_bases rebuild-tallies``, which also ANALYZEs the table); migration 0025 builds the table from
the sessions already there. Months are the display time zone's (``TZ``), as the tab's year is.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column

from app.core import tallies
from app.extensions import db
from app.training_bases.models import SessionLog, TrainingSession

#: (sessions, booked seconds, logged hours) of one (base, month).
Delta = tuple[int, int, Decimal]
ZERO = Decimal("0")


class TrainingBaseTally(db.Model):
    __tablename__ = "training_base_tallies"

    base_id: Mapped[int] = mapped_column(sa.ForeignKey("training_bases.id", ondelete="CASCADE"), primary_key=True)
    #: The first day of the month the sessions start in (display time zone).
    month: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    sessions: Mapped[int] = mapped_column(sa.Integer, default=0)
    #: Booked time in seconds (exact: hours as a decimal would round per session).
    booked_seconds: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    logged_hours: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2), default=ZERO)


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TZ"])


def month_of(at: datetime, zone: ZoneInfo) -> date:
    local = at.astimezone(zone)
    return date(local.year, local.month, 1)


def _seconds(starts: datetime, ends: datetime) -> int:
    return int((ends - starts).total_seconds())


class Changes:
    """What one write adds to the tallies, per (base, month); :meth:`apply` writes it in the caller's
    transaction. A log counts in its session's month."""

    def __init__(self) -> None:
        self.zone = _zone()
        self.rows: dict[tuple[int, date], list[Any]] = defaultdict(lambda: [0, 0, ZERO])

    def _add(self, base_id: int, starts: datetime, n: int, seconds: int, hours: Decimal) -> None:
        row = self.rows[(base_id, month_of(starts, self.zone))]
        row[0] += n
        row[1] += seconds
        row[2] += hours

    def session(self, base_id: int, starts: datetime, ends: datetime, sign: int = 1,
                logged: Decimal = ZERO) -> Changes:
        """A session booked (``sign`` 1) or gone (-1), with the hours of its log if it had one."""
        self._add(base_id, starts, sign, sign * _seconds(starts, ends), sign * logged)
        return self

    def log(self, base_id: int, starts: datetime, hours: Decimal) -> Changes:
        """A log written (its hours), corrected (the difference) or deleted (minus its hours)."""
        self._add(base_id, starts, 0, 0, hours)
        return self

    def apply(self, connection: sa.Connection | None = None) -> None:
        """Add the changes to the tallies: one atomic upsert per (base, month), in a fixed order (two writers
        lock the rows alike)."""
        rows = {key: row for key, row in self.rows.items() if any(row)}
        if not rows:
            return
        connection = connection or db.session.connection()
        for (base_id, month), (n, seconds, hours) in sorted(rows.items()):
            tallies.add_to(connection, TrainingBaseTally.__table__, {"base_id": base_id, "month": month},
                           {"sessions": n, "booked_seconds": seconds, "logged_hours": hours})


# ---------------------------------------------------------------- rebuild

REBUILD_PG = """
    INSERT INTO training_base_tallies (base_id, month, sessions, booked_seconds, logged_hours)
    SELECT s.base_id, CAST(date_trunc('month', s.starts_at AT TIME ZONE :tz) AS date), COUNT(*),
           CAST(COALESCE(SUM(EXTRACT(EPOCH FROM (s.ends_at - s.starts_at))), 0) AS bigint),
           COALESCE(SUM(l.actual_hours), 0)
    FROM training_sessions s LEFT JOIN session_logs l ON l.session_id = s.id
    GROUP BY 1, 2
"""


def recount(connection: sa.Connection, tz: str) -> dict[tuple[int, date], Delta]:
    """The tallies computed from the sessions and logs (the rebuild's rows; the tests' reference)."""
    zone = ZoneInfo(tz)
    s, lg = TrainingSession.__table__, SessionLog.__table__
    out: dict[tuple[int, date], list[Any]] = defaultdict(lambda: [0, 0, ZERO])
    rows = connection.execute(sa.select(s.c.base_id, s.c.starts_at, s.c.ends_at, lg.c.actual_hours)
                              .select_from(s.outerjoin(lg, lg.c.session_id == s.c.id)))
    for base_id, starts, ends, hours in rows:
        starts, ends = (v if v.tzinfo else v.replace(tzinfo=UTC) for v in (starts, ends))
        row = out[(base_id, month_of(starts, zone))]
        row[0] += 1
        row[1] += _seconds(starts, ends)
        row[2] += Decimal(hours or 0)
    return {key: (n, secs, Decimal(hours)) for key, (n, secs, hours) in out.items()}


def rebuild(connection: sa.Connection | None = None, tz: str | None = None) -> None:
    """Recount the whole table from the sessions and their logs (after writes around the ORM): one grouped
    ``INSERT … SELECT`` on PostgreSQL (months by ``AT TIME ZONE``); on SQLite, which has no time zones, the
    sessions are grouped here by their local month."""
    connection = connection or db.session.connection()
    tz = tz or current_app.config["TZ"]
    table = TrainingBaseTally.__table__
    connection.execute(sa.delete(table))
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text(REBUILD_PG), {"tz": tz})
        return
    rows = [{"base_id": b, "month": m, "sessions": n, "booked_seconds": secs, "logged_hours": hours}
            for (b, m), (n, secs, hours) in sorted(recount(connection, tz).items())]
    if rows:
        connection.execute(sa.insert(table), rows)


def by_base(base_ids: Any, year: int) -> dict[int, tuple[int, Decimal, Decimal]]:
    """Sessions, booked hours and logged hours of the year per base (``base_ids``: a subquery or a list): at
    most 12 rows per base, however many sessions."""
    t = TrainingBaseTally
    stmt = (sa.select(t.base_id, sa.func.sum(t.sessions), sa.func.sum(t.booked_seconds), sa.func.sum(t.logged_hours))
            .where(t.base_id.in_(base_ids), t.month >= date(year, 1, 1), t.month <= date(year, 12, 1))
            .group_by(t.base_id))
    return {bid: (int(n or 0), Decimal(int(secs or 0)) / 3600, Decimal(hours or 0))
            for bid, n, secs, hours in db.session.execute(stmt)}
