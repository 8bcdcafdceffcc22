"""Factories for the competition area (inside an app context)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from app.competitions.models import Competition, CompetitionClass, CompetitionLevel, Event, Locality, Registration
from app.core.enums import District
from app.core.models import Organisation
from app.core.types import utcnow
from app.extensions import db
from tests import factories


def competition(organiser: Organisation | None = None, level: CompetitionLevel = CompetitionLevel.MUNICIPAL,
                year: int = 2026, host: District | None = None, name: str = "测试大赛") -> Competition:
    row = Competition(name=name, level=level, klass=CompetitionClass.NONE,
                      organiser=organiser or factories.municipal_bureau(), year=year, host_district=host)
    db.session.add(row)
    db.session.commit()
    return row


def event(comp: Competition | None = None, name: str = "数控车", opens: datetime | None = None,
          closes: datetime | None = None, starts: date = date(2027, 1, 10), days: int = 3, **rules) -> Event:
    factories.occupation()
    now = utcnow()
    row = Event(competition=comp or competition(), name=name, occupation_code="6-18-01-01", starts_on=starts,
                ends_on=starts + timedelta(days=days - 1),
                registration_opens_at=opens or now - timedelta(days=1),
                registration_closes_at=closes or now + timedelta(days=10), **rules)
    row.locality = rules.get("locality", Locality.ANY)
    db.session.add(row)
    db.session.commit()
    return row


def registration(ev: Event, person, unit: Organisation, **fields) -> Registration:
    row = Registration(event_id=ev.id, person_id=person.id, unit_id=unit.id, **fields)
    db.session.add(row)
    db.session.commit()
    return row


