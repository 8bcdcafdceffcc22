"""A summary kept on write: sessions, booked seconds and logged hours per training base and (local) month.

The officials' training-base tab adds up at most 12 rows per base instead of joining the year's sessions with
their logs (≈9,000 sessions and as many logs for a busy base, a hash join over every log on each view). The
table is kept by a ``before_flush`` listener on every ORM session: whatever flush adds, moves or deletes a
training session, or writes, corrects or deletes a session log (the services, the demo seeding, anything else
through the ORM) also applies its difference, in the same transaction, as an atomic ``n = n + delta`` upsert
(two writers at once add up). Deleting a base deletes its rows (foreign key).

A write around the ORM (raw SQL, a bulk load, a cascade in the database) must be followed by :func:`rebuild`
(``flask training_bases rebuild-tallies``, which also ANALYZEs the table); migration 0025 builds the table from
the sessions already there. Months are the display time zone's (``TZ``), as the tab's year is.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import click
import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.core.statistics import analyze
from app.extensions import db
from app.training_bases import bp
from app.training_bases.models import SessionLog, TrainingSession

#: (sessions, booked seconds, logged hours) added to one (base, month).
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


def _old(obj: Any, name: str) -> Any:
    """The attribute's value as loaded from the database (before this flush's change)."""
    history = sa.inspect(obj).attrs[name].history
    if history.deleted:
        return history.deleted[0]
    return history.unchanged[0] if history.unchanged else getattr(obj, name)


def _stored_log_hours(session: Session, session_ids: list[int]) -> dict[int, Decimal]:
    if not session_ids:
        return {}
    return {sid: Decimal(h) for sid, h in session.connection().execute(
        sa.select(SessionLog.session_id, SessionLog.actual_hours).where(SessionLog.session_id.in_(session_ids)))}


def deltas(session: Session) -> dict[tuple[int, date], Delta]:
    """What this flush changes, per (base, month): new, moved and deleted sessions, new, corrected and deleted
    logs (a log counts in its session's month)."""
    zone = _zone()
    out: dict[tuple[int, date], list[Any]] = defaultdict(lambda: [0, 0, ZERO])

    def add(base_id: int, starts: datetime, n: int, seconds: int, hours: Decimal) -> None:
        row = out[(base_id, month_of(starts, zone))]
        row[0] += n
        row[1] += seconds
        row[2] += hours

    deleted_sessions = [o for o in session.deleted if isinstance(o, TrainingSession)]
    moved = [o for o in session.dirty if isinstance(o, TrainingSession) and session.is_modified(o)
             and any(sa.inspect(o).attrs[a].history.has_changes() for a in ("base_id", "starts_at", "ends_at"))]
    stored = _stored_log_hours(session, [o.id for o in deleted_sessions + moved])
    for s in session.new:
        if isinstance(s, TrainingSession):
            add(s.base_id, s.starts_at, 1, _seconds(s.starts_at, s.ends_at), ZERO)
    for s in deleted_sessions:  # the database deletes its log with it (its hours go too)
        add(_old(s, "base_id"), _old(s, "starts_at"), -1, -_seconds(_old(s, "starts_at"), _old(s, "ends_at")),
            -stored.get(s.id, ZERO))
    for s in moved:  # the stored log's hours move with the session; a change to the log itself is added below
        hours = stored.get(s.id, ZERO)
        add(_old(s, "base_id"), _old(s, "starts_at"), -1, -_seconds(_old(s, "starts_at"), _old(s, "ends_at")),
            -hours)
        add(s.base_id, s.starts_at, 1, _seconds(s.starts_at, s.ends_at), hours)
    gone = {s.id for s in deleted_sessions}
    logs: list[tuple[SessionLog, Decimal]] = []
    for log in session.new:
        if isinstance(log, SessionLog):
            logs.append((log, Decimal(log.actual_hours or 0)))
    for log in session.deleted:
        if isinstance(log, SessionLog) and log.session_id not in gone:
            logs.append((log, -Decimal(_old(log, "actual_hours") or 0)))
    for log in session.dirty:
        if isinstance(log, SessionLog) and sa.inspect(log).attrs["actual_hours"].history.has_changes():
            change = Decimal(log.actual_hours or 0) - Decimal(_old(log, "actual_hours") or 0)
            if change:
                logs.append((log, change))
    for log, hours in logs:
        owner = session.get(TrainingSession, log.session_id) if log.session is None else log.session
        if owner is not None:
            add(owner.base_id, owner.starts_at, 0, 0, hours)
    return {key: (n, secs, hours) for key, (n, secs, hours) in out.items() if n or secs or hours}


def apply(connection: sa.Connection, changes: dict[tuple[int, date], Delta]) -> None:
    """Add ``changes`` to the tallies: one atomic upsert per (base, month), in a fixed order (two writers lock
    the rows alike)."""
    if connection.dialect.name == "postgresql":
        # the dialect in use picks its upsert; the other dialect's module (PostgreSQL's ~2.4 MB) is never loaded
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]  # same API, its own class
    table = TrainingBaseTally.__table__
    for (base_id, month), (n, seconds, hours) in sorted(changes.items()):
        stmt = insert(table).values(base_id=base_id, month=month, sessions=n, booked_seconds=seconds,
                                    logged_hours=hours)
        connection.execute(stmt.on_conflict_do_update(
            index_elements=[table.c.base_id, table.c.month],
            set_={"sessions": table.c.sessions + stmt.excluded.sessions,
                  "booked_seconds": table.c.booked_seconds + stmt.excluded.booked_seconds,
                  "logged_hours": table.c.logged_hours + stmt.excluded.logged_hours}))


@event.listens_for(Session, "before_flush")
def _on_flush(session: Session, _context: Any, _instances: Any) -> None:
    touched = (TrainingSession, SessionLog)
    if not any(isinstance(o, touched) for group in (session.new, session.dirty, session.deleted) for o in group):
        return
    changes = deltas(session)
    if changes:
        apply(session.connection(), changes)


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


@bp.cli.command("rebuild-tallies")
def rebuild_command() -> None:
    """Recount the training-base tallies of the officials' tab (after bulk loads), then ANALYZE them."""
    rebuild()
    db.session.commit()
    analyze("training_base_tallies")  # the whole table was rewritten
    click.echo("training-base tallies rebuilt")


def by_base(base_ids: Any, year: int) -> dict[int, tuple[int, Decimal, Decimal]]:
    """Sessions, booked hours and logged hours of the year per base (``base_ids``: a subquery or a list): at
    most 12 rows per base, however many sessions."""
    t = TrainingBaseTally
    stmt = (sa.select(t.base_id, sa.func.sum(t.sessions), sa.func.sum(t.booked_seconds), sa.func.sum(t.logged_hours))
            .where(t.base_id.in_(base_ids), t.month >= date(year, 1, 1), t.month <= date(year, 12, 1))
            .group_by(t.base_id))
    return {bid: (int(n or 0), Decimal(int(secs or 0)) / 3600, Decimal(hours or 0))
            for bid, n, secs, hours in db.session.execute(stmt)}
