"""Training-base cases (issue: training bases): one busy base with five years of sessions.

Made on first use (idempotent; the sessions copied in at once — ``COPY`` on PostgreSQL, one ``executemany`` on
SQLite —, everything they bring ``INSERT … SELECT``, then the training-base tallies rebuilt from them):
9 facilities, 9 coaches and 180 athletes in 9 squads of 20; every day each squad trains three times (08:30,
13:30, 18:30, three hours) with its coach in its facility, so ≈49,000 sessions and ≈990,000 athlete places over
five years up to today; every session is logged (≈990,000 attendance rows) and every fifth one has a mock-test
score per athlete.
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app.core.models import Organisation, Person, User
from app.extensions import db
from app.training_bases import rules, services, tallies
from app.training_bases.models import (
    BaseMember,
    CampModule,
    Designation,
    Facility,
    FacilityKind,
    MemberRole,
    TrainingBase,
    TrainingCamp,
    TrainingSession,
    base_skills,
    camp_athletes,
    session_athletes,
)
from bench.cases import BenchContext, page, timed
from bench.database import bulk_insert, bulk_load, mark_loaded

BASE = "基准测试：集训基地"
SQUADS = 9
SQUAD_SIZE = 20
YEARS = 5
SLOTS = (time(8, 30), time(13, 30), time(18, 30))
SHANGHAI = ZoneInfo("Asia/Shanghai")
EVENT = '"id"'


def _today() -> date:
    return datetime.now(SHANGHAI).date()


def bench_base(ctx: BenchContext) -> int:
    with ctx.app.app_context():
        base_id = db.session.scalar(sa.select(TrainingBase.id).where(TrainingBase.name == BASE))
        if base_id is None:
            base_id = _fill()
        return base_id


def _fill() -> int:
    print("filling the training-base bench data (once)…", file=sys.stderr, flush=True)
    host = db.session.scalar(sa.select(Organisation).where(Organisation.kind == "technician_college")
                             .order_by(Organisation.id))
    base = TrainingBase(organisation_id=host.id, name=BASE, designation=Designation.WORLDSKILLS_NATIONAL,
                        designated_from=_today() - timedelta(days=366 * YEARS))
    db.session.add(base)
    db.session.flush()
    db.session.execute(sa.insert(base_skills), [{"base_id": base.id, "occupation_code": "6-18-01-01"}])
    people = list(db.session.scalars(sa.select(Person.id).order_by(Person.id).limit(SQUADS * (SQUAD_SIZE + 1))))
    coaches, athletes = people[:SQUADS], people[SQUADS:]
    db.session.add_all([BaseMember(base_id=base.id, person_id=c, role=MemberRole.COACH) for c in coaches])
    facilities = []
    for i in range(SQUADS):
        facility = Facility(base_id=base.id, name=f"基准车间{i + 1}", kind=FacilityKind.WORKSHOP, capacity=SQUAD_SIZE)
        db.session.add(facility)
        facilities.append(facility)
    first_day = _today() - timedelta(days=365 * YEARS)
    camp = TrainingCamp(base_id=base.id, name="基准集训", occupation_code="6-18-01-01", starts_on=first_day,
                        ends_on=_today() + timedelta(days=60))
    camp.modules = [CampModule(position=i, name=f"模块{c}", criterion_code=c) for i, c in enumerate("ABCD")]
    db.session.add(camp)
    db.session.flush()
    db.session.execute(sa.insert(camp_athletes), [{"camp_id": camp.id, "person_id": p} for p in athletes])
    module_ids = [m.id for m in camp.modules]
    now = datetime.now(UTC)
    sessions, n, day = [], 0, first_day
    while day < _today():  # ≈49,000 sessions: made here (their local times), copied in at once
        for slot in SLOTS:
            starts, ends = rules.local_interval(day, slot, time(slot.hour + 3, slot.minute), SHANGHAI)
            for squad in range(SQUADS):
                sessions.append((camp.id, base.id, facilities[squad].id, coaches[squad], module_ids[n % 4],
                                 "基准训练", starts, ends, now))
                n += 1
        day += timedelta(days=1)
    # Each squad trains in its own facility: the squads' athletes (with their place in the squad), as a CTE.
    squads = ", ".join(f"({facilities[i // SQUAD_SIZE].id}, {person}, {i % SQUAD_SIZE})"
                       for i, person in enumerate(athletes))
    with bulk_load("training_sessions", "session_athletes", "session_logs", "session_attendance", "session_scores",
                   "training_base_tallies"):
        bulk_insert("training_sessions", SESSION_COLUMNS, sessions)
        for statement in _derived_rows(squads):
            db.session.execute(sa.text(statement), {"base": base.id})
        tallies.rebuild()  # the sessions and logs were written around the ORM: the officials' tab reads the tallies
    db.session.commit()
    mark_loaded()
    print(f"  {n} sessions", file=sys.stderr, flush=True)
    return base.id


SESSION_COLUMNS = ("camp_id", "base_id", "facility_id", "coach_id", "module_id", "title", "starts_at", "ends_at",
                   "created_at")


def _derived_rows(squads: str) -> list[str]:
    """The rows every session brings, set-based (≈2,200,000 at five years): its 20 athletes, its log (logged
    at its end), a 'present' mark per athlete, and on every fifth session (in id order) a mock-test score per
    athlete, 60 + (session number + place in the squad) mod 40, on criterion A-D by session number."""
    squad = f"WITH squad(facility_id, person_id, place) AS (VALUES {squads}) "
    numbered = ("numbered AS (SELECT id, facility_id, ROW_NUMBER() OVER (ORDER BY id) - 1 AS n "
                "FROM training_sessions WHERE base_id = :base) ")
    return [
        squad + "INSERT INTO session_athletes (session_id, person_id) "
        "SELECT s.id, q.person_id FROM training_sessions s JOIN squad q ON q.facility_id = s.facility_id "
        "WHERE s.base_id = :base",
        "INSERT INTO session_logs (session_id, actual_hours, content, notes, logged_at) "
        "SELECT id, 3, '基准', '', ends_at FROM training_sessions WHERE base_id = :base ORDER BY id",
        "INSERT INTO session_attendance (log_id, person_id, status, reason) "
        "SELECT l.id, a.person_id, 'present', '' FROM training_sessions s "
        "JOIN session_logs l ON l.session_id = s.id JOIN session_athletes a ON a.session_id = s.id "
        "WHERE s.base_id = :base",
        squad + ", " + numbered + "INSERT INTO session_scores (log_id, person_id, kind, criterion, score, max_score) "
        "SELECT l.id, q.person_id, 'mock_test', "
        "CASE s.n % 4 WHEN 0 THEN 'A' WHEN 1 THEN 'B' WHEN 2 THEN 'C' ELSE 'D' END, 60 + (s.n + q.place) % 40, 100 "
        "FROM numbered s JOIN session_logs l ON l.session_id = s.id JOIN squad q ON q.facility_id = s.facility_id "
        "WHERE s.n % 5 = 0",
    ]


def _week_url(ctx: BenchContext, days: int) -> str:
    base_id = bench_base(ctx)
    monday = _today() - timedelta(days=_today().weekday() + 7 * 26)  # half a year back
    return (f"/training-bases/{base_id}/calendar.json?start={monday.isoformat()}T00:00:00Z"
            f"&end={(monday + timedelta(days=days)).isoformat()}T00:00:00Z")


@page("training_calendar_week", expect=EVENT)
def training_calendar_week(ctx: BenchContext) -> str:
    return _week_url(ctx, 7)


@page("training_calendar_month", expect=EVENT)
def training_calendar_month(ctx: BenchContext) -> str:
    return _week_url(ctx, 42)


def _athlete(ctx: BenchContext) -> int:
    base_id = bench_base(ctx)
    return ctx.scalar("SELECT person_id FROM camp_athletes JOIN training_camps c ON c.id = camp_id "
                      "WHERE c.base_id = :b ORDER BY person_id LIMIT 1", b=base_id)


@page("training_athlete_progress", expect='id="week-hours"')
def training_athlete_progress(ctx: BenchContext) -> str:
    return f"/training-bases/athletes/{_athlete(ctx)}"


@page("training_athlete_progress_year", expect='id="week-hours"')
def training_athlete_progress_year(ctx: BenchContext) -> str:
    end = _today()
    return f"/training-bases/athletes/{_athlete(ctx)}?start={(end - timedelta(days=364)).isoformat()}&end={end}"


@page("training_base_report", expect='id="utilisation-rows"')
def training_base_report(ctx: BenchContext) -> str:
    return f"/training-bases/{bench_base(ctx)}/report"


def _series_check(ctx: BenchContext, clear: bool):
    """A six-week weekday series for squad 1 checked against the busy base (and refused, so nothing is saved)."""
    base_id = bench_base(ctx)

    def run() -> int:
        with ctx.app.app_context():
            actor = db.session.scalar(sa.select(User).where(User.username == "official"))
            camp = db.session.scalar(sa.select(TrainingCamp).where(TrainingCamp.base_id == base_id))
            facility = db.session.scalar(sa.select(Facility).where(Facility.base_id == base_id)
                                         .order_by(Facility.id))
            coach_id = db.session.scalar(sa.select(TrainingSession.coach_id)
                                         .where(TrainingSession.facility_id == facility.id).limit(1))
            athlete_ids = list(db.session.scalars(
                sa.select(session_athletes.c.person_id).where(session_athletes.c.session_id == sa.select(
                    TrainingSession.id).where(TrainingSession.facility_id == facility.id).limit(1)
                    .scalar_subquery())))
            first = _today() - timedelta(days=7 * 8)
            # 08:30 clashes with every squad-1 session; 22:00 is free (then the series is rolled back).
            start, end = (time(22), time(23, 30)) if clear else (time(9), time(11))
            recurrence = rules.Recurrence(first, first + timedelta(days=41), frozenset(range(5)), start, end)
            data = services.SessionData(facility_id=facility.id, coach_id=coach_id, athlete_ids=athlete_ids,
                                        starts_at=datetime.now(UTC), ends_at=datetime.now(UTC))
            try:
                if clear:
                    intervals = rules.expand(recurrence)
                    services.lock_resources([facility.id], set(athlete_ids) | {coach_id})
                    existing = services._existing_bookings({facility.id}, set(athlete_ids) | {coach_id},
                                                           intervals[0][0], intervals[-1][1])
                    found = rules.find_clashes([rules.Booking(None, facility.id, coach_id, frozenset(athlete_ids),
                                                              s, e) for s, e in intervals],
                                               existing, {facility.id: facility.capacity})
                    assert not found, found[:1]
                    return len(existing)
                services.schedule_series(actor, camp, data, recurrence)
            except services.ClashError as exc:
                return len(exc.messages)
            finally:
                db.session.rollback()
                db.session.remove()
            raise SystemExit("the clashing series was accepted")
    return run


@timed("training_clash_check_series_refused")
def training_clash_check_series_refused(ctx: BenchContext):
    return _series_check(ctx, clear=False)


@timed("training_clash_check_series_clear")
def training_clash_check_series_clear(ctx: BenchContext):
    return _series_check(ctx, clear=True)
