"""A summary kept on write: medals per year and unit (the unit's district and name beside them), for the officials'
medal tables.

The competitions tab reads at most one row per medalled unit of the year (a ranking index gives the first 20)
instead of looking up the contestant and the unit of every medalled result of the year on each view (1,402
results, 2,800 primary-key look-ups at 1,000,000 people). A row counts, per medal kind, the medalled results of
the year's *locked* events whose contestant is of that unit, exactly what the medal tables and their
medallists list show. The table is kept by the writes that change that, in their own transaction, as the other
tallies are (no global flush hook), each an atomic ``n = n + delta`` upsert (``app.core.tallies.add_to``):

- locking an event's results adds the event's medalled results, unlocking them takes them away again
  (``judging.services.lock_results`` / ``unlock_results``; the demo seeding locks through the service);
- moving a competition to another year moves its locked events' medals (``events.signals.year_changed``, sent
  by ``events.services.update_competition``);
- a unit's new district or name is copied to its rows (``app.core.signals.organisation_changed``, sent by
  ``people.services.update_organisation``).

A write around the services (raw SQL, a bulk load) must be followed by :func:`rebuild` (``flask competitions
rebuild-tallies``, which also ANALYZEs the table); migration 0026 builds the table from the results already
there. Rows whose counts went back to zero stay (the reads skip them).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.competitions.blueprint import bp
from app.competitions.events.models import Competition, Event, JudgingState
from app.competitions.events.signals import year_changed
from app.competitions.judging.models import Contestant, MedalKind, Result
from app.core import tallies
from app.core.models import NAME, Organisation
from app.core.signals import organisation_changed
from app.extensions import db

NO_DISTRICT = ""
#: The count column of each medal kind, in the medal tables' order.
COLUMNS: dict[MedalKind, str] = {MedalKind.GOLD: "gold", MedalKind.SILVER: "silver", MedalKind.BRONZE: "bronze",
                                 MedalKind.MERIT: "merit", MedalKind.MEDALLION: "medallion"}


class MedalTally(db.Model):
    __tablename__ = "medal_tallies"

    #: The competition's year.
    year: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    #: The contestant's unit (the entering unit).
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), primary_key=True)
    #: The unit's district value now, "" for a unit outside every district (kept on the unit's changes).
    district: Mapped[str] = mapped_column(sa.String(32))
    #: The unit's name now (the ranking's tie-break; kept on the unit's changes).
    name: Mapped[str] = mapped_column(NAME)
    gold: Mapped[int] = mapped_column(sa.Integer, default=0)
    silver: Mapped[int] = mapped_column(sa.Integer, default=0)
    bronze: Mapped[int] = mapped_column(sa.Integer, default=0)
    merit: Mapped[int] = mapped_column(sa.Integer, default=0)
    medallion: Mapped[int] = mapped_column(sa.Integer, default=0)

    __table_args__ = (sa.Index("ix_medal_tallies_year_district", "year", "district"),)


def counts_of(table: Any = None) -> list[Any]:
    """The count columns in the medal tables' order."""
    table = MedalTally.__table__ if table is None else table
    return [table.c[name] for name in COLUMNS.values()]


# The first units of a year in the medal tables' order, read from this index alone (the city's table).
sa.Index("ix_medal_tallies_ranking", MedalTally.year, *(c.desc() for c in counts_of()), MedalTally.name,
         MedalTally.unit_id)


def _by_unit(events: Any) -> sa.Select:
    """The medalled results of ``events`` (a condition on ``Result.event_id``) per unit and medal, with the
    unit's district and name."""
    return (sa.select(Contestant.unit_id, Organisation.district, Organisation.name, Result.medal, sa.func.count())
            .join(Contestant, Contestant.id == Result.contestant_id)
            .join(Organisation, Organisation.id == Contestant.unit_id)
            .where(events, Result.medal.is_not(None))
            .group_by(Contestant.unit_id, Organisation.district, Organisation.name, Result.medal))


def _add(rows: Iterable[Any], years: Iterable[tuple[int, int]]) -> None:
    """Add each (unit, district, name, medal, n) row × sign to its unit's row of each (year, sign)."""
    changes: dict[tuple[int, int], dict[str, Any]] = {}
    rows = list(rows)
    for year, sign in years:
        for unit_id, district, name, medal, n in rows:
            row = changes.setdefault((year, unit_id), {
                "labels": {"district": district.value if district is not None else NO_DISTRICT, "name": name},
                "amounts": dict.fromkeys(COLUMNS.values(), 0)})
            row["amounts"][COLUMNS[medal]] += sign * n
    connection = db.session.connection()
    for (year, unit_id), row in sorted(changes.items()):  # a fixed order: two writers lock rows alike
        if any(row["amounts"].values()):
            tallies.add_to(connection, MedalTally.__table__, {"year": year, "unit_id": unit_id}, row["amounts"],
                           row["labels"])


def count_event(event: Event, sign: int) -> None:
    """The event's medalled results counted in (``sign`` 1: its results were just locked, and written: they are
    flushed first) or out (-1: they are being unlocked).

    The year and the units' districts and names counted under are read under a shared row lock of the competition
    and of the units (PostgreSQL), so a year or district changed at the same moment (which takes those rows
    exclusively first, ``update_competition`` / ``update_organisation``) is either seen here or moves these medals
    itself once this commits: never neither."""
    db.session.flush()
    year = db.session.execute(sa.select(Competition.year).where(Competition.id == event.competition_id)
                              .with_for_update(read=True)).scalar_one()
    units = sa.select(Contestant.unit_id).where(Contestant.event_id == event.id)
    db.session.execute(sa.select(Organisation.id).where(Organisation.id.in_(units))
                       .order_by(Organisation.id).with_for_update(read=True)).all()
    _add(db.session.execute(_by_unit(Result.event_id == event.id)), [(year, sign)])


@year_changed.connect
def _on_year_changed(competition: Competition, *, before: int, after: int) -> None:
    """A competition moved to another year: its locked events' medals move with it."""
    locked = sa.select(Event.id).where(Event.competition_id == competition.id,
                                       Event.judging_state == JudgingState.LOCKED)
    _add(db.session.execute(_by_unit(Result.event_id.in_(locked))), [(before, -1), (after, 1)])


@organisation_changed.connect
def _on_organisation_changed(organisation: Organisation, **_before: object) -> None:
    """A unit's district or name changed: its rows show the new ones (the medal tables rank and scope by them)."""
    district = organisation.district.value if organisation.district is not None else NO_DISTRICT
    t = MedalTally.__table__
    db.session.execute(sa.update(t).where(t.c.unit_id == organisation.id,
                                          sa.or_(t.c.district != district, t.c.name != organisation.name))
                       .values(district=district, name=organisation.name))


# ---------------------------------------------------------------- rebuild

def recount_select() -> sa.Select:
    """Every year's medals per unit from the results of the locked events (the rebuild's rows)."""
    def of(medal: MedalKind) -> Any:
        return sa.func.coalesce(sa.func.sum(sa.case((Result.medal == medal, 1), else_=0)), 0)

    district = sa.type_coerce(sa.func.max(Organisation.district), sa.String(32))  # the value, "" for none
    return (sa.select(Competition.year, Contestant.unit_id, sa.func.coalesce(district, NO_DISTRICT),
                      sa.func.max(Organisation.name), *(of(m) for m in COLUMNS))
            .join(Contestant, Contestant.id == Result.contestant_id)
            .join(Event, Event.id == Result.event_id).join(Competition, Competition.id == Event.competition_id)
            .join(Organisation, Organisation.id == Contestant.unit_id)
            .where(Event.judging_state == JudgingState.LOCKED, Result.medal.is_not(None))
            .group_by(Competition.year, Contestant.unit_id))


def rebuild(connection: sa.Connection | None = None) -> None:
    """Recount the whole table from the results (after writes around the services): one ``INSERT … SELECT``."""
    if connection is None:
        db.session.flush()  # what the session changed is counted too
        connection = db.session.connection()
    table = MedalTally.__table__
    connection.execute(sa.delete(table))
    connection.execute(sa.insert(table).from_select(
        ["year", "unit_id", "district", "name", *COLUMNS.values()], recount_select()))


tallies.rebuild_command(bp, "medal_tallies", rebuild,
                        "Recount the medal tallies of the officials' medal tables (after bulk loads).",
                        "medal tallies rebuilt")
