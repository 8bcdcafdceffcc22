"""Use cases of the training bases: designation, facilities, members, camps, scheduling, coach logs, progress.

Each write checks permission at its boundary, owns its transaction and records audit rows. Functions that
depend on the clock take ``now`` (an aware datetime).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from app.auth.permissions import (
    STAFF_ROLES,
    can,
    deny,
    is_municipal_official,
    official_district,
    organisation_scope,
    people_scope,
    require,
)
from app.auth.training_bases import is_base_manager
from app.core import audit
from app.core.enums import District, Role
from app.core.models import Occupation, Organisation, Person, User
from app.core.policy import value_in_force
from app.core.services import raise_not_found, unique_or_domain_error
from app.errors import DomainError
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
    base_skills,
    camp_athletes,
    session_athletes,
)
from app.training_bases.reminders import schedule_camp_start

BASE_FIELDS = ["organisation_id", "name", "designation", "designated_from", "designated_until"]
FACILITY_FIELDS = ["name", "kind", "capacity", "active"]
MEMBER_FIELDS = ["person_id", "role", "occupation_code", "title"]
CAMP_FIELDS = ["name", "occupation_code", "starts_on", "ends_on", "description"]
SESSION_FIELDS = ["facility_id", "coach_id", "module_id", "title", "starts_at", "ends_at"]
LOG_FIELDS = ["actual_hours", "content", "notes"]


def tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["TZ"])


def _local(at: datetime, fmt: str = "%m-%d %H:%M") -> str:
    return at.astimezone(tz()).strftime(fmt)


# ---------------------------------------------------------------- bases

@dataclass
class BaseData:
    organisation_id: int
    name: str
    designation: Designation
    designated_from: date
    designated_until: date | None
    skill_codes: list[str] = field(default_factory=list)


def _occupations(codes: Iterable[str]) -> list[Occupation]:
    codes = sorted(set(codes))
    found = list(db.session.scalars(sa.select(Occupation).where(Occupation.code.in_(codes)))) if codes else []
    if len(found) != len(codes):
        raise DomainError(_("职业（工种）不存在"), "skill_codes")
    return found


def _check_base(actor: User, data: BaseData) -> Organisation:
    organisation = db.session.get(Organisation, data.organisation_id)
    if organisation is None:
        raise DomainError(_("承建单位不存在"), "organisation_id")
    if organisation.kind.is_bureau:
        raise DomainError(_("集训基地须由院校或企业承建"), "organisation_id")
    if not can(actor, "organisation.view", organisation):
        raise DomainError(_("只能认定本辖区单位为集训基地"), "organisation_id")
    if not data.name.strip():
        raise DomainError(_("请填写基地名称"), "name")
    if data.designated_until is not None and data.designated_until < data.designated_from:
        raise DomainError(_("认定期限结束日期不能早于开始日期"), "designated_until")
    if not data.skill_codes:
        raise DomainError(_("请至少选择一个集训项目（职业）"), "skill_codes")
    return organisation


def designate_base(actor: User, data: BaseData) -> TrainingBase:
    """An official designates an organisation as a training base for some skills."""
    require(actor, "training_base.designate")
    _check_base(actor, data)
    base = TrainingBase(organisation_id=data.organisation_id, name=data.name.strip(), designation=data.designation,
                        designated_from=data.designated_from, designated_until=data.designated_until,
                        designated_by_id=actor.id)
    base.skills = _occupations(data.skill_codes)
    with unique_or_domain_error(_("该单位已有同一类别的基地认定"), "designation"):
        db.session.add(base)
        audit.record(actor, "designate", base, after={**audit.snapshot(base, BASE_FIELDS),
                                                      "skills": sorted(data.skill_codes)}, summary=base.name)
    return base


def update_base(actor: User, base: TrainingBase, data: BaseData) -> TrainingBase:
    require(actor, "training_base.designate", base)
    _check_base(actor, data)
    before = {**audit.snapshot(base, BASE_FIELDS), "skills": [o.code for o in base.skills]}
    with unique_or_domain_error(_("该单位已有同一类别的基地认定"), "designation"):
        base.organisation_id, base.name, base.designation = data.organisation_id, data.name.strip(), data.designation
        base.designated_from, base.designated_until = data.designated_from, data.designated_until
        base.skills = _occupations(data.skill_codes)
        audit.record(actor, "update", base, before=before,
                     after={**audit.snapshot(base, BASE_FIELDS), "skills": sorted(data.skill_codes)},
                     summary=base.name)
    return base


def get_base(actor: User, base_id: int) -> TrainingBase:
    base = db.session.scalar(sa.select(TrainingBase).where(TrainingBase.id == base_id)
                             .options(selectinload(TrainingBase.skills)))
    if base is None:
        raise_not_found()
    require(actor, "training_base.view", base)
    return base


@dataclass
class BaseRow:
    base: TrainingBase
    facilities: int
    camps: int


def list_bases(actor: User, *, occupation_code: str = "", district: District | None = None,
               designation: Designation | None = None, page: int = 1, per_page: int = 50
               ) -> tuple[list[BaseRow], int]:
    """Bases by skill and district (the host's district), with facility and camp counts; four queries."""
    require(actor, "training_base.view")
    stmt = sa.select(TrainingBase).join(TrainingBase.organisation)
    if occupation_code:
        stmt = stmt.where(TrainingBase.id.in_(sa.select(base_skills.c.base_id)
                                              .where(base_skills.c.occupation_code == occupation_code)))
    if district is not None:
        stmt = stmt.where(Organisation.district == district)
    if designation is not None:
        stmt = stmt.where(TrainingBase.designation == designation)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    bases = list(db.session.scalars(stmt.options(selectinload(TrainingBase.skills))
                                    .order_by(TrainingBase.name, TrainingBase.id)
                                    .offset((page - 1) * per_page).limit(per_page)))
    ids = [b.id for b in bases]
    facilities = dict(db.session.execute(
        sa.select(Facility.base_id, sa.func.count()).where(Facility.base_id.in_(ids))
        .group_by(Facility.base_id)).tuples().all()) if ids else {}
    camps = dict(db.session.execute(
        sa.select(TrainingCamp.base_id, sa.func.count()).where(TrainingCamp.base_id.in_(ids))
        .group_by(TrainingCamp.base_id)).tuples().all()) if ids else {}
    return [BaseRow(b, facilities.get(b.id, 0), camps.get(b.id, 0)) for b in bases], total


def host_choices(actor: User) -> list[tuple[int, str]]:
    """Colleges and enterprises the official may designate."""
    stmt = (sa.select(Organisation.id, Organisation.name)
            .where(Organisation.active.is_(True), organisation_scope(actor),
                   Organisation.kind.not_in(("municipal_bureau", "district_bureau")))
            .order_by(Organisation.name).limit(2000))
    return [(r.id, r.name) for r in db.session.execute(stmt)]


def managed_bases(actor: User) -> list[TrainingBase]:
    """The bases the actor manages or coaches at (for the start page of the area)."""
    stmt = sa.select(TrainingBase)
    if is_municipal_official(actor):
        return []
    clauses = []
    if actor.roles & STAFF_ROLES:
        clauses.append(TrainingBase.organisation_id == actor.organisation_id)
    if actor.person_id is not None:
        clauses.append(TrainingBase.id.in_(sa.select(BaseMember.base_id)
                                           .where(BaseMember.person_id == actor.person_id)))
    if not clauses:
        return []
    return list(db.session.scalars(stmt.where(sa.or_(*clauses)).order_by(TrainingBase.name)))


# ---------------------------------------------------------------- facilities

@dataclass
class FacilityData:
    name: str
    kind: FacilityKind
    capacity: int
    skill_codes: list[str] = field(default_factory=list)
    active: bool = True


def _check_facility(data: FacilityData) -> None:
    if not data.name.strip():
        raise DomainError(_("请填写设施名称"), "name")
    if data.capacity < 1:
        raise DomainError(_("容量至少为1"), "capacity")


def add_facility(actor: User, base: TrainingBase, data: FacilityData) -> Facility:
    require(actor, "training_base.manage", base)
    _check_facility(data)
    facility = Facility(base_id=base.id, name=data.name.strip(), kind=data.kind, capacity=data.capacity,
                        active=data.active)
    facility.skills = _occupations(data.skill_codes) if data.skill_codes else []
    with unique_or_domain_error(_("本基地已有同名设施"), "name"):
        db.session.add(facility)
        audit.record(actor, "create", facility, after=audit.snapshot(facility, FACILITY_FIELDS),
                     summary=f"{base.name} · {facility.name}")
    return facility


def update_facility(actor: User, base: TrainingBase, facility: Facility, data: FacilityData) -> Facility:
    require(actor, "training_base.manage", base)
    _check_facility(data)
    before = audit.snapshot(facility, FACILITY_FIELDS)
    with unique_or_domain_error(_("本基地已有同名设施"), "name"):
        facility.name, facility.kind, facility.capacity = data.name.strip(), data.kind, data.capacity
        facility.active = data.active
        facility.skills = _occupations(data.skill_codes) if data.skill_codes else []
        audit.record(actor, "update", facility, before=before, after=audit.snapshot(facility, FACILITY_FIELDS),
                     summary=f"{base.name} · {facility.name}")
    return facility


def facilities_of(base: TrainingBase, active_only: bool = False) -> list[Facility]:
    stmt = sa.select(Facility).where(Facility.base_id == base.id).options(selectinload(Facility.skills))
    if active_only:
        stmt = stmt.where(Facility.active.is_(True))
    return list(db.session.scalars(stmt.order_by(Facility.name, Facility.id)))


def get_facility(base: TrainingBase, facility_id: int) -> Facility:
    facility = db.session.get(Facility, facility_id)
    if facility is None or facility.base_id != base.id:
        raise_not_found()
    return facility


# ---------------------------------------------------------------- coaches and the expert team

@dataclass
class MemberData:
    person_id: int
    role: MemberRole
    occupation_code: str | None = None
    title: str = ""


def add_member(actor: User, base: TrainingBase, data: MemberData) -> BaseMember:
    require(actor, "training_base.manage", base)
    person = db.session.get(Person, data.person_id)
    if person is None:
        raise DomainError(_("人员不存在"), "person_id")
    member = BaseMember(base_id=base.id, person_id=person.id, role=data.role,
                        occupation_code=data.occupation_code or None, title=data.title.strip())
    with unique_or_domain_error(_("此人已是本基地的该类成员"), "person_id"):
        db.session.add(member)
        audit.record(actor, "create", member, after=audit.snapshot(member, MEMBER_FIELDS),
                     summary=f"{base.name} · {person.name}")
    return member


def remove_member(actor: User, base: TrainingBase, member_id: int) -> None:
    require(actor, "training_base.manage", base)
    member = db.session.get(BaseMember, member_id)
    if member is None or member.base_id != base.id:
        raise_not_found()
    audit.record(actor, "delete", member, before=audit.snapshot(member, MEMBER_FIELDS),
                 summary=f"{base.name} · {member.person.name}")
    db.session.delete(member)
    db.session.commit()


def members_of(base: TrainingBase) -> list[BaseMember]:
    return list(db.session.scalars(sa.select(BaseMember).where(BaseMember.base_id == base.id)
                                   .order_by(BaseMember.role, BaseMember.id)))


def coach_choices(base: TrainingBase) -> list[tuple[int, str]]:
    rows = db.session.execute(sa.select(Person.id, Person.name).join(BaseMember, BaseMember.person_id == Person.id)
                              .where(BaseMember.base_id == base.id, BaseMember.role == MemberRole.COACH)
                              .order_by(Person.name))
    return [(r.id, r.name) for r in rows]


def person_choices(actor: User, base: TrainingBase, q: str = "", limit: int = 500) -> list[tuple[int, str]]:
    """People a base manager may add as athletes or members: the host's people and anyone the actor may see."""
    stmt = sa.select(Person.id, Person.name, Person.id_number_masked)
    if not is_municipal_official(actor):
        stmt = stmt.where(sa.or_(people_scope(actor), Person.employer_id == base.organisation_id))
    if q:
        stmt = stmt.where(Person.name.startswith(q, autoescape=True))
    rows = db.session.execute(stmt.order_by(Person.name, Person.id).limit(limit))
    return [(r.id, f"{r.name}（{r.id_number_masked}）") for r in rows]


# ---------------------------------------------------------------- camps

@dataclass
class ModuleData:
    name: str
    criterion_code: str = ""
    planned_hours: Decimal = Decimal("0")


@dataclass
class CampData:
    name: str
    occupation_code: str | None
    starts_on: date
    ends_on: date
    description: str = ""
    athlete_ids: list[int] = field(default_factory=list)
    modules: list[ModuleData] = field(default_factory=list)


def _check_camp(data: CampData) -> None:
    if not data.name.strip():
        raise DomainError(_("请填写集训名称"), "name")
    if data.ends_on < data.starts_on:
        raise DomainError(_("结束日期不能早于开始日期"), "ends_on")


def _people(ids: Iterable[int]) -> list[Person]:
    ids = sorted(set(ids))
    found = list(db.session.scalars(sa.select(Person).where(Person.id.in_(ids)))) if ids else []
    if len(found) != len(ids):
        raise DomainError(_("选手不存在"), "athlete_ids")
    return found


def create_camp(actor: User, base: TrainingBase, data: CampData) -> TrainingCamp:
    require(actor, "training_base.manage", base)
    _check_camp(data)
    camp = TrainingCamp(base_id=base.id, name=data.name.strip(), occupation_code=data.occupation_code or None,
                        starts_on=data.starts_on, ends_on=data.ends_on, description=data.description.strip(),
                        created_by_id=actor.id)
    camp.athletes = _people(data.athlete_ids)
    camp.modules = [CampModule(position=i, name=m.name.strip(), criterion_code=m.criterion_code.strip().upper(),
                               planned_hours=m.planned_hours) for i, m in enumerate(data.modules) if m.name.strip()]
    db.session.add(camp)
    audit.record(actor, "create", camp, after={**audit.snapshot(camp, CAMP_FIELDS),
                                               "athletes": [p.name for p in camp.athletes]}, summary=camp.name)
    db.session.flush()
    schedule_camp_start(camp)  # its start reminds the athletes, coaches and (until planned) the managers
    db.session.commit()
    return camp


def update_camp(actor: User, camp: TrainingCamp, data: CampData) -> TrainingCamp:
    require(actor, "training_base.manage", camp.base)
    _check_camp(data)
    before = {**audit.snapshot(camp, CAMP_FIELDS), "athletes": [p.name for p in camp.athletes]}
    camp.name, camp.occupation_code = data.name.strip(), data.occupation_code or None
    camp.starts_on, camp.ends_on, camp.description = data.starts_on, data.ends_on, data.description.strip()
    camp.athletes = _people(data.athlete_ids)
    audit.record(actor, "update", camp, before=before,
                 after={**audit.snapshot(camp, CAMP_FIELDS), "athletes": [p.name for p in camp.athletes]},
                 summary=camp.name)
    schedule_camp_start(camp)  # a moved start moves its unsent reminders
    db.session.commit()
    return camp


def add_module(actor: User, camp: TrainingCamp, data: ModuleData) -> CampModule:
    require(actor, "training_base.manage", camp.base)
    if not data.name.strip():
        raise DomainError(_("请填写模块名称"), "name")
    module = CampModule(camp_id=camp.id, position=len(camp.modules), name=data.name.strip(),
                        criterion_code=data.criterion_code.strip().upper(), planned_hours=data.planned_hours)
    db.session.add(module)
    audit.record(actor, "create", module, after=audit.snapshot(module, ["name", "criterion_code", "planned_hours"]),
                 summary=f"{camp.name} · {module.name}")
    db.session.commit()
    return module


def get_camp(actor: User, camp_id: int) -> TrainingCamp:
    camp = db.session.scalar(sa.select(TrainingCamp).where(TrainingCamp.id == camp_id)
                             .options(selectinload(TrainingCamp.athletes), selectinload(TrainingCamp.modules)))
    if camp is None:
        raise_not_found()
    require(actor, "training_base.view", camp.base)
    return camp


def camps_of(base: TrainingBase) -> list[tuple[TrainingCamp, int, int]]:
    """Camps of a base, newest first, with athlete and session counts (three queries)."""
    camps = list(db.session.scalars(sa.select(TrainingCamp).where(TrainingCamp.base_id == base.id)
                                    .order_by(TrainingCamp.starts_on.desc(), TrainingCamp.id.desc())))
    ids = [c.id for c in camps]
    athletes = dict(db.session.execute(
        sa.select(camp_athletes.c.camp_id, sa.func.count()).where(camp_athletes.c.camp_id.in_(ids))
        .group_by(camp_athletes.c.camp_id)).tuples().all()) if ids else {}
    sessions = dict(db.session.execute(
        sa.select(TrainingSession.camp_id, sa.func.count()).where(TrainingSession.camp_id.in_(ids))
        .group_by(TrainingSession.camp_id)).tuples().all()) if ids else {}
    return [(c, athletes.get(c.id, 0), sessions.get(c.id, 0)) for c in camps]


# ---------------------------------------------------------------- scheduling

@dataclass
class SessionData:
    facility_id: int
    coach_id: int
    athlete_ids: list[int]
    starts_at: datetime
    ends_at: datetime
    module_id: int | None = None
    title: str = ""


class ClashError(DomainError):
    """The booking clashes; ``messages`` says with what, one line per clash; ``headline`` how many days clash and
    which resources."""

    def __init__(self, messages: list[str], headline: str = ""):
        super().__init__(_("与已有安排冲突，未保存：") + "；".join(messages[:3])
                         + (_("（另有 %(n)d 处冲突）", n=len(messages) - 3) if len(messages) > 3 else ""),
                         "starts_at")
        self.messages = messages
        self.headline = headline


def _check_session(camp: TrainingCamp, data: SessionData) -> Facility:
    facility = db.session.get(Facility, data.facility_id)
    if facility is None or facility.base_id != camp.base_id:
        raise DomainError(_("请选择本基地的设施"), "facility_id")
    if not facility.active:
        raise DomainError(_("该设施已停用"), "facility_id")
    if data.coach_id not in {cid for cid, _name in coach_choices(camp.base)}:
        raise DomainError(_("请选择本基地的教练"), "coach_id")
    if not data.athlete_ids:
        raise DomainError(_("请至少选择一名选手"), "athlete_ids")
    in_camp = {p.id for p in camp.athletes}
    if not set(data.athlete_ids) <= in_camp:
        raise DomainError(_("只能安排本集训的选手"), "athlete_ids")
    if data.module_id is not None and data.module_id not in {m.id for m in camp.modules}:
        raise DomainError(_("训练模块不属于本集训"), "module_id")
    _check_times(camp, data.starts_at, data.ends_at)
    return facility


def _check_times(camp: TrainingCamp, starts_at: datetime, ends_at: datetime) -> None:
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise ValueError("naive datetime")
    if ends_at <= starts_at:
        raise DomainError(_("结束时间须晚于开始时间"), "ends_at")
    if ends_at - starts_at > timedelta(hours=rules.MAX_SESSION_HOURS):
        raise DomainError(_("一次课程不能超过 %(h)d 小时", h=rules.MAX_SESSION_HOURS), "ends_at")
    local_start = starts_at.astimezone(tz()).date()
    if not camp.starts_on <= local_start <= camp.ends_on:
        raise DomainError(_("课程须在集训期间（%(a)s 至 %(b)s）内", a=camp.starts_on.isoformat(),
                            b=camp.ends_on.isoformat()), "starts_at")


def lock_resources(facility_ids: Iterable[int], person_ids: Iterable[int]) -> None:
    """Serialise bookings that could clash: two transactions touching one facility or person wait in turn.

    PostgreSQL: transaction-level advisory locks, taken in one global order (no deadlock). SQLite: a
    write at the start takes the database's write lock, so the clash check and insert run alone.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        keys = sorted({(6001, f) for f in facility_ids} | {(6002, p) for p in person_ids})
        for namespace, key in keys:
            db.session.execute(sa.text("SELECT pg_advisory_xact_lock(:ns, :key)"), {"ns": namespace, "key": key})
    else:
        for facility_id in sorted(set(facility_ids))[:1]:
            db.session.execute(sa.update(Facility).where(Facility.id == facility_id)
                               .values(capacity=Facility.capacity))


def _existing_bookings(facility_ids: set[int], person_ids: set[int], start: datetime, end: datetime,
                       ) -> list[rules.Booking]:
    """Saved sessions in [start, end) that share a facility or a person (as coach or athlete), at any base."""
    earliest = start - timedelta(hours=rules.MAX_SESSION_HOURS)
    in_window = sa.and_(TrainingSession.starts_at < end, TrainingSession.starts_at > earliest,
                        TrainingSession.ends_at > start)
    # Walk the window's sessions (starts_at index) and probe each one's athletes: an athlete's whole history is
    # far longer than a window.
    with_person = sa.exists().where(session_athletes.c.session_id == TrainingSession.id,
                                    session_athletes.c.person_id.in_(person_ids))
    rows = db.session.execute(
        sa.select(TrainingSession.id, TrainingSession.facility_id, TrainingSession.coach_id,
                  TrainingSession.starts_at, TrainingSession.ends_at, TrainingSession.title,
                  Facility.name.label("facility"), TrainingBase.name.label("base"))
        .join(Facility, Facility.id == TrainingSession.facility_id)
        .join(TrainingBase, TrainingBase.id == TrainingSession.base_id)
        .where(in_window, sa.or_(TrainingSession.facility_id.in_(facility_ids),
                                 TrainingSession.coach_id.in_(person_ids), with_person))).all()
    ids = [r.id for r in rows]
    athletes: dict[int, set[int]] = defaultdict(set)
    for start_id in range(0, len(ids), 500):
        chunk = ids[start_id:start_id + 500]
        for sid, pid in db.session.execute(sa.select(session_athletes.c.session_id, session_athletes.c.person_id)
                                           .where(session_athletes.c.session_id.in_(chunk))):
            athletes[sid].add(pid)
    return [rules.Booking(r.id, r.facility_id, r.coach_id, frozenset(athletes[r.id]), r.starts_at, r.ends_at,
                          label=f"{r.title or _('训练')}（{r.base} · {r.facility}，"
                                f"{_local(r.starts_at)}–{_local(r.ends_at, '%H:%M')}）")
            for r in rows]


def clash_messages(clashes: Sequence[rules.Clash]) -> list[str]:
    """One line per clash, naming the booking it clashes with."""
    ids = {c.person_id for c in clashes if c.person_id} | {c.proposed.coach_id for c in clashes if c.kind == "coach"}
    names = dict(db.session.execute(sa.select(Person.id, Person.name).where(Person.id.in_(ids))).tuples().all()) \
        if ids else {}
    out = []
    for c in clashes:
        when = f"{_local(c.proposed.starts_at, '%Y-%m-%d %H:%M')}–{_local(c.proposed.ends_at, '%H:%M')}"
        with_what = "、".join(o.label or _("本次新排的课程") for o in c.others[:2]) or _("选手人数超过设施容量")
        if c.kind == "facility":
            out.append(_("%(when)s 设施已满（容量 %(cap)d，同时段 %(peak)d 人）：%(other)s",
                         when=when, cap=c.capacity or 0, peak=c.peak or 0, other=with_what))
        elif c.kind == "coach":
            out.append(_("%(when)s 教练 %(name)s 已有安排：%(other)s", when=when,
                         name=names.get(c.proposed.coach_id, ""), other=with_what))
        else:
            out.append(_("%(when)s 选手 %(name)s 已有安排：%(other)s", when=when,
                         name=names.get(c.person_id or 0, ""), other=with_what))
    return out


def clash_headline(clashes: Sequence[rules.Clash], facility: Facility) -> str:
    """"2 天冲突（2027-01-06、2027-01-13）：数控车实训车间、陈教练": the days, then the resources that clash."""
    summary = rules.summarise_clashes(clashes, tz())
    ids = {rid for kind, rid in summary.resources if kind != "facility"}
    names = dict(db.session.execute(sa.select(Person.id, Person.name).where(Person.id.in_(ids))).tuples().all()) \
        if ids else {}
    resources = [facility.name if kind == "facility" else names.get(rid, "") for kind, rid in summary.resources]
    shown = "、".join(day.isoformat() for day in summary.days[:5]) + (_(" 等") if len(summary.days) > 5 else "")
    return str(_("%(n)d 天冲突（%(days)s）：%(resources)s", n=len(summary.days), days=shown,
                 resources="、".join(r for r in resources if r)))


def _book(actor: User, camp: TrainingCamp, data: SessionData, intervals: list[tuple[datetime, datetime]],
          series_key: str | None, moving: TrainingSession | None = None) -> list[TrainingSession]:
    """Check every interval for clashes under the locks and save all of them, or none."""
    facility = _check_session(camp, data)
    person_ids = set(data.athlete_ids) | {data.coach_id}
    lock_resources([facility.id], person_ids)
    proposed = [rules.Booking(moving.id if moving else None, facility.id, data.coach_id,
                              frozenset(data.athlete_ids), s, e) for s, e in intervals]
    existing = _existing_bookings({facility.id}, person_ids, min(s for s, _e in intervals),
                                  max(e for _s, e in intervals))
    clashes = rules.find_clashes(proposed, existing, {facility.id: facility.capacity})
    if clashes:
        db.session.rollback()
        raise ClashError(clash_messages(clashes), clash_headline(clashes, facility))
    changes = tallies.Changes()  # the officials' tab reads the tallies (app/training_bases/tallies.py)
    if moving is not None:
        logged = moving.log.actual_hours if moving.log is not None else Decimal(0)
        changes.session(moving.base_id, moving.starts_at, moving.ends_at, -1, logged)
        moving.starts_at, moving.ends_at = intervals[0]
        changes.session(moving.base_id, moving.starts_at, moving.ends_at, 1, logged).apply()
        return [moving]
    athletes = _people(data.athlete_ids)
    sessions = [TrainingSession(camp_id=camp.id, base_id=camp.base_id, facility_id=facility.id, coach_id=data.coach_id,
                                module_id=data.module_id, title=data.title.strip(), starts_at=s, ends_at=e,
                                series_key=series_key, created_by_id=actor.id, athletes=list(athletes))
                for s, e in intervals]
    db.session.add_all(sessions)
    for s, e in intervals:
        changes.session(camp.base_id, s, e)
    changes.apply()
    return sessions


def _require_schedule(actor: User, camp: TrainingCamp) -> None:
    require(actor, "training_session.schedule", camp.base)


def schedule_session(actor: User, camp: TrainingCamp, data: SessionData) -> TrainingSession:
    _require_schedule(actor, camp)
    (session,) = _book(actor, camp, data, [(data.starts_at, data.ends_at)], None)
    audit.record(actor, "create", session, after=audit.snapshot(session, SESSION_FIELDS),
                 summary=f"{camp.name} · {_local(session.starts_at)}")
    db.session.commit()
    return session


#: chinesecalendar's holiday names, as the pages say them.
HOLIDAY_NAMES = {
    "New Year's Day": _l("元旦"), "Spring Festival": _l("春节"), "Tomb-sweeping Day": _l("清明节"),
    "Labour Day": _l("劳动节"), "Dragon Boat Festival": _l("端午节"), "National Day": _l("国庆节"),
    "Mid-autumn Festival": _l("中秋节"), "Anti-Fascist 70th Day": _l("中国人民抗日战争胜利纪念日"),
}


@dataclass
class SeriesOutcome:
    """A saved series, and the public holidays among its dates: skipped, or kept when the scheduler asked to."""

    sessions: list[TrainingSession]
    #: (day, holiday name as shown) of the series' dates that are statutory public holidays.
    holidays: list[tuple[date, str]]
    holidays_kept: bool
    #: Years whose holidays the table does not know yet: their dates were not checked.
    unknown_years: tuple[int, ...]


def holidays_among(days: Iterable[date]) -> tuple[list[tuple[date, str]], tuple[int, ...]]:
    """The statutory public holidays among ``days`` with their names, and the years that could not be checked."""
    check = rules.public_holidays(days)
    return [(day, str(HOLIDAY_NAMES.get(name, name))) for day, name in check.holidays], check.unknown_years


def schedule_series(actor: User, camp: TrainingCamp, data: SessionData, recurrence: rules.Recurrence,
                    keep_holidays: bool = False) -> SeriesOutcome:
    """All occurrences in one transaction, or none; a ClashError lists every clash. Dates that are statutory
    public holidays (元旦, 国庆…) are skipped unless ``keep_holidays``; either way the outcome names them."""
    _require_schedule(actor, camp)
    try:
        intervals = rules.expand(recurrence)
    except ValueError as exc:
        raise DomainError(_("重复规则无效（请检查日期、星期和时间，一次最多 %(n)d 次）", n=rules.MAX_SERIES),
                          "weekdays") from exc
    if not intervals:
        raise DomainError(_("所选日期范围内没有符合的星期"), "weekdays")
    holidays, unknown_years = holidays_among(s.astimezone(tz()).date() for s, _e in intervals)
    if holidays and not keep_holidays:
        off = {day for day, _name in holidays}
        intervals = [(s, e) for s, e in intervals if s.astimezone(tz()).date() not in off]
        if not intervals:
            raise DomainError(_("所选日期都是法定节假日：%(days)s。如确需安排，请勾选“节假日照常安排”。",
                                days=holiday_list(holidays)), "weekdays")
    data = SessionData(**{**data.__dict__, "starts_at": intervals[0][0], "ends_at": intervals[0][1]})
    for s, e in intervals[1:]:
        _check_times(camp, s, e)
    sessions = _book(actor, camp, data, intervals, uuid.uuid4().hex)
    db.session.flush()
    for session in sessions:
        audit.record(actor, "create", session, after=audit.snapshot(session, SESSION_FIELDS),
                     summary=f"{camp.name} · {_local(session.starts_at)}")
    db.session.commit()
    return SeriesOutcome(sessions, holidays, keep_holidays, unknown_years)


def holiday_list(holidays: list[tuple[date, str]]) -> str:
    """"2026-10-01（国庆节）、2026-10-02（国庆节）"."""
    return "、".join(f"{day.isoformat()}（{name}）" for day, name in holidays)


def move_session(actor: User, session: TrainingSession, starts_at: datetime, ends_at: datetime) -> TrainingSession:
    """Move a session (a drag on the calendar); refused with the clash when the new time is taken."""
    camp = session.camp
    _require_schedule(actor, camp)
    if session.log is not None:
        raise DomainError(_("已记录训练日志的课程不能再调整时间"), "starts_at")
    before = audit.snapshot(session, SESSION_FIELDS)
    data = SessionData(facility_id=session.facility_id, coach_id=session.coach_id,
                       athlete_ids=[p.id for p in session.athletes], starts_at=starts_at, ends_at=ends_at,
                       module_id=session.module_id, title=session.title)
    _book(actor, camp, data, [(starts_at, ends_at)], None, moving=session)
    audit.record(actor, "move", session, before=before, after=audit.snapshot(session, SESSION_FIELDS),
                 summary=f"{camp.name} · {_local(session.starts_at)}")
    db.session.commit()
    return session


def cancel_session(actor: User, session: TrainingSession) -> None:
    _require_schedule(actor, session.camp)
    if session.log is not None:
        raise DomainError(_("已记录训练日志的课程不能取消"))
    audit.record(actor, "cancel", session, before=audit.snapshot(session, SESSION_FIELDS),
                 summary=f"{session.camp.name} · {_local(session.starts_at)}")
    tallies.Changes().session(session.base_id, session.starts_at, session.ends_at, -1).apply()
    db.session.delete(session)
    db.session.commit()


def get_session(actor: User, session_id: int) -> TrainingSession:
    session = db.session.scalar(sa.select(TrainingSession).where(TrainingSession.id == session_id)
                                .options(selectinload(TrainingSession.athletes)))
    if session is None:
        raise_not_found()
    require(actor, "training_base.view", session.camp.base)
    return session


def sessions_of_camp(camp: TrainingCamp, limit: int = 500) -> list[TrainingSession]:
    return list(db.session.scalars(
        sa.select(TrainingSession).where(TrainingSession.camp_id == camp.id)
        .options(selectinload(TrainingSession.facility), selectinload(TrainingSession.coach),
                 selectinload(TrainingSession.log), selectinload(TrainingSession.module))
        .order_by(TrainingSession.starts_at).limit(limit)))


def calendar_events(actor: User, base: TrainingBase, start: datetime, end: datetime) -> list[dict[str, object]]:
    """The base's sessions in [start, end) as FullCalendar events (two queries, whatever the count), times in
    Beijing wall-clock time."""
    require(actor, "training_base.view", base)
    earliest = start - timedelta(hours=rules.MAX_SESSION_HOURS)
    rows = db.session.execute(
        sa.select(TrainingSession.id, TrainingSession.title, TrainingSession.starts_at, TrainingSession.ends_at,
                  TrainingSession.camp_id, Facility.name.label("facility"), Person.name.label("coach"),
                  SessionLog.id.label("log_id"))
        .join(Facility, Facility.id == TrainingSession.facility_id)
        .join(Person, Person.id == TrainingSession.coach_id)
        .outerjoin(SessionLog, SessionLog.session_id == TrainingSession.id)
        .where(TrainingSession.base_id == base.id, TrainingSession.starts_at < end,
               TrainingSession.starts_at > earliest, TrainingSession.ends_at > start)
        .order_by(TrainingSession.starts_at).limit(5000)).all()
    ids = [r.id for r in rows]
    counts = dict(db.session.execute(
        sa.select(session_athletes.c.session_id, sa.func.count()).where(session_athletes.c.session_id.in_(ids))
        .group_by(session_athletes.c.session_id)).tuples().all()) if ids else {}
    training, people, zone, fmt = _("训练"), _("人"), tz(), "%Y-%m-%dT%H:%M:%S"
    # Times as Beijing wall-clock times without a zone: the calendar shows them as they are.
    return [{
        "id": str(r.id), "title": f"{r.title or training} · {r.facility} · {r.coach} · {counts.get(r.id, 0)}{people}",
        "start": r.starts_at.astimezone(zone).strftime(fmt), "end": r.ends_at.astimezone(zone).strftime(fmt),
        "editable": r.log_id is None,
        "classNames": ["session-logged"] if r.log_id else ["session-open"],
        # Logged sessions are green and fixed; open ones blue and draggable.
        "color": "#2e7d32" if r.log_id else "#1f5fa8",
    } for r in rows]


# ---------------------------------------------------------------- coach logs

@dataclass
class AttendanceData:
    person_id: int
    status: Attendance
    reason: str = ""


@dataclass
class ScoreData:
    person_id: int
    criterion: str
    score: Decimal
    kind: ScoreKind = ScoreKind.MOCK_TEST
    max_score: Decimal = Decimal("100")


@dataclass
class LogData:
    actual_hours: Decimal
    content: str
    notes: str = ""
    attendance: list[AttendanceData] = field(default_factory=list)
    scores: list[ScoreData] = field(default_factory=list)


def correction_days(on: date) -> int:
    value = value_in_force("training_base.log_correction_days", on=on)
    return int(value) if value is not None else 7


def may_log(actor: User, session: TrainingSession, now: datetime) -> bool:
    if not can(actor, "training_session.log"):
        return False
    is_coach = actor.has_role(Role.COACH) and actor.person_id == session.coach_id
    return rules.may_correct_log(is_session_coach=is_coach, is_base_manager=is_base_manager(actor, session.camp.base),
                                 session_ends_at=session.ends_at, now=now,
                                 correction_days=correction_days(now.astimezone(tz()).date()))


def _check_log(session: TrainingSession, data: LogData, now: datetime) -> None:
    if session.starts_at > now:
        raise DomainError(_("课程尚未开始，不能记录日志"))
    if not Decimal("0") <= data.actual_hours <= Decimal("24"):
        raise DomainError(_("实际学时应在 0–24 之间"), "actual_hours")
    athletes = {p.id for p in session.athletes}
    marked = [a.person_id for a in data.attendance]
    if sorted(marked) != sorted(athletes):
        raise DomainError(_("请为每位选手登记出勤"), "attendance")
    for a in data.attendance:
        if a.status is Attendance.ABSENT and not a.reason.strip():
            raise DomainError(_("缺勤须填写原因"), "attendance")
    seen: set[tuple[int, str]] = set()
    absent = {a.person_id for a in data.attendance if a.status is Attendance.ABSENT}
    for s in data.scores:
        if s.person_id not in athletes:
            raise DomainError(_("成绩只能登记给本课程的选手"), "scores")
        if s.person_id in absent:
            raise DomainError(_("缺勤的选手不能登记成绩"), "scores")
        if not s.criterion.strip():
            raise DomainError(_("请填写评分项"), "scores")
        if not Decimal("0") <= s.score <= s.max_score or s.max_score <= 0:
            raise DomainError(_("成绩应在 0 与满分之间"), "scores")
        if (s.person_id, s.criterion.strip()) in seen:
            raise DomainError(_("同一选手的同一评分项只能登记一次"), "scores")
        seen.add((s.person_id, s.criterion.strip()))


def _log_snapshot(log: SessionLog) -> dict[str, object]:
    return {**audit.snapshot(log, LOG_FIELDS),
            "attendance": sorted(f"{a.person_id}:{a.status.value}" for a in log.attendance),
            "scores": sorted(f"{s.person_id}:{s.criterion}={s.score}" for s in log.scores)}


def log_session(actor: User, session: TrainingSession, data: LogData, now: datetime) -> SessionLog:
    """The session's coach writes (or corrects, within the policy window) the log; later only the base manager."""
    require(actor, "training_session.log")
    if not may_log(actor, session, now):
        if actor.person_id == session.coach_id and actor.has_role(Role.COACH):
            raise DomainError(_("日志只能在课程结束后 %(n)d 天内更正，请联系基地管理员",
                                n=correction_days(now.astimezone(tz()).date())))
        raise DomainError(_("只有本课程的教练可以记录训练日志"))
    _check_log(session, data, now)
    log = session.log
    before = _log_snapshot(log) if log is not None else None
    hours_before = log.actual_hours if log is not None else Decimal(0)
    if log is None:
        log = SessionLog(session_id=session.id, logged_by_id=actor.id, logged_at=now)
        db.session.add(log)
    else:
        log.updated_by_id, log.updated_at = actor.id, now
        # Delete the old rows first: the unit of work would insert the new ones before deleting the old.
        log.attendance, log.scores = [], []
        db.session.flush()
    log.actual_hours = data.actual_hours.quantize(Decimal("0.01"))
    tallies.Changes().log(session.base_id, session.starts_at, log.actual_hours - hours_before).apply()
    log.content, log.notes = data.content.strip(), data.notes.strip()
    log.attendance = [AttendanceRecord(person_id=a.person_id, status=a.status, reason=a.reason.strip())
                      for a in data.attendance]
    log.scores = [LogScore(person_id=s.person_id, criterion=s.criterion.strip(), score=s.score,
                           max_score=s.max_score, kind=s.kind) for s in data.scores]
    if before is None:
        db.session.flush()
    late = before is not None and actor.person_id != session.coach_id
    audit.record(actor, "correct" if before is not None else "create", log, before=before, after=_log_snapshot(log),
                 summary=(_("基地管理员更正") + " · " if late else "") + f"{session.camp.name} · "
                         f"{_local(session.starts_at)}")
    db.session.commit()
    return log


# ---------------------------------------------------------------- progress

@dataclass
class AthleteProgress:
    person: Person
    start: date
    end: date
    weeks: list[tuple[date, Decimal]]
    modules: list[tuple[str, Decimal]]
    scores: list[tuple[datetime, str, Decimal, Decimal, ScoreKind]]
    attendance: dict[str, int]
    total_hours: Decimal


def may_view_progress(actor: User, person: Person) -> bool:
    if actor.person_id == person.id or is_municipal_official(actor):
        return True
    if (official_district(actor) is not None or actor.roles & STAFF_ROLES) and can(actor, "person.view", person):
        return True
    # Managers and coaches of a base where the person trains.
    bases = list(db.session.scalars(sa.select(TrainingBase).join(TrainingCamp, TrainingCamp.base_id == TrainingBase.id)
                                    .join(camp_athletes, camp_athletes.c.camp_id == TrainingCamp.id)
                                    .where(camp_athletes.c.person_id == person.id).distinct()))
    return any(can(actor, "training_session.schedule", b) for b in bases)


def _day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return datetime.combine(start, time(0), tz()), datetime.combine(end + timedelta(days=1), time(0), tz())


def trains_as_athlete(actor: User) -> bool:
    """Whether the signed-in user's person has ever been on a session's attendance list (one indexed EXISTS):
    only athletes are offered "my training progress" (a coach or an expert is a person too)."""
    if actor.person_id is None:
        return False
    return bool(db.session.scalar(sa.select(sa.exists().where(AttendanceRecord.person_id == actor.person_id))))


def athlete_progress(actor: User, person: Person, start: date, end: date) -> AthleteProgress:
    """Hours per week and per module, attendance and scores over time, for one athlete (three queries)."""
    if not may_view_progress(actor, person):
        deny()
    lo, hi = _day_bounds(start, end)
    rows = db.session.execute(
        sa.select(TrainingSession.starts_at, SessionLog.actual_hours, AttendanceRecord.status,
                  CampModule.name.label("module"))
        .select_from(AttendanceRecord)
        .join(SessionLog, SessionLog.id == AttendanceRecord.log_id)
        .join(TrainingSession, TrainingSession.id == SessionLog.session_id)
        .outerjoin(CampModule, CampModule.id == TrainingSession.module_id)
        .where(AttendanceRecord.person_id == person.id, TrainingSession.starts_at >= lo,
               TrainingSession.starts_at < hi)).all()
    weeks: dict[date, Decimal] = {}
    week = rules.week_start(start)
    while week <= end:
        weeks[week] = Decimal("0")
        week += timedelta(days=7)
    modules: dict[str, Decimal] = defaultdict(Decimal)
    attendance = {a.value: 0 for a in Attendance}
    total = Decimal("0")
    zone, no_module = tz(), _("未分模块")
    for r in rows:
        attendance[r.status.value] += 1
        if not r.status.counts_hours:
            continue
        wk = rules.week_start(r.starts_at.astimezone(zone).date())
        weeks[wk] = weeks.get(wk, Decimal("0")) + r.actual_hours
        modules[r.module or no_module] += r.actual_hours
        total += r.actual_hours
    scores = [(r.starts_at, r.criterion, r.score, r.max_score, r.kind) for r in db.session.execute(
        sa.select(TrainingSession.starts_at, LogScore.criterion, LogScore.score, LogScore.max_score, LogScore.kind)
        .select_from(LogScore)
        .join(SessionLog, SessionLog.id == LogScore.log_id)
        .join(TrainingSession, TrainingSession.id == SessionLog.session_id)
        .where(LogScore.person_id == person.id, TrainingSession.starts_at >= lo, TrainingSession.starts_at < hi)
        .order_by(TrainingSession.starts_at, LogScore.criterion))]
    return AthleteProgress(person, start, end, sorted(weeks.items()), sorted(modules.items()), scores,
                           attendance, total)


@dataclass
class FacilityUse:
    facility: Facility
    booked_hours: Decimal
    available_hours: Decimal
    share: Decimal


@dataclass
class BaseReport:
    base: TrainingBase
    start: date
    end: date
    facilities: list[FacilityUse]
    athletes: list[tuple[int, str, Decimal, int]]
    sessions: int


def base_report(actor: User, base: TrainingBase, start: date, end: date) -> BaseReport:
    """Facility utilisation (booked ÷ available hours) and logged hours per athlete for a period."""
    require(actor, "training_session.schedule", base)
    lo, hi = _day_bounds(start, end)
    per_day = value_in_force("training_base.facility_hours_per_day", on=start) or Decimal("8")
    days = (end - start).days + 1
    booked: dict[int, Decimal] = defaultdict(Decimal)
    n_sessions = 0
    for facility_id, s, e in db.session.execute(
            sa.select(TrainingSession.facility_id, TrainingSession.starts_at, TrainingSession.ends_at)
            .where(TrainingSession.base_id == base.id, TrainingSession.starts_at >= lo,
                   TrainingSession.starts_at < hi)).tuples():
        booked[facility_id] += rules.session_hours(s, e)
        n_sessions += 1
    uses = []
    for f in facilities_of(base):
        available = Decimal(per_day) * days
        uses.append(FacilityUse(f, booked[f.id], available, rules.utilisation(booked[f.id], available)))
    hours = sa.func.sum(sa.case((AttendanceRecord.status != Attendance.ABSENT, SessionLog.actual_hours), else_=0))
    athletes = [(r.id, r.name, Decimal(r.hours or 0).quantize(Decimal("0.01")), r.sessions) for r in db.session.execute(
        sa.select(Person.id, Person.name, hours.label("hours"), sa.func.count().label("sessions"))
        .select_from(AttendanceRecord)
        .join(Person, Person.id == AttendanceRecord.person_id)
        .join(SessionLog, SessionLog.id == AttendanceRecord.log_id)
        .join(TrainingSession, TrainingSession.id == SessionLog.session_id)
        .where(TrainingSession.base_id == base.id, TrainingSession.starts_at >= lo, TrainingSession.starts_at < hi)
        .group_by(Person.id, Person.name).order_by(Person.name).limit(2000))]
    return BaseReport(base, start, end, uses, athletes, n_sessions)


# ---------------------------------------------------------------- exports

def sessions_for_export(actor: User, base: TrainingBase, start: date, end: date, limit: int = 50_000
                        ) -> list[TrainingSession]:
    require(actor, "training_session.schedule", base)
    lo, hi = _day_bounds(start, end)
    return list(db.session.scalars(
        sa.select(TrainingSession).where(TrainingSession.base_id == base.id, TrainingSession.starts_at >= lo,
                                         TrainingSession.starts_at < hi)
        .options(selectinload(TrainingSession.facility), selectinload(TrainingSession.coach),
                 selectinload(TrainingSession.camp), selectinload(TrainingSession.module),
                 selectinload(TrainingSession.athletes),
                 selectinload(TrainingSession.log).selectinload(SessionLog.attendance)
                 .selectinload(AttendanceRecord.person),
                 selectinload(TrainingSession.log).selectinload(SessionLog.scores).selectinload(LogScore.person))
        .order_by(TrainingSession.starts_at, TrainingSession.id).limit(limit)))


def sessions_for_person(actor: User, person: Person, as_coach: bool, start: datetime, end: datetime
                        ) -> list[TrainingSession]:
    """A coach's or an athlete's sessions in a window, for their iCalendar feed."""
    if not may_view_progress(actor, person):
        deny()
    stmt = sa.select(TrainingSession).where(TrainingSession.starts_at >= start, TrainingSession.starts_at < end)
    if as_coach:
        stmt = stmt.where(TrainingSession.coach_id == person.id)
    else:
        stmt = stmt.where(TrainingSession.id.in_(sa.select(session_athletes.c.session_id)
                                                 .where(session_athletes.c.person_id == person.id)))
    return list(db.session.scalars(stmt.options(selectinload(TrainingSession.facility),
                                                selectinload(TrainingSession.coach),
                                                selectinload(TrainingSession.camp))
                                   .order_by(TrainingSession.starts_at).limit(5000)))
