"""A summary table maintained on write: entries holding a place, per event and per district of the entering unit.

The competitions dashboard's pyramid adds these up (a few thousand rows) instead of counting the year's
registrations (hundreds of thousands) on every view. The table is kept by subscribing to the competitions
area's ``places_changed`` signal (``app/competitions/registration/signals.py``), which every service that makes
an entry take or give back a place sends (form, Excel import, review, withdrawal, qualifiers), in the same
transaction as the registration write, with an atomic ``n = n + delta`` upsert. A unit moved to another district
(``app.core.signals.organisation_changed``, sent by ``people.services.update_organisation``) moves its entries
between the districts' rows. Deleting an event deletes its rows (foreign key).

A write around the services (raw SQL, a bulk load, a registration's unit changed by hand) must be followed by
``rebuild()`` (``flask supervision rebuild-tallies``); migration 0014 builds the table from the data present.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.competitions.events.models import Competition, CompetitionLevel, Event
from app.competitions.registration.models import ACTIVE_STATUSES, Registration
from app.competitions.registration.signals import places_changed
from app.competitions.stats import LevelCount
from app.core import tallies
from app.core.enums import District
from app.core.models import Organisation
from app.core.signals import organisation_changed
from app.extensions import db
from app.supervision import bp

NO_DISTRICT = ""


class RegistrationTally(db.Model):
    __tablename__ = "registration_tallies"

    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    #: The entering unit's district value, "" for a unit outside every district.
    district: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    entries: Mapped[int] = mapped_column(sa.Integer, default=0)

    # The city's pyramid adds up every district's row of the year's events: from this index alone (PostgreSQL's
    # index-only scan), not one heap page per row (migration 0027).
    __table_args__ = (sa.Index("ix_registration_tallies_event_entries", "event_id", "entries"),)


@places_changed.connect
def _on_places_changed(_sender: object, *, deltas: dict[tuple[int, int], int]) -> None:
    """Apply the competitions services' place changes in their own transaction."""
    _apply(db.session.connection(), deltas)


def _apply(connection: sa.Connection, deltas: dict[tuple[int, int], int]) -> None:
    units = {unit for _event, unit in deltas}
    # Under a shared row lock (PostgreSQL): a unit moved to another district at the same moment (which takes the
    # row exclusively first, people.services.update_organisation) is either seen here or moves these entries
    # itself once this commits.
    districts = {uid: (d.value if d is not None else NO_DISTRICT) for uid, d in connection.execute(
        sa.select(Organisation.id, Organisation.district).where(Organisation.id.in_(units))
        .order_by(Organisation.id).with_for_update(read=True))}
    by_key: dict[tuple[int, str], int] = {}
    for (event_id, unit_id), n in deltas.items():
        key = (event_id, districts.get(unit_id, NO_DISTRICT))
        by_key[key] = by_key.get(key, 0) + n
    for (event_id, district), n in sorted(by_key.items()):  # a fixed order: two writers lock rows alike
        tallies.add_to(connection, RegistrationTally.__table__, {"event_id": event_id, "district": district},
                       {"entries": n})


@organisation_changed.connect
def _on_organisation_changed(organisation: Organisation, *, district: District | None, **_before: object) -> None:
    """A unit moved to another district: its entries holding a place move between the districts' tallies, in the
    editing transaction. Its entries are found per event the old district has entries in (the registrations'
    (event, unit, status) index), not by reading every registration."""
    if organisation.district == district:
        return
    old = district.value if district is not None else NO_DISTRICT
    new = organisation.district.value if organisation.district is not None else NO_DISTRICT
    events = sa.select(RegistrationTally.event_id).where(RegistrationTally.district == old,
                                                         RegistrationTally.entries > 0)
    moved = db.session.execute(
        sa.select(Registration.event_id, sa.func.count()).where(
            Registration.event_id.in_(events), Registration.unit_id == organisation.id,
            Registration.status.in_(ACTIVE_STATUSES)).group_by(Registration.event_id)).all()
    connection = db.session.connection()
    for event_id, n in sorted(moved):  # a fixed order: two writers lock rows alike
        for where, delta in sorted(((old, -n), (new, n))):
            tallies.add_to(connection, RegistrationTally.__table__, {"event_id": event_id, "district": where},
                           {"entries": delta})


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


tallies.rebuild_command(bp, "registration_tallies", rebuild,
                        "Recount the registration tallies of the competitions dashboard (after bulk loads).",
                        "registration tallies rebuilt")


@lru_cache(maxsize=2)
def _pyramid_statement(city: bool) -> sa.Select[Any]:
    """The pyramid's grouped query, built once per process (``year`` and ``district`` bound parameters)."""
    tally = RegistrationTally
    stmt = sa.select(Competition.level, sa.func.count(sa.distinct(Competition.id)),
                     sa.func.count(sa.distinct(Event.id)), sa.func.coalesce(sa.func.sum(tally.entries), 0))
    if city:
        stmt = (stmt.select_from(Competition).outerjoin(Event, Event.competition_id == Competition.id)
                .outerjoin(tally, tally.event_id == Event.id))
    else:
        stmt = (stmt.select_from(tally).join(Event, Event.id == tally.event_id)
                .join(Competition, Competition.id == Event.competition_id)
                .where(tally.district == sa.bindparam("district"), tally.entries > 0))
    return stmt.where(Competition.year == sa.bindparam("year")).group_by(Competition.level)


def pyramid(year: int, district: Any) -> list[Any]:
    """Competitions, events and entries per level for the year (city-wide: every competition and event, with or
    without entries; for a district: those its units entered), from the tallies: one grouped query."""
    found = db.session.execute(_pyramid_statement(district is None),
                               {"year": year, "district": district.value if district is not None else None})
    rows = {lv: (c, e, int(n)) for lv, c, e, n in found}
    return [LevelCount(lv, *rows.get(lv, (0, 0, 0))) for lv in CompetitionLevel]
