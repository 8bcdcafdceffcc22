"""A summary table maintained on write: entries holding a place, per event and per district of the entering unit.

The competitions dashboard's pyramid adds these up (a few thousand rows) instead of counting the year's
registrations (hundreds of thousands) on every view. The table is kept by a session ``after_flush`` hook, in the
same transaction as the registration write, with an atomic ``n = n + delta`` upsert — whatever service wrote
the registration (form, Excel import, review, withdrawal). Deleting an event deletes its rows (foreign key).

A write around the ORM (raw SQL, a bulk load, moving a unit to another district) must be followed by
``rebuild()`` (``flask supervision rebuild-tallies``); migration 0014 builds the table from the data present.
"""

from __future__ import annotations

from typing import Any

import click
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.extensions import db
from app.supervision import bp

NO_DISTRICT = ""


class RegistrationTally(db.Model):
    __tablename__ = "registration_tallies"

    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    #: The entering unit's district value, "" for a unit outside every district.
    district: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    entries: Mapped[int] = mapped_column(sa.Integer, default=0)


def _active(status: Any) -> bool:
    from app.competitions.models import ACTIVE_STATUSES, RegistrationStatus

    return (status or RegistrationStatus.SUBMITTED) in ACTIVE_STATUSES


def _old(state: Any, name: str) -> Any:
    history = state.attrs[name].history
    if history.deleted:
        return history.deleted[0]
    return history.unchanged[0] if history.unchanged else getattr(state.object, name)


@sa.event.listens_for(Session, "after_flush")
def _tally(session: Session, _context: Any) -> None:
    from app.competitions.models import Registration

    deltas: dict[tuple[int, int], int] = {}

    def add(event_id: int | None, unit_id: int | None, n: int) -> None:
        if event_id is not None and unit_id is not None:
            deltas[(event_id, unit_id)] = deltas.get((event_id, unit_id), 0) + n

    for obj in session.new:
        if isinstance(obj, Registration) and _active(obj.status):
            add(obj.event_id, obj.unit_id, 1)
    for obj in session.deleted:
        if isinstance(obj, Registration):
            state = sa.inspect(obj)
            if _active(_old(state, "status")):
                add(_old(state, "event_id"), _old(state, "unit_id"), -1)
    for obj in session.dirty:
        if isinstance(obj, Registration) and obj not in session.new:
            state = sa.inspect(obj)
            if not any(state.attrs[name].history.has_changes() for name in ("status", "unit_id", "event_id")):
                continue
            if _active(_old(state, "status")):
                add(_old(state, "event_id"), _old(state, "unit_id"), -1)
            if _active(obj.status):
                add(obj.event_id, obj.unit_id, 1)
    deltas = {key: n for key, n in deltas.items() if n}
    if deltas:
        _apply(session.connection(), deltas)


def _apply(connection: sa.Connection, deltas: dict[tuple[int, int], int]) -> None:
    from app.core.models import Organisation

    units = {unit for _event, unit in deltas}
    districts = {uid: (d.value if d is not None else NO_DISTRICT) for uid, d in connection.execute(
        sa.select(Organisation.id, Organisation.district).where(Organisation.id.in_(units)))}
    by_key: dict[tuple[int, str], int] = {}
    for (event_id, unit_id), n in deltas.items():
        key = (event_id, districts.get(unit_id, NO_DISTRICT))
        by_key[key] = by_key.get(key, 0) + n
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = RegistrationTally.__table__
    for (event_id, district), n in sorted(by_key.items()):  # a fixed order: two writers lock rows alike
        stmt = insert(table).values(event_id=event_id, district=district, entries=n)
        connection.execute(stmt.on_conflict_do_update(
            index_elements=[table.c.event_id, table.c.district],
            set_={"entries": table.c.entries + stmt.excluded.entries}))


REBUILD_SQL = """
    INSERT INTO registration_tallies (event_id, district, entries)
    SELECT r.event_id, COALESCE(o.district, ''), COUNT(*)
    FROM registrations r JOIN organisations o ON o.id = r.unit_id
    WHERE r.status IN ('submitted', 'approved', 'changes_requested')
    GROUP BY r.event_id, COALESCE(o.district, '')
"""


def rebuild(connection: sa.Connection | None = None) -> None:
    """Recount the whole table from the registrations (after writes around the ORM)."""
    connection = connection or db.session.connection()
    connection.execute(sa.delete(RegistrationTally.__table__))
    connection.execute(sa.text(REBUILD_SQL))


@bp.cli.command("rebuild-tallies")
def rebuild_command() -> None:
    """Recount the registration tallies of the competitions dashboard (after bulk loads)."""
    from app.core.statistics import analyze

    rebuild()
    db.session.commit()
    analyze("registration_tallies")  # the whole table was rewritten
    click.echo("registration tallies rebuilt")


def pyramid(year: int, district: Any) -> list[Any]:
    """Competitions, events and entries per level for the year (city-wide: every competition and event, with or
    without entries; for a district: those its units entered), from the tallies: one grouped query."""
    from app.competitions.models import Competition, CompetitionLevel, Event
    from app.competitions.stats import LevelCount

    tally = RegistrationTally
    stmt = sa.select(Competition.level, sa.func.count(sa.distinct(Competition.id)),
                     sa.func.count(sa.distinct(Event.id)), sa.func.coalesce(sa.func.sum(tally.entries), 0))
    if district is None:
        stmt = (stmt.select_from(Competition).outerjoin(Event, Event.competition_id == Competition.id)
                .outerjoin(tally, tally.event_id == Event.id))
    else:
        stmt = (stmt.select_from(tally).join(Event, Event.id == tally.event_id)
                .join(Competition, Competition.id == Event.competition_id)
                .where(tally.district == district.value, tally.entries > 0))
    rows = {lv: (c, e, int(n)) for lv, c, e, n in db.session.execute(
        stmt.where(Competition.year == year).group_by(Competition.level))}
    return [LevelCount(lv, *rows.get(lv, (0, 0, 0))) for lv in CompetitionLevel]
