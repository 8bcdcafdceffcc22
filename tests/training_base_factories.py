"""Factories for the training-base area (inside an app context). Each returns the committed object."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from app.core.enums import District, OrgKind, Role
from app.core.models import Organisation, Person, PolicyValue, User
from app.extensions import db
from app.training_bases import tallies
from app.training_bases.models import (
    BaseMember,
    Designation,
    Facility,
    FacilityKind,
    MemberRole,
    SessionLog,
    TrainingBase,
    TrainingCamp,
    TrainingSession,
)
from tests import factories

BEIJING = ZoneInfo("Asia/Shanghai")
_counter = itertools.count(1)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A Beijing wall-clock time as an aware instant."""
    return datetime.combine(day, time(hour, minute), BEIJING)


def policies(correction_days: int = 7, hours_per_day: int = 10) -> None:
    for key, value in (("training_base.log_correction_days", correction_days),
                       ("training_base.facility_hours_per_day", hours_per_day)):
        db.session.add(PolicyValue(key=key, effective_from=date(2020, 1, 1), value=Decimal(value)))
    db.session.commit()


def base(host: Organisation | None = None, name: str | None = None,
         designation: Designation = Designation.WORLDSKILLS_SHANGHAI) -> TrainingBase:
    occupation = factories.occupation()
    host = host or factories.org(OrgKind.TECHNICIAN_COLLEGE, District.PUDONG)
    row = TrainingBase(organisation_id=host.id, name=name or f"测试集训基地{next(_counter)}", designation=designation,
                       designated_from=date(2024, 1, 1))
    row.skills = [occupation]
    db.session.add(row)
    db.session.commit()
    return row


def facility(b: TrainingBase, name: str | None = None, capacity: int = 1,
             kind: FacilityKind = FacilityKind.WORKSTATION) -> Facility:
    row = Facility(base_id=b.id, name=name or f"工位{next(_counter)}", kind=kind, capacity=capacity)
    db.session.add(row)
    db.session.commit()
    return row


def coach(b: TrainingBase, name: str = "陈教练", username: str | None = None) -> tuple[Person, User]:
    """A person on the base's coach list with a coach account linked to them."""
    person = factories.person(name, employer=b.organisation)
    db.session.add(BaseMember(base_id=b.id, person_id=person.id, role=MemberRole.COACH))
    db.session.commit()
    account = factories.user(b.organisation, Role.COACH, username=username, display_name=name, person_id=person.id)
    return person, account


def manager(b: TrainingBase, username: str | None = None) -> User:
    return factories.user(b.organisation, Role.COLLEGE_STAFF, username=username, display_name="基地管理员")


def camp(b: TrainingBase, athletes: list[Person], starts: date | None = None, days: int = 60,
         name: str | None = None) -> TrainingCamp:
    starts = starts or date.today() - timedelta(days=20)
    row = TrainingCamp(base_id=b.id, name=name or f"测试集训{next(_counter)}", occupation_code="6-18-01-01",
                       starts_on=starts, ends_on=starts + timedelta(days=days))
    row.athletes = list(athletes)
    db.session.add(row)
    db.session.commit()
    return row


def session(c: TrainingCamp, f: Facility, coach_person: Person, athletes: list[Person], starts_at: datetime,
            hours: float = 3, title: str = "训练") -> TrainingSession:
    row = TrainingSession(camp_id=c.id, base_id=c.base_id, facility_id=f.id, coach_id=coach_person.id, title=title,
                          starts_at=starts_at, ends_at=starts_at + timedelta(hours=hours), athletes=list(athletes))
    db.session.add(row)
    tallies.Changes().session(row.base_id, row.starts_at, row.ends_at).apply()  # as the services keep them
    db.session.commit()
    return row


def log(s: TrainingSession, hours: Decimal | str) -> SessionLog:
    """A log of the session (no attendance), counted in the tallies as the services count it."""
    row = SessionLog(session_id=s.id, actual_hours=Decimal(hours))
    db.session.add(row)
    tallies.Changes().log(s.base_id, s.starts_at, row.actual_hours).apply()
    db.session.commit()
    return row


@dataclass
class Setup:
    base: TrainingBase
    facility: Facility
    coach: Person
    coach_user: User
    manager: User
    athletes: list[Person]
    camp: TrainingCamp


def setup(n_athletes: int = 3, capacity: int = 4, camp_start: date | None = None) -> Setup:
    """A base with a facility, a coach (with account), a manager, and a camp of athletes."""
    policies()
    b = base()
    f = facility(b, name="数控车实训车间", capacity=capacity, kind=FacilityKind.WORKSHOP)
    coach_person, coach_user = coach(b)
    athletes = [factories.person(name, employer=b.organisation) for name in ["李明", "王芳", "张伟", "刘洋", "陈静"]
                [:n_athletes]]
    return Setup(b, f, coach_person, coach_user, manager(b), athletes, camp(b, athletes, starts=camp_start))
