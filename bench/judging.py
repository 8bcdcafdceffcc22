"""Judging cases (issue: judging): an event of 2,000 contestants × 60 judgement aspects × 3 experts (360,000
scores), made on first use by bulk insert; the results computed from them, and the locked results page."""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from app.competitions.events.models import (
    AwardRuleKind,
    Competition,
    CompetitionClass,
    CompetitionLevel,
    Event,
    JudgingState,
)
from app.competitions.judging import services as judging
from app.competitions.judging.models import (
    Aspect,
    AspectKind,
    Contestant,
    ContestantMember,
    Criterion,
    EventExpert,
)
from app.competitions.registration.models import Registration, RegistrationStatus
from app.core.enums import Role
from app.core.models import Organisation, Person, User, UserRole
from app.core.types import utcnow
from app.extensions import db
from bench.cases import BenchContext, page, timed
from bench.database import bulk_insert, bulk_load, mark_loaded

CONTESTANTS, ASPECTS, JUDGES = 2_000, 60, 3
COMPETITION = "基准测试：评分（2000×60×3）"


def judged_event(ctx: BenchContext) -> int:
    with ctx.app.app_context():
        event_id = db.session.scalar(sa.select(Event.id).join(Event.competition)
                                     .where(Competition.name == COMPETITION))
        if event_id is None:
            started = time.perf_counter()
            event_id = _make()
            print(f"judging: event and scores made in {time.perf_counter() - started:.1f}s", file=sys.stderr)
        event = db.session.get(Event, event_id)
        if event.judging_state is not JudgingState.LOCKED:
            started = time.perf_counter()
            official = db.session.scalar(sa.select(User).join(UserRole).where(UserRole.role == Role.OFFICIAL)
                                         .join(User.organisation).where(Organisation.kind == "municipal_bureau"))
            judging.lock_results(official, event, utcnow())
            print(f"judging: results locked in {time.perf_counter() - started:.1f}s", file=sys.stderr)
        return event_id


def _make() -> int:
    organiser = db.session.scalar(sa.select(Organisation.id).where(Organisation.kind == "municipal_bureau"))
    now = datetime.now(UTC)
    event = Event(competition=Competition(name=COMPETITION, level=CompetitionLevel.NATIONAL,
                                          klass=CompetitionClass.CLASS_1, organiser_id=organiser, year=2026),
                  name="数控铣（基准）", occupation_code="6-18-01-01", starts_on=date(2026, 10, 1),
                  ends_on=date(2026, 10, 3), registration_opens_at=now - timedelta(days=90),
                  registration_closes_at=now - timedelta(days=60), quota_per_unit=CONTESTANTS,
                  award_rule=AwardRuleKind.WORLDSKILLS, medal_margin=1, judging_state=JudgingState.SCORING)
    db.session.add(event)
    db.session.flush()
    criteria = [Criterion(event_id=event.id, code=code, name=f"模块{code}") for code in "ABCDE"]
    db.session.add_all(criteria)
    db.session.flush()
    for i in range(ASPECTS):
        db.session.add(Aspect(event_id=event.id, criterion_id=criteria[i % 5].id, position=i + 1,
                              sub_code=f"{'ABCDE'[i % 5]}{i + 1}", kind=AspectKind.JUDGEMENT,
                              description=f"评价项 {i + 1}", max_mark=Decimal(100) / ASPECTS,
                              descriptor_0="0", descriptor_1="1", descriptor_2="2", descriptor_3="3"))
    experts = []
    for n in range(JUDGES):
        expert = User(username=f"bench-expert-{event.id}-{n}", display_name=f"基准专家{n}",
                      organisation_id=organiser, password_hash="!")
        expert.set_roles({Role.EXPERT})
        db.session.add(expert)
        experts.append(expert)
    db.session.flush()
    db.session.add_all(EventExpert(event_id=event.id, user_id=e.id) for e in experts)
    people = db.session.execute(sa.select(Person.id, Person.employer_id).where(Person.employer_id.is_not(None))
                                .order_by(Person.id.desc()).limit(CONTESTANTS)).all()
    db.session.execute(sa.insert(Registration.__table__), [
        {"event_id": event.id, "person_id": p.id, "unit_id": p.employer_id, "status": RegistrationStatus.APPROVED.value,
         "reason": "", "created_at": now} for p in people])
    registration_ids = dict(db.session.execute(sa.select(Registration.person_id, Registration.id)
                                               .where(Registration.event_id == event.id)).all())
    db.session.execute(sa.insert(Contestant.__table__), [
        {"event_id": event.id, "bib": n + 1, "name": f"选手{n + 1}", "unit_id": p.employer_id}
        for n, p in enumerate(people)])
    contestant_ids = list(db.session.scalars(sa.select(Contestant.id).where(Contestant.event_id == event.id)
                                             .order_by(Contestant.bib)))
    db.session.execute(sa.insert(ContestantMember.__table__), [
        {"contestant_id": cid, "person_id": p.id, "registration_id": registration_ids[p.id]}
        for cid, p in zip(contestant_ids, people, strict=True)])
    aspect_ids = list(db.session.scalars(sa.select(Aspect.id).where(Aspect.event_id == event.id)))
    rng = random.Random(2000)
    scores = []
    for cid in contestant_ids:
        skill = rng.uniform(0.8, 2.6)
        for aid in aspect_ids:
            base = min(3, max(0, round(skill + rng.uniform(-.6, .6))))
            for n, expert in enumerate(experts):
                value = base if n else min(3, base + (rng.random() < .2))  # judges within a point of each other
                scores.append((event.id, cid, aid, expert.id, value, now))
    # The results are computed (locked) next: every table they read has its statistics first.
    with bulk_load("scores", "registrations", "contestants", "contestant_members", "aspects", "criteria",
                   "event_experts"):
        bulk_insert("scores", ("event_id", "contestant_id", "aspect_id", "expert_id", "value", "updated_at"), scores)
    db.session.commit()
    mark_loaded()
    return event.id


@timed("judging_results_compute_2000x60x3")
def results_compute(ctx: BenchContext):
    event_id = judged_event(ctx)

    def compute() -> object:
        with ctx.app.app_context():
            outcome = judging.preview(db.session.get(Event, event_id))
            assert len(outcome.placings) == CONTESTANTS
            return outcome
    return compute


@page("judging_results_page_2000", expect="results-table", sql_twin=False)
def results_page(ctx: BenchContext) -> str:
    return f"/competitions/events/{judged_event(ctx)}/results"
