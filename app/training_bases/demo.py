"""Demo training base: 上海申江技师学院 as 世赛上海集训基地 for 数控车 (车工), with facilities, coaches, an expert team,
a camp of six athletes, weekday sessions around today and coach logs (attendance, hours, mock-test scores).

Idempotent: every row is found by its natural key first; sessions are made only for a camp that has none.
"""

from __future__ import annotations

import random
from datetime import date, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app.core import rules as core_rules
from app.core.crypto import cipher
from app.core.demo import DEMO_PASSWORD, fake_ric
from app.core.enums import District, DocType, Role
from app.core.models import Occupation, Organisation, Person, PolicyValue, User
from app.core.services import id_hash
from app.extensions import db
from app.training_bases import rules, tallies
from app.training_bases.models import (
    Attendance,
    AttendanceRecord,
    BaseMember,
    CampModule,
    Designation,
    Facility,
    FacilityKind,
    LogScore,
    MemberRole,
    ScoreKind,
    SessionLog,
    TrainingBase,
    TrainingCamp,
    TrainingSession,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
BASE_NAME = "世赛上海集训基地（数控车）"
CAMP_NAME = "第48届世赛数控车项目上海集训（冲刺阶段）"
POLICIES = [
    ("training_base.log_correction_days", "7", "教练日志可自行更正的天数（演示）"),
    ("training_base.facility_hours_per_day", "10", "设施每日可用时数（演示）"),
]
FACILITIES = [("数控车实训车间A", FacilityKind.WORKSHOP, 6), ("数控车工位1号", FacilityKind.WORKSTATION, 1),
              ("精密测量室", FacilityKind.ROOM, 8), ("理论教室301", FacilityKind.ROOM, 30)]
MODULES = [("A", "工艺编制与程序编写", 40), ("B", "数控车削加工", 120), ("C", "零件测量与质量控制", 30),
           ("D", "设备维护与安全", 10)]


def _person(rng: random.Random, name: str, employer: Organisation) -> Person:
    number = fake_ric(rng, employer.district or District.PUDONG, date(1985, 4, 12), True)
    found = db.session.scalar(sa.select(Person).where(Person.id_number_hash == id_hash(DocType.RIC, number)))
    if found is not None:
        return found
    person = Person(name=name, doc_type=DocType.RIC, id_number_encrypted=cipher().encrypt(number),
                    id_number_hash=id_hash(DocType.RIC, number), id_number_masked=core_rules.mask_id_number(number),
                    id_tail=number[-4:], birth_date=date(1985, 4, 12), employer_id=employer.id)
    db.session.add(person)
    db.session.flush()
    return person


def _member(base: TrainingBase, person: Person, role: MemberRole, title: str) -> None:
    if db.session.scalar(sa.select(BaseMember.id).where(BaseMember.base_id == base.id,
                                                        BaseMember.person_id == person.id,
                                                        BaseMember.role == role)) is None:
        db.session.add(BaseMember(base_id=base.id, person_id=person.id, role=role, occupation_code="6-18-01-01",
                                  title=title))


def seed(today: date) -> str:
    rng = random.Random(48)
    for key, value, note in POLICIES:
        if db.session.scalar(sa.select(PolicyValue.id).where(PolicyValue.key == key)) is None:
            db.session.add(PolicyValue(key=key, effective_from=date(2024, 1, 1), value=Decimal(value), note=note))
    college = db.session.scalar(sa.select(Organisation).where(Organisation.name == "上海申江技师学院"))
    if college is None:
        return "demo training base skipped (run the core demo first)"
    base = db.session.scalar(sa.select(TrainingBase).where(TrainingBase.organisation_id == college.id,
                                                           TrainingBase.designation == Designation.WORLDSKILLS_SHANGHAI))
    if base is None:
        base = TrainingBase(organisation_id=college.id, name=BASE_NAME, designation=Designation.WORLDSKILLS_SHANGHAI,
                            designated_from=date(2024, 1, 1), designated_until=date(2027, 12, 31))
        base.skills = [o for o in [db.session.get(Occupation, "6-18-01-01")] if o]
        db.session.add(base)
        db.session.flush()
    facilities = []
    for name, kind, capacity in FACILITIES:
        facility = db.session.scalar(sa.select(Facility).where(Facility.base_id == base.id, Facility.name == name))
        if facility is None:
            facility = Facility(base_id=base.id, name=name, kind=kind, capacity=capacity)
            db.session.add(facility)
            db.session.flush()
        facilities.append(facility)

    # The college's staff member 赵老师 coaches too; a second coach has an account of their own.
    zhao_user = db.session.scalar(sa.select(User).where(User.username == "college"))
    zhao = _person(rng, "赵建国", college)
    if zhao_user is not None and zhao_user.person_id is None:
        zhao_user.person_id = zhao.id
    chen = _person(rng, "陈立新", college)
    if db.session.scalar(sa.select(User).where(User.username == "coach")) is None:
        coach_user = User(username="coach", display_name="陈立新", organisation=college, person_id=chen.id,
                          email="coach@demo.jinengtong.example")
        coach_user.set_password(DEMO_PASSWORD)
        coach_user.set_roles({Role.COACH})
        db.session.add(coach_user)
    _member(base, zhao, MemberRole.COACH, "主教练")
    _member(base, chen, MemberRole.COACH, "教练")
    _member(base, _person(rng, "钱学勤", college), MemberRole.EXPERT_LEAD, "技术指导专家组组长")
    _member(base, _person(rng, "孙德明", college), MemberRole.EXPERT, "技术指导专家")

    camp = db.session.scalar(sa.select(TrainingCamp).where(TrainingCamp.base_id == base.id,
                                                           TrainingCamp.name == CAMP_NAME))
    if camp is None:
        athlete_user = db.session.scalar(sa.select(User).where(User.username == "athlete"))
        athletes = list(db.session.scalars(sa.select(Person).where(Person.employer_id.is_not(None),
                                                                   Person.id.not_in([zhao.id, chen.id]))
                                           .order_by(Person.id).limit(5)))
        if athlete_user is not None and athlete_user.person_id not in {p.id for p in athletes}:
            athletes.append(db.session.get_one(Person, athlete_user.person_id))
        camp = TrainingCamp(base_id=base.id, name=CAMP_NAME, occupation_code="6-18-01-01",
                            starts_on=today - timedelta(days=28), ends_on=today + timedelta(days=35),
                            description="第48届世界技能大赛（2026年9月，上海）数控车项目集训，按评分标准A–D模块安排。")
        camp.athletes = athletes
        camp.modules = [CampModule(position=i, criterion_code=code, name=name, planned_hours=Decimal(hours))
                        for i, (code, name, hours) in enumerate(MODULES)]
        db.session.add(camp)
        db.session.flush()
    made = 0
    if db.session.scalar(sa.select(sa.func.count()).select_from(TrainingSession)
                         .where(TrainingSession.camp_id == camp.id)) == 0:
        made = _sessions(rng, camp, facilities[0], facilities[2], zhao, chen, today)
    db.session.commit()
    return f"demo training base ready ({made} new sessions)"


def _sessions(rng: random.Random, camp: TrainingCamp, workshop: Facility, lab: Facility, zhao: Person,
              chen: Person, today: date) -> int:
    """Weekday mornings in the workshop (赵) and Tuesday/Thursday afternoons in the lab (陈), logged up to today."""
    first = max(camp.starts_on, today - timedelta(days=21))
    last = min(camp.ends_on, today + timedelta(days=21))
    plans = [
        (rules.Recurrence(first, last, frozenset({0, 1, 2, 3, 4}), time(8, 30), time(11, 30)), workshop, zhao, 1),
        (rules.Recurrence(first, last, frozenset({1, 3}), time(14, 0), time(17, 0)), lab, chen, 2),
    ]
    athletes = list(camp.athletes)
    made = 0
    changes = tallies.Changes()  # the officials' tab reads the tallies (app/training_bases/tallies.py)
    for recurrence, facility, coach, module_index in plans:
        for n, (starts, ends) in enumerate(rules.expand(recurrence)):
            module = camp.modules[module_index if n % 3 else 0]
            session = TrainingSession(camp_id=camp.id, base_id=camp.base_id, facility_id=facility.id,
                                      coach_id=coach.id, module_id=module.id, title=module.name, starts_at=starts,
                                      ends_at=ends, series_key=f"demo{module_index}", athletes=athletes)
            db.session.add(session)
            made += 1
            changes.session(camp.base_id, starts, ends)
            if starts.astimezone(SHANGHAI).date() >= today:
                continue
            db.session.flush()
            log = SessionLog(session_id=session.id, actual_hours=rules.session_hours(starts, ends),
                             content=f"{module.name}：专项练习与讲评", logged_at=ends)
            changes.log(camp.base_id, starts, log.actual_hours)
            for i, athlete in enumerate(athletes):
                status = Attendance.ABSENT if rng.random() < 0.05 else (
                    Attendance.LATE if rng.random() < 0.08 else Attendance.PRESENT)
                log.attendance.append(AttendanceRecord(person_id=athlete.id, status=status,
                                                       reason="病假" if status is Attendance.ABSENT else ""))
                if status is not Attendance.ABSENT and n % 5 == 4:
                    progress = n / 20
                    score = Decimal(min(98, 60 + i * 2 + progress * 20 + rng.randint(-4, 4))).quantize(Decimal("0.1"))
                    log.scores.append(LogScore(person_id=athlete.id, kind=ScoreKind.MOCK_TEST,
                                               criterion=module.criterion_code, score=score,
                                               max_score=Decimal("100")))
            db.session.add(log)
    changes.apply()
    return made
