"""Two bookings at the same moment on separate connections: the database transaction lets only one through."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from app.core.models import User
from app.extensions import db
from app.training_bases import services
from app.training_bases.models import TrainingCamp, TrainingSession
from tests import training_base_factories as tf


def _race(app, monkeypatch, bookings: list[dict]) -> list[str]:
    """Run each booking in its own thread and connection; both pass the clash pre-check together."""
    barrier = threading.Barrier(len(bookings), timeout=20)
    real_lock = services.lock_resources

    def lock_after_both_arrive(facility_ids, person_ids):
        # Both transactions have started and read their camp; now they race for the locks.
        barrier.wait()
        real_lock(facility_ids, person_ids)

    monkeypatch.setattr(services, "lock_resources", lock_after_both_arrive)
    outcomes: list[str] = []

    def book(spec: dict) -> None:
        with app.app_context():
            actor = db.session.get(User, spec["user_id"])
            camp = db.session.get(TrainingCamp, spec["camp_id"])
            try:
                services.schedule_session(actor, camp, services.SessionData(**spec["data"]))
                outcomes.append("booked")
            except services.ClashError as exc:
                outcomes.append(exc.message)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=book, args=(spec,)) for spec in bookings]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


def _today() -> date:
    return datetime.now(tf.BEIJING).date()


def test_two_simultaneous_bookings_of_one_coach_at_two_facilities_leave_one(app, ctx, monkeypatch):
    s = tf.setup(n_athletes=2)
    second = tf.facility(s.base, name="第二车间", capacity=5)
    start = tf.at(_today(), 9)
    specs = [{"user_id": s.manager.id, "camp_id": s.camp.id,
              "data": {"facility_id": f.id, "coach_id": s.coach.id, "athlete_ids": [a.id],
                       "starts_at": start, "ends_at": start + timedelta(hours=2)}}
             for f, a in ((s.facility, s.athletes[0]), (second, s.athletes[1]))]
    outcomes = _race(app, monkeypatch, specs)
    assert sorted(o[:6] for o in outcomes) == sorted(["booked", "与已有安排冲突"[:6]])
    assert any("教练 陈教练 已有安排" in o for o in outcomes)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TrainingSession)) == 1


def test_two_simultaneous_bookings_of_one_athlete_at_two_bases_leave_one(app, ctx, monkeypatch):
    s = tf.setup(n_athletes=1)
    other = tf.base(name="另一基地")
    other_facility = tf.facility(other, capacity=5)
    other_coach, _account = tf.coach(other, name="孙教练")
    other_manager = tf.manager(other)
    other_camp = tf.camp(other, s.athletes)
    start = tf.at(_today(), 14)
    specs = [
        {"user_id": s.manager.id, "camp_id": s.camp.id,
         "data": {"facility_id": s.facility.id, "coach_id": s.coach.id, "athlete_ids": [s.athletes[0].id],
                  "starts_at": start, "ends_at": start + timedelta(hours=2)}},
        {"user_id": other_manager.id, "camp_id": other_camp.id,
         "data": {"facility_id": other_facility.id, "coach_id": other_coach.id, "athlete_ids": [s.athletes[0].id],
                  "starts_at": start + timedelta(hours=1), "ends_at": start + timedelta(hours=3)}},
    ]
    outcomes = _race(app, monkeypatch, specs)
    assert outcomes.count("booked") == 1, outcomes
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TrainingSession)) == 1


def test_two_simultaneous_bookings_filling_a_facility_past_its_capacity_leave_one(app, ctx, monkeypatch):
    s = tf.setup(n_athletes=2, capacity=1)
    second_coach, _account = tf.coach(s.base, name="吴教练")
    start = tf.at(_today(), 18)
    specs = [{"user_id": s.manager.id, "camp_id": s.camp.id,
              "data": {"facility_id": s.facility.id, "coach_id": coach.id, "athlete_ids": [a.id],
                       "starts_at": start, "ends_at": start + timedelta(hours=2)}}
             for coach, a in ((s.coach, s.athletes[0]), (second_coach, s.athletes[1]))]
    outcomes = _race(app, monkeypatch, specs)
    assert outcomes.count("booked") == 1, outcomes
    assert any("设施已满" in o for o in outcomes)
