"""The training-base tab reads tallies kept on write (issue 21): sessions, booked seconds and logged hours per base
and local month equal a recount of the sessions and logs after each kind of write (the services, the demo seeding,
any ORM write: a hypothesis test), the rebuild recounts what was written around the ORM, and the tab reads
neither the sessions nor their logs."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.extensions import db
from app.training_bases import rules, services, tallies
from app.training_bases.models import Attendance, SessionLog, TrainingSession
from app.training_bases.tallies import TrainingBaseTally
from tests import factories
from tests import training_base_factories as tf
from tests.conftest import count_queries
from tests.web.test_dashboard import cells


def recount() -> dict[tuple[int, date], tuple[int, int, Decimal]]:
    return tallies.recount(db.session.connection(), "Asia/Shanghai")


def kept() -> dict[tuple[int, date], tuple[int, int, Decimal]]:
    db.session.expire_all()
    return {(t.base_id, t.month): (t.sessions, t.booked_seconds, Decimal(t.logged_hours))
            for t in db.session.scalars(sa.select(TrainingBaseTally)) if t.sessions or t.booked_seconds
            or t.logged_hours}


def _log(session: TrainingSession, hours: str) -> services.LogData:
    return services.LogData(actual_hours=Decimal(hours), content="练习", attendance=[
        services.AttendanceData(p.id, Attendance.PRESENT) for p in session.athletes])


def test_the_tallies_equal_a_recount_after_each_service_write(app, ctx):
    s = tf.setup(camp_start=date(2026, 1, 1))
    s.camp.ends_on = date(2026, 6, 30)
    db.session.commit()
    data = services.SessionData(facility_id=s.facility.id, coach_id=s.coach.id,
                                athlete_ids=[p.id for p in s.athletes], starts_at=tf.at(date(2026, 1, 30), 8),
                                ends_at=tf.at(date(2026, 1, 30), 11, 30))
    one = services.schedule_session(s.manager, s.camp, data)
    jan, feb = date(2026, 1, 1), date(2026, 2, 1)
    assert kept() == recount() == {(s.base.id, jan): (1, 3 * 3600 + 1800, Decimal(0))}

    # a series across the month's end (local: 31 January 00:30 is 30 January in UTC)
    series = services.schedule_series(s.manager, s.camp, data, rules.Recurrence(
        date(2026, 1, 31), date(2026, 2, 3), frozenset(range(7)), time(0, 30), time(2, 0)), keep_holidays=True)
    assert len(series.sessions) == 4
    assert kept() == recount() == {(s.base.id, jan): (2, 3 * 3600 + 1800 + 5400, Decimal(0)),
                                   (s.base.id, feb): (3, 3 * 5400, Decimal(0))}

    services.move_session(s.manager, series.sessions[0], tf.at(date(2026, 3, 2), 9), tf.at(date(2026, 3, 2), 10))
    assert kept() == recount()
    assert kept()[(s.base.id, date(2026, 3, 1))] == (1, 3600, Decimal(0))

    after = datetime.combine(date(2026, 4, 1), time(12), tf.BEIJING)
    services.log_session(s.coach_user, one, _log(one, "3.25"), after - timedelta(days=60))
    assert kept() == recount()
    assert kept()[(s.base.id, jan)][2] == Decimal("3.25")
    services.log_session(s.coach_user, one, _log(one, "2.5"), after - timedelta(days=59))  # a correction
    assert kept() == recount()
    assert kept()[(s.base.id, jan)][2] == Decimal("2.50")

    services.cancel_session(s.manager, series.sessions[1])
    assert kept() == recount()
    assert kept()[(s.base.id, feb)] == (2, 2 * 5400, Decimal(0))


def test_a_refused_booking_leaves_the_tallies_alone(app, ctx):
    s = tf.setup(camp_start=date(2026, 1, 1))
    data = services.SessionData(facility_id=s.facility.id, coach_id=s.coach.id,
                                athlete_ids=[p.id for p in s.athletes], starts_at=tf.at(date(2026, 1, 5), 8),
                                ends_at=tf.at(date(2026, 1, 5), 10))
    services.schedule_session(s.manager, s.camp, data)
    with pytest.raises(services.ClashError):
        services.schedule_session(s.manager, s.camp, data)
    assert kept() == recount() == {(s.base.id, date(2026, 1, 1)): (1, 7200, Decimal(0))}


def test_the_demo_seeding_keeps_the_tallies(app, ctx):
    from app.core import demo as core_demo
    from app.training_bases import demo

    core_demo.seed(people=10)
    demo.seed(date(2026, 11, 26))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SessionLog)) > 0
    assert kept() == recount() != {}


def test_rebuild_recounts_what_was_written_around_the_orm(app, ctx):
    s = tf.setup(camp_start=date(2026, 1, 1))
    session = tf.session(s.camp, s.facility, s.coach, [], tf.at(date(2026, 1, 5), 9), hours=2)
    db.session.execute(sa.update(TrainingSession).values(ends_at=session.starts_at + timedelta(hours=4)))
    db.session.execute(sa.insert(SessionLog).values(session_id=session.id, actual_hours=Decimal("3.5"), content=""))
    db.session.commit()
    assert kept() != recount()
    tallies.rebuild()
    db.session.commit()
    assert kept() == recount() == {(s.base.id, date(2026, 1, 1)): (1, 4 * 3600, Decimal("3.5"))}


def test_the_rebuild_command_rewrites_the_table(app, ctx):
    s = tf.setup(camp_start=date(2026, 1, 1))
    tf.session(s.camp, s.facility, s.coach, [], tf.at(date(2026, 1, 5), 9), hours=2)
    db.session.execute(sa.delete(TrainingBaseTally))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["training_bases", "rebuild-tallies"])
    assert result.exit_code == 0, result.output
    assert kept() == recount() == {(s.base.id, date(2026, 1, 1)): (1, 7200, Decimal(0))}


# ---------------------------------------------------------------- any sequence of writes (hypothesis)

operations = st.lists(st.one_of(
    st.tuples(st.just("book"), st.integers(-2, 2), st.integers(0, 23), st.integers(1, 6 * 60)),
    st.tuples(st.just("series"), st.integers(-3, 1), st.integers(0, 22), st.integers(1, 120)),
    st.tuples(st.just("move"), st.integers(0, 50), st.integers(-40, 40), st.integers(1, 300)),
    st.tuples(st.just("cancel"), st.integers(0, 50), st.just(0), st.just(0)),
    st.tuples(st.just("log"), st.integers(0, 50), st.integers(0, 2400), st.just(0)),
), min_size=1, max_size=10)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=operations)
def test_any_sequence_of_service_writes_keeps_the_tallies_equal_to_a_recount(app, ctx, steps):
    """Bookings, series, moves (refused when they clash), cancellations, logs and corrections around a month's
    end (local 00:00–07:59 is the day before in UTC), on a base whose facility takes everyone at once."""
    s = _hypothesis_base()
    month_end = datetime.combine(date(2026, 1, 31), time(0), tf.BEIJING)

    def data(starts: datetime, minutes: int) -> services.SessionData:
        return services.SessionData(facility_id=s.facility.id, coach_id=s.coach.id, athlete_ids=[s.athletes[0].id],
                                    starts_at=starts, ends_at=starts + timedelta(minutes=minutes))

    for op, a, b, c in steps:
        sessions = db.session.scalars(sa.select(TrainingSession).order_by(TrainingSession.id)).all()
        chosen = sessions[a % len(sessions)] if sessions else None
        try:
            if op == "book":
                services.schedule_session(s.manager, s.camp, data(month_end + timedelta(days=a, hours=b), c))
            elif op == "series":
                first = (month_end + timedelta(days=a)).date()
                services.schedule_series(s.manager, s.camp, data(month_end, c), rules.Recurrence(
                    first, first + timedelta(days=3), frozenset(range(7)), time(b), time(b + 1, 0)),
                    keep_holidays=True)
            elif chosen is None:
                continue
            elif op == "move":
                starts = month_end + timedelta(days=b % 5 - 2, hours=abs(b) % 24)
                services.move_session(s.manager, chosen, starts, starts + timedelta(minutes=c))
            elif op == "cancel":
                services.cancel_session(s.manager, chosen)
            elif op == "log":
                services.log_session(s.coach_user, chosen, _log(chosen, str(Decimal(b) / 100)),
                                     chosen.ends_at + timedelta(hours=1))
        except (services.DomainError, ValueError):
            db.session.rollback()  # refused (a clash, a logged session moved or cancelled): nothing changes
        assert kept() == recount()


def _hypothesis_base() -> tf.Setup:
    """One base for every example (the tables are emptied after the test, not between examples)."""
    base = db.session.scalar(sa.select(tf.TrainingBase).where(tf.TrainingBase.name == "假设基地"))
    if base is None:
        s = tf.setup(n_athletes=1, capacity=100, camp_start=date(2025, 12, 1))
        s.base.name = "假设基地"
        s.camp.ends_on = date(2026, 12, 31)
        db.session.commit()
        _hypothesis_base.setup = s  # type: ignore[attr-defined]
    return _hypothesis_base.setup  # type: ignore[attr-defined]


# ---------------------------------------------------------------- the tab

def test_the_tab_reads_the_tallies_not_the_sessions_in_a_fixed_number_of_statements(app, ctx, login_as):
    official = factories.municipal_official()
    web = login_as(official)

    def statements_for_tab(bases: int) -> list[str]:
        with count_queries(app) as statements:
            page = web.get("/supervision/?tab=training_bases&year=2026").get_data(as_text=True)
        assert len(cells(page, "base-utilisation")) - 1 == bases
        return statements

    s = tf.setup(camp_start=date(2026, 1, 1))
    for day in range(3):
        tf.session(s.camp, s.facility, s.coach, [], tf.at(date(2026, 1, 5 + day), 9), hours=2)
    few = statements_for_tab(1)
    assert not [q for q in few if "training_sessions" in q or "session_logs" in q]
    second = tf.base(name="第二基地")
    second_facility = tf.facility(second)
    second_camp = tf.camp(second, [], starts=date(2026, 3, 1))
    for day in range(5):
        tf.session(second_camp, second_facility, s.coach, [], tf.at(date(2026, 3, 5 + day), 14), hours=1)
    more = statements_for_tab(2)
    assert len(more) == len(few)
    page = web.get("/supervision/?tab=training_bases&year=2026").get_data(as_text=True)
    table = {row[0]: row[1:] for row in cells(page, "base-utilisation")[1:]}
    assert table["第二基地"][5:7] == ["5", "5.00"]


def test_the_migration_fills_the_tallies_from_the_sessions_there(app, ctx):
    from flask_migrate import downgrade, upgrade

    s = tf.setup(camp_start=date(2026, 1, 1))
    for day, hour in ((date(2026, 1, 31), 7), (date(2026, 2, 1), 7), (date(2026, 3, 2), 9)):  # 1 Feb 07:00 local
        session = tf.session(s.camp, s.facility, s.coach, [], tf.at(day, hour), hours=1.5)  # is 31 Jan in UTC
    tf.log(session, "1.25")
    expected, base_id = recount(), s.base.id
    db.session.remove()
    downgrade(revision="0024")
    upgrade()
    assert kept() == expected == {(base_id, date(2026, 1, 1)): (1, 5400, Decimal(0)),
                                  (base_id, date(2026, 2, 1)): (1, 5400, Decimal(0)),
                                  (base_id, date(2026, 3, 1)): (1, 5400, Decimal("1.25"))}
