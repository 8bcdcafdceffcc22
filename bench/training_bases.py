"""Training-base cases (issue: training bases): one busy base with five years of sessions.

Made on first use (bulk insert, idempotent): 9 facilities, 9 coaches and 180 athletes in 9 squads of 20; every
day each squad trains three times (08:30, 13:30, 18:30, three hours) with its coach in its facility, so ≈49,000
sessions and ≈990,000 athlete places over five years up to today; every session is logged (≈990,000 attendance
rows) and every fifth one has a mock-test score per athlete.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app.core.models import Organisation, Person, User
from app.extensions import db
from app.training_bases import rules, services
from app.training_bases.models import (
    AttendanceRecord,
    BaseMember,
    CampModule,
    Designation,
    Facility,
    FacilityKind,
    LogScore,
    MemberRole,
    SessionLog,
    TrainingBase,
    TrainingCamp,
    TrainingSession,
    base_skills,
    camp_athletes,
    session_athletes,
)
from bench.cases import BenchContext, page, timed

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
    import sys

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
    next_id = (db.session.scalar(sa.select(sa.func.max(TrainingSession.id))) or 0) + 1
    next_log = (db.session.scalar(sa.select(sa.func.max(SessionLog.id))) or 0) + 1
    sessions, places, logs, marks, scores = [], [], [], [], []
    now = datetime.now(UTC)

    def flush() -> None:
        for table, rows in ((TrainingSession.__table__, sessions), (session_athletes, places),
                            (SessionLog.__table__, logs), (AttendanceRecord.__table__, marks),
                            (LogScore.__table__, scores)):
            for start in range(0, len(rows), 20_000):
                db.session.execute(sa.insert(table), rows[start:start + 20_000])
            rows.clear()

    day, n = first_day, 0
    while day < _today():
        for slot in SLOTS:
            starts, ends = rules.local_interval(day, slot, time(slot.hour + 3, slot.minute), SHANGHAI)
            for squad in range(SQUADS):
                members = athletes[squad * SQUAD_SIZE:(squad + 1) * SQUAD_SIZE]
                module_id = module_ids[n % 4]
                sessions.append({"id": next_id, "camp_id": camp.id, "base_id": base.id,
                                 "facility_id": facilities[squad].id, "coach_id": coaches[squad],
                                 "module_id": module_id, "title": "基准训练", "starts_at": starts, "ends_at": ends,
                                 "created_at": now})
                places.extend({"session_id": next_id, "person_id": p} for p in members)
                logs.append({"id": next_log, "session_id": next_id, "actual_hours": Decimal("3"),
                             "content": "基准", "notes": "", "logged_at": ends})
                marks.extend({"log_id": next_log, "person_id": p, "status": "present", "reason": ""}
                             for p in members)
                if n % 5 == 0:
                    scores.extend({"log_id": next_log, "person_id": p, "kind": "mock_test",
                                   "criterion": "ABCD"[n % 4], "score": Decimal(60 + (n + i) % 40),
                                   "max_score": Decimal(100)} for i, p in enumerate(members))
                next_id += 1
                next_log += 1
                n += 1
        if len(places) > 200_000:
            flush()
        day += timedelta(days=1)
    flush()
    db.session.commit()
    # Fresh statistics, as after any bulk load: a planner that thinks the tables are empty picks bad plans.
    tables = "training_sessions, session_athletes, session_logs, session_attendance, session_scores"
    with db.engine.begin() as conn:
        conn.exec_driver_sql(f"ANALYZE {tables}" if conn.dialect.name == "postgresql" else "ANALYZE")
    print(f"  {n} sessions", file=sys.stderr, flush=True)
    return base.id


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
