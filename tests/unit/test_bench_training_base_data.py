"""The training-base bench data, now made set-based (sessions copied in, the rest INSERT … SELECT), has the shape
it had when every row was built in Python: each session brings its squad's 20 athletes, one log at its end, a
'present' mark per athlete, and every fifth session (in id order) a mock-test score per athlete; and the officials'
training-base tallies are rebuilt from them."""

from __future__ import annotations

from datetime import date, time, timedelta

import sqlalchemy as sa

import bench.cases  # noqa: F401 - first: it imports every area's module in order
from app.core.enums import District, OrgKind
from app.extensions import db
from app.training_bases import tallies
from app.training_bases.models import SessionLog, TrainingSession
from bench import training_bases
from tests import factories


def test_every_session_brings_its_squad_a_log_marks_and_every_fifth_a_score_each(app, ctx, monkeypatch):
    monkeypatch.setattr(training_bases, "YEARS", 3 / 365)  # three days of sessions instead of five years
    factories.org(OrgKind.TECHNICIAN_COLLEGE)
    factories.occupation()
    people = [factories.person(id_number=factories.valid_ric(District.XUHUI, date(1980, 1, 1) + timedelta(days=i)))
              for i in range(training_bases.SQUADS * (training_bases.SQUAD_SIZE + 1))]
    coaches, athletes = [p.id for p in people[:9]], [p.id for p in people[9:]]

    base_id = training_bases._fill()

    sessions = db.session.scalars(sa.select(TrainingSession).where(TrainingSession.base_id == base_id)
                                  .order_by(TrainingSession.id)).all()
    assert len(sessions) == 3 * 3 * 9  # three days, three slots, nine squads
    first = sessions[0]
    assert first.starts_at.time() == time(0, 30) and first.ends_at.time() == time(3, 30)  # 08:30–11:30 Shanghai
    count = lambda sql: db.session.scalar(sa.text(sql))  # noqa: E731
    assert count("SELECT count(*) FROM session_athletes") == len(sessions) * 20
    assert count("SELECT count(*) FROM session_attendance WHERE status = 'present'") == len(sessions) * 20
    scored = [n for n in range(len(sessions)) if n % 5 == 0]
    assert count("SELECT count(*) FROM session_scores") == len(scored) * 20
    for n, session in enumerate(sessions[:10]):
        squad = n % 9
        assert session.coach_id == coaches[squad]
        members = set(db.session.scalars(sa.text("SELECT person_id FROM session_athletes WHERE session_id = :s"),
                                         {"s": session.id}))
        assert members == set(athletes[squad * 20:(squad + 1) * 20])
        log = db.session.scalar(sa.select(SessionLog).where(SessionLog.session_id == session.id))
        assert log is not None and log.logged_at == session.ends_at
        scores = db.session.execute(sa.text(
            "SELECT person_id, criterion, score FROM session_scores WHERE log_id = :l"), {"l": log.id}).all()
        if n % 5:
            assert scores == []
        else:
            place = {person: i for i, person in enumerate(athletes[squad * 20:(squad + 1) * 20])}
            assert {(p, c, int(s)) for p, c, s in scores} == {(p, "ABCD"[n % 4], 60 + (n + place[p]) % 40)
                                                             for p in place}
    # the sessions and logs were copied in around the services: the bench rebuilt the officials' tallies
    assert tallies.recount(db.session.connection(), "Asia/Shanghai") == {
        (t.base_id, t.month): (t.sessions, t.booked_seconds, t.logged_hours)
        for t in db.session.scalars(sa.select(tallies.TrainingBaseTally))} != {}
