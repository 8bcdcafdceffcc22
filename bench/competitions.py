"""Competition cases: the entrant list of one event with 10,000 registrations (issue: competitions).

The event and its entrants are made on first use (copied in at once, idempotent): the first 10,000 people
(or all, at a smaller scale) are entered by their employers, a quarter of them already approved.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from app.competitions.events.models import Competition, CompetitionClass, CompetitionLevel, Event
from app.competitions.registration.models import Registration, RegistrationStatus
from app.core.models import Organisation, Person
from app.core.pagination import encode_cursor
from app.extensions import db
from bench.cases import BenchContext, page
from bench.database import bulk_insert, mark_loaded

ENTRANTS = 10_000
COMPETITION = "基准测试：上海市职业技能大赛"
ROW = 'id="registration-'


def bench_event(ctx: BenchContext) -> int:
    """The id of the benchmark event, filling it with entrants the first time."""
    with ctx.app.app_context():
        event_id = db.session.scalar(sa.select(Event.id).join(Event.competition)
                                     .where(Competition.name == COMPETITION))
        if event_id is None:
            event_id = _make_event()
        have = db.session.scalar(sa.select(sa.func.count()).select_from(Registration)
                                 .where(Registration.event_id == event_id))
        if have == 0:
            _enter_people(event_id)
        return event_id


def _make_event() -> int:
    organiser = db.session.scalar(sa.select(Organisation.id).where(Organisation.kind == "municipal_bureau"))
    competition = Competition(name=COMPETITION, level=CompetitionLevel.MUNICIPAL, klass=CompetitionClass.CLASS_1,
                              organiser_id=organiser, year=2026)
    now = datetime.now(UTC)
    event = Event(competition=competition, name="数控车（基准）", occupation_code="6-18-01-01",
                  starts_on=date(2027, 6, 1), ends_on=date(2027, 6, 3), registration_opens_at=now - timedelta(days=30),
                  registration_closes_at=now + timedelta(days=30), quota_per_unit=ENTRANTS)
    db.session.add(event)
    db.session.commit()
    return event.id


def _enter_people(event_id: int) -> None:
    people = db.session.execute(sa.select(Person.id, Person.employer_id).where(Person.employer_id.is_not(None))
                                .order_by(Person.id).limit(ENTRANTS)).all()
    statuses = [RegistrationStatus.APPROVED, RegistrationStatus.SUBMITTED, RegistrationStatus.SUBMITTED,
                RegistrationStatus.SUBMITTED]
    now = datetime.now(UTC)
    bulk_insert("registrations", ("event_id", "person_id", "unit_id", "status", "reason", "created_at"),
                [(event_id, p.id, p.employer_id, statuses[i % 4].value, "", now) for i, p in enumerate(people)])
    db.session.commit()
    mark_loaded()


def registrations_url(ctx: BenchContext, **args: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return f"/competitions/events/{bench_event(ctx)}" + (f"?{query}" if query else "")


@page("registrations_first_page", expect=ROW, list_page=True)
def registrations_first_page(ctx: BenchContext) -> str:
    return registrations_url(ctx)


@page("registrations_deep_page", expect=ROW)
def registrations_deep_page(ctx: BenchContext) -> str:
    """The page after the entrant 5,000 rows deep."""
    event_id = bench_event(ctx)
    last = ctx.scalar("SELECT id FROM registrations WHERE event_id = :e ORDER BY id LIMIT 1 OFFSET 4999", e=event_id)
    return registrations_url(ctx, after=encode_cursor([last]))


@page("registrations_filter_status", expect=ROW)
def registrations_filter_status(ctx: BenchContext) -> str:
    return registrations_url(ctx, status="approved")
