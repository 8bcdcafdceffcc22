"""Demo judging: a district event with locked results (squads/demo.py forms a squad from them) and a grassroots
event in scoring that the demo expert can mark. Idempotent: events already past "not started" are left alone."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from app.competitions.events.models import AwardRuleKind, CompetitionLevel, Event, JudgingState
from app.competitions.judging import services as judging
from app.competitions.judging.models import AspectKind
from app.competitions.registration import signals
from app.competitions.registration.models import Registration, RegistrationStatus
from app.core.demo import DEMO_PASSWORD
from app.core.enums import OrgKind, Role
from app.core.models import Organisation, Person, User
from app.core.types import utcnow
from app.extensions import db

J = ("未完成", "基本符合要求", "符合行业标准", "达到或超过行业优秀水平")
SCHEME = [
    ("A", "工艺准备", "A1", "图纸与工艺", "工艺卡填写完整正确", AspectKind.MEASUREMENT, "10", "全对得满分，每处错误扣 2 分"),
    ("A", "工艺准备", "A2", "图纸与工艺", "加工工艺路线合理", AspectKind.JUDGEMENT, "10", ""),
    ("B", "零件加工", "B1", "尺寸精度", "主要尺寸在公差内", AspectKind.MEASUREMENT, "35", "每个尺寸超差扣相应分值"),
    ("B", "零件加工", "B2", "表面质量", "表面粗糙度达到要求", AspectKind.MEASUREMENT, "15", "达到 Ra1.6 得满分"),
    ("C", "职业素养", "C1", "安全文明", "安全文明生产", AspectKind.JUDGEMENT, "15", ""),
    ("C", "职业素养", "C2", "整体印象", "零件整体质量与完成度", AspectKind.JUDGEMENT, "15", ""),
]


def _rows() -> list[judging.SchemeRow]:
    return [judging.SchemeRow(code, name, sub, sub_name, kind, desc, Decimal(max_mark), rule,
                              J if kind is AspectKind.JUDGEMENT else ("", "", "", ""))
            for code, name, sub, sub_name, desc, kind, max_mark, rule in SCHEME]


def _experts(home: Organisation) -> list[User]:
    """The demo expert plus two more from a college that enters nobody."""
    experts = [db.session.scalar(sa.select(User).where(User.username == "expert"))]
    for username, name in (("expert2", "郑专家"), ("expert3", "冯专家")):
        user = db.session.scalar(sa.select(User).where(User.username == username))
        if user is None:
            user = User(username=username, display_name=name, organisation=home,
                        email=f"{username}@demo.jinengtong.example")
            user.set_password(DEMO_PASSWORD)
            user.set_roles({Role.EXPERT})
            db.session.add(user)
            db.session.flush()
        experts.append(user)
    return [e for e in experts if e is not None]


def _entrants(event: Event, people: list[Person], actor: User) -> None:
    for person in people:
        exists = db.session.scalar(sa.select(Registration.id).where(Registration.event_id == event.id,
                                                                    Registration.person_id == person.id))
        if exists is None:
            registration = Registration(event_id=event.id, person_id=person.id, unit_id=person.employer_id,
                                        status=RegistrationStatus.APPROVED, created_by_id=actor.id)
            db.session.add(registration)
            signals.announce([(None, signals.place_of(registration))])
    db.session.commit()


def _score(event: Event, experts: list[User], rng: random.Random, share: float = 1.0) -> None:
    aspects = judging.aspects_of(event)
    field = judging.contestants(event)
    for contestant in field[: max(1, int(len(field) * share))]:
        skill = rng.uniform(0.45, 0.95)
        for aspect in aspects:
            if aspect.kind is AspectKind.MEASUREMENT:
                mark = (aspect.max_mark * Decimal(str(round(min(1.0, skill + rng.uniform(-.1, .1)), 2)))).quantize(
                    Decimal("0.01"))
                judging.save_score(experts[0], event, contestant.id, aspect.id, str(mark))
            else:
                base = min(3, max(0, round(skill * 3 + rng.uniform(-.4, .4))))
                for expert in experts:
                    judging.save_score(expert, event, contestant.id, aspect.id, str(base))


def seed(today: date) -> str:
    organiser = db.session.scalar(sa.select(User).where(User.username == "organizer"))
    demo_expert = db.session.scalar(sa.select(User).where(User.username == "expert"))
    college = demo_expert.organisation if demo_expert else None
    official = db.session.scalar(sa.select(User).where(User.username == "official"))
    if organiser is None or college is None or official is None:
        return "demo judging skipped (no organiser)"
    rng = random.Random(48)
    experts = _experts(college)
    district_event = db.session.scalar(sa.select(Event).join(Event.competition).where(
        Event.competition.has(level=CompetitionLevel.DISTRICT), Event.name == "数控车"))
    grassroots_event = db.session.scalar(sa.select(Event).join(Event.competition).where(
        Event.competition.has(level=CompetitionLevel.GRASSROOTS)))
    done = []
    people = list(db.session.scalars(sa.select(Person).join(Person.employer).where(
        Organisation.kind == OrgKind.ENTERPRISE).order_by(Person.id).limit(40)))
    if district_event is not None and district_event.judging_state is JudgingState.NOT_STARTED:
        # The district bureau organises it; the municipal official acts for the demo.
        district_event.award_rule = AwardRuleKind.SHARE
        district_event.share_merit = Decimal("0.2")
        _entrants(district_event, people[:12], official)
        judging.replace_scheme(official, district_event, _rows())
        for expert in experts:
            judging.assign_expert(official, district_event, expert.id, is_chief=expert.username == "expert")
        judging.open_scoring(official, district_event, utcnow())
        _score(district_event, experts, rng)
        judging.lock_results(official, district_event, utcnow())
        done.append("district results locked")
    if grassroots_event is not None and grassroots_event.judging_state is JudgingState.NOT_STARTED:
        _entrants(grassroots_event, people[12:20], official)
        judging.replace_scheme(official, grassroots_event, _rows())
        for expert in experts:
            judging.assign_expert(official, grassroots_event, expert.id)
        judging.open_scoring(official, grassroots_event, utcnow())
        _score(grassroots_event, experts[1:] + experts[:1], rng, share=0.5)
        done.append("grassroots event in scoring")
    return "demo judging: " + (", ".join(done) or "already there")
