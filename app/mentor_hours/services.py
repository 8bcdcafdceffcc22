"""Use cases of 带徒学时: logging (mentors), monthly submission, dispute and confirmation (apprentices), approval,
reopening and allowance rules (enterprise HR), statements, and the city's monthly figures.

Each function checks permission at its boundary, owns its transaction and records audit rows. Functions that
depend on the clock take ``today`` (a date in Shanghai) and/or ``now`` (an aware datetime).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from app.apprenticeships.enums import EnrollmentStatus
from app.apprenticeships.models import Enrollment, MentorAssignment, PlanModule
from app.auth.mentor_hours import can_view, is_apprentice_of, is_hr_of, is_mentor_of
from app.auth.permissions import is_municipal_official, official_district, require
from app.core import audit
from app.core.enums import District, Role
from app.core.models import Person, User
from app.core.policy import value_in_force
from app.core.services import raise_not_found, unique_or_domain_error
from app.errors import DomainError
from app.extensions import db
from app.i18n import gettext
from app.mentor_hours import rules, tallies
from app.mentor_hours.models import AllowanceKind, AllowanceRule, HourEntry, HourMonth, MonthStatus
from app.reminders.services import schedule_deadline

ENTRY_FIELDS = ["assignment_id", "worked_on", "starts_at", "ends_at", "hours", "module_id", "content", "place",
                "dispute"]
MONTH_FIELDS = ["status", "hours", "allowance", "note"]
RULE_FIELDS = ["enterprise_id", "effective_from", "kind", "amount", "monthly_cap", "completion_bonus",
               "refund_on_early_end", "note"]
SUBMISSION_KIND = "mentor_hours.month_submission"
SHANGHAI = ZoneInfo("Asia/Shanghai")
#: Hours may be logged for these enrollments (approved and on).
LOGGABLE = (EnrollmentStatus.APPROVED, EnrollmentStatus.IN_TRAINING, EnrollmentStatus.ASSESSED,
            EnrollmentStatus.COMPLETED, EnrollmentStatus.WITHDRAWN)
EDITABLE = (MonthStatus.OPEN, MonthStatus.DISPUTED)


@cache
def _assignment_by_id() -> sa.Select[tuple[MentorAssignment]]:
    """The assignment bound as ``assignment_id`` with its enrollment and apprentice: built once per process (its
    loader options cost more Python than running it)."""
    return (sa.select(MentorAssignment).where(MentorAssignment.id == sa.bindparam("assignment_id"))
            .options(joinedload(MentorAssignment.enrollment).joinedload(Enrollment.person)))


def get_assignment(actor: User, assignment_id: int) -> MentorAssignment:
    a = db.session.scalar(_assignment_by_id(), {"assignment_id": assignment_id})
    if a is None or not can_view(actor, a):
        raise_not_found()
    return a


def get_assignment_to_log(actor: User, assignment_id: int) -> MentorAssignment:
    """An assignment whose hours the actor logs: the mentor's own (anyone else: not found)."""
    require(actor, "mentor_hours.log")
    a = get_assignment(actor, assignment_id)
    if not is_mentor_of(actor, a):
        raise_not_found()
    return a


def get_entry_to_edit(actor: User, entry_id: int) -> HourEntry:
    """An entry the actor may correct: one the mentor logged (anyone else: not found)."""
    require(actor, "mentor_hours.log")
    entry = get_entry(actor, entry_id)
    if not is_mentor_of(actor, entry.assignment):
        raise_not_found()
    return entry


def get_entry(actor: User, entry_id: int) -> HourEntry:
    entry = db.session.get(HourEntry, entry_id)
    if entry is None or not can_view(actor, entry.assignment):
        raise_not_found()
    return entry


def my_assignments(actor: User) -> list[MentorAssignment]:
    """The mentor's apprentices (loggable enrollments), apprentice name order."""
    if actor.person_id is None or not actor.has_role(Role.MENTOR):
        return []
    return list(db.session.scalars(
        sa.select(MentorAssignment).join(Enrollment, Enrollment.id == MentorAssignment.enrollment_id)
        .join(Person, Person.id == Enrollment.person_id)
        .where(MentorAssignment.mentor_id == actor.person_id, Enrollment.status.in_(LOGGABLE))
        .order_by(Person.name, MentorAssignment.id)
        .options(joinedload(MentorAssignment.enrollment).joinedload(Enrollment.person))))


# ---------------------------------------------------------------- logging

@dataclass
class EntryData:
    assignment_id: int | None
    worked_on: date | None
    starts_at: time | None = None
    ends_at: time | None = None
    hours: Decimal | None = None
    module_id: int | None = None
    content: str = ""
    place: str = ""


@cache
def _sheet_statement() -> sa.Select[tuple[HourMonth]]:
    """The month sheet of the assignment and month bound as ``assignment_id`` and ``month``: built once per process."""
    return sa.select(HourMonth).where(HourMonth.assignment_id == sa.bindparam("assignment_id"),
                                      HourMonth.month == sa.bindparam("month"))


def _sheet(assignment_id: int, month: date) -> HourMonth | None:
    return db.session.scalar(_sheet_statement(), {"assignment_id": assignment_id, "month": month})


def _open_sheet(a: MentorAssignment, month: date, now: datetime) -> HourMonth:
    """The month's sheet, made (and its submission deadline scheduled) at the month's first entry."""
    sheet = _sheet(a.id, month)
    if sheet is None:
        sheet = HourMonth(assignment_id=a.id, enrollment_id=a.enrollment_id, mentor_id=a.mentor_id,
                          enterprise_id=a.enrollment.enterprise_id, district=a.enrollment.district, month=month)
        db.session.add(sheet)
        schedule_submission_deadline(month, a.enrollment.district, now)
    return sheet


def _retotal(sheet: HourMonth | None) -> None:
    """A month's hours are the sum of its entries at every write, so an open month shows its running total."""
    if sheet is None:
        return
    db.session.flush()
    sheet.hours = Decimal(db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(HourEntry.hours), 0)).where(
        HourEntry.assignment_id == sheet.assignment_id, HourEntry.month == sheet.month)))


def schedule_submission_deadline(month: date, district: District | None, now: datetime) -> None:
    day = int(value_in_force("mentor.submission_day", rules.month_end(month), district=district) or 5)
    due = rules.submission_due(month, day)
    due_at = datetime.combine(due, time(18, 0), SHANGHAI).astimezone(UTC)
    schedule_deadline(SUBMISSION_KIND, month.strftime("%Y-%m"), due_at, now=now)


def _check_entry(actor: User, data: EntryData, today: date) -> tuple[MentorAssignment, Decimal, date]:
    if data.assignment_id is None:
        raise DomainError(_("请选择学徒"), "assignment_id")
    a = db.session.get(MentorAssignment, data.assignment_id)
    if a is None or not is_mentor_of(actor, a):
        raise DomainError(_("只能为自己带教的学徒登记学时"), "assignment_id")
    if a.enrollment.status not in LOGGABLE:
        raise DomainError(_("该学徒尚未备案，不能登记学时"), "assignment_id")
    if data.worked_on is None:
        raise DomainError(_("请填写日期"), "worked_on")
    if data.worked_on > today:
        raise DomainError(_("不能登记将来的学时"), "worked_on")
    e = a.enrollment
    if e.withdrawn_on is not None and data.worked_on > e.withdrawn_on:
        raise DomainError(_("%(name)s 已于 %(d)s 退出学徒培训，之后的学时不能登记",
                            name=e.person.name, d=e.withdrawn_on.isoformat()), "worked_on")
    if not e.starts_on <= data.worked_on <= e.ends_on:
        raise DomainError(_("%(d)s 不在 %(name)s 的培训期（%(a)s 至 %(b)s）内，不能登记", d=data.worked_on.isoformat(),
                            name=e.person.name, a=e.starts_on.isoformat(), b=e.ends_on.isoformat()), "worked_on")
    if (data.starts_at is None) != (data.ends_at is None):
        raise DomainError(_("请同时填写开始和结束时间"), "ends_at")
    if data.starts_at is not None and data.ends_at is not None:
        if data.ends_at <= data.starts_at:
            raise DomainError(_("结束时间须晚于开始时间"), "ends_at")
        hours = rules.hours_between(data.starts_at, data.ends_at)
    elif data.hours is not None:
        hours = data.hours
    else:
        raise DomainError(_("请填写起止时间或学时数"), "hours")
    if not (Decimal(0) < hours <= Decimal(24)):
        raise DomainError(_("学时须大于 0 且不超过 24"), "hours")
    worked_on = data.worked_on
    if data.module_id is not None:
        module = db.session.get(PlanModule, data.module_id)
        if module is None or module.enrollment_id != a.enrollment_id:
            raise DomainError(_("请选择该学徒培训计划中的模块"), "module_id")
    if not data.content.strip():
        raise DomainError(_("请填写带教内容"), "content")
    return a, hours, worked_on


def _locked_message(sheet: HourMonth) -> str:
    if sheet.status is MonthStatus.APPROVED:
        return str(_("该月已审批锁定，如需修改请企业重新打开"))
    return str(_("该月已提交，学徒确认或提出异议前不能修改"))


def log_entry(actor: User, data: EntryData, today: date, now: datetime) -> HourEntry:
    require(actor, "mentor_hours.log")
    a, hours, worked_on = _check_entry(actor, data, today)
    month = rules.month_start(worked_on)
    sheet = _open_sheet(a, month, now)
    if sheet.status not in EDITABLE:
        raise DomainError(_locked_message(sheet), "worked_on")
    entry = HourEntry(assignment_id=a.id, enrollment_id=a.enrollment_id, mentor_id=a.mentor_id,
                      enterprise_id=a.enrollment.enterprise_id, district=a.enrollment.district,
                      worked_on=worked_on, month=month, starts_at=data.starts_at, ends_at=data.ends_at,
                      hours=hours, module_id=data.module_id, content=data.content.strip()[:200],
                      place=data.place.strip()[:100], logged_by_id=actor.id, logged_on=today,
                      lag_days=(today - worked_on).days, created_at=now)
    db.session.add(entry)
    audit.record(actor, "create", entry, after=audit.snapshot(entry, ENTRY_FIELDS),
                 summary=f"{a.enrollment.person.name} {worked_on.isoformat()} {hours}h")
    _retotal(sheet)
    db.session.commit()
    return entry


def update_entry(actor: User, entry: HourEntry, data: EntryData, today: date, now: datetime) -> HourEntry:
    """A mentor corrects an entry of an open or disputed month (it may move to another day of that month)."""
    require(actor, "mentor_hours.log")
    data.assignment_id = entry.assignment_id
    a, hours, worked_on = _check_entry(actor, data, today)
    sheet = _sheet(a.id, entry.month)
    if sheet is not None and sheet.status not in EDITABLE:
        raise DomainError(_locked_message(sheet), "worked_on")
    if rules.month_start(worked_on) != entry.month:
        raise DomainError(_("更正只能在同一个月内调整日期"), "worked_on")
    before = audit.snapshot(entry, ENTRY_FIELDS)
    entry.worked_on, entry.starts_at, entry.ends_at, entry.hours = worked_on, data.starts_at, data.ends_at, hours
    entry.module_id, entry.content, entry.place = data.module_id, data.content.strip()[:200], data.place.strip()[:100]
    entry.dispute = ""
    entry.lag_days = (entry.logged_on - entry.worked_on).days
    audit.record(actor, "correct", entry, before=before, after=audit.snapshot(entry, ENTRY_FIELDS),
                 summary=f"{a.enrollment.person.name} {entry.worked_on.isoformat()}")
    _retotal(sheet)
    db.session.commit()
    return entry


def delete_entry(actor: User, entry: HourEntry) -> None:
    require(actor, "mentor_hours.log")
    if not is_mentor_of(actor, entry.assignment):
        raise_not_found()
    sheet = _sheet(entry.assignment_id, entry.month)
    if sheet is not None and sheet.status not in EDITABLE:
        raise DomainError(_locked_message(sheet), "worked_on")
    audit.record(actor, "delete", entry, before=audit.snapshot(entry, ENTRY_FIELDS))
    db.session.delete(entry)
    _retotal(sheet)
    db.session.commit()


def defaults(actor: User) -> dict[str, object]:
    """What the quick form starts with: the mentor's last entry's apprentice, module, times, content and place."""
    if actor.person_id is None:
        return {}
    last = db.session.scalar(sa.select(HourEntry).where(HourEntry.mentor_id == actor.person_id,
                                                        HourEntry.logged_by_id == actor.id)
                             .order_by(HourEntry.id.desc()).limit(1))
    if last is None:
        return {}
    return {"assignment_id": last.assignment_id, "module_id": last.module_id, "starts_at": last.starts_at,
            "ends_at": last.ends_at, "hours": None if last.starts_at else last.hours, "content": last.content,
            "place": last.place}


def week_entries(a: MentorAssignment, days: list[date]) -> dict[date, list[HourEntry]]:
    rows = db.session.scalars(sa.select(HourEntry).where(
        HourEntry.assignment_id == a.id, HourEntry.month.in_({rules.month_start(d) for d in days}),
        HourEntry.worked_on.between(days[0], days[-1])).order_by(HourEntry.worked_on, HourEntry.starts_at,
                                                                   HourEntry.id))
    found: dict[date, list[HourEntry]] = {d: [] for d in days}
    for row in rows:
        found[row.worked_on].append(row)
    return found


def month_statuses(a: MentorAssignment, months: list[date]) -> dict[date, HourMonth]:
    return {s.month: s for s in db.session.scalars(sa.select(HourMonth).where(
        HourMonth.assignment_id == a.id, HourMonth.month.in_(months)))}


# ---------------------------------------------------------------- the month

@dataclass
class ModuleProgress:
    name: str
    planned: int
    logged: Decimal
    approved: Decimal

    @property
    def percent(self) -> int:
        return min(100, int(self.logged * 100 / self.planned)) if self.planned else 0


@dataclass
class MonthView:
    assignment: MentorAssignment
    month: date
    sheet: HourMonth | None
    entries: list[HourEntry]
    progress: list[ModuleProgress]

    @property
    def total(self) -> Decimal:
        return sum((e.hours for e in self.entries), Decimal(0))

    @property
    def status(self) -> MonthStatus:
        return self.sheet.status if self.sheet is not None else MonthStatus.OPEN

    @property
    def disputed(self) -> list[HourEntry]:
        return [e for e in self.entries if e.dispute]


@cache
def _progress_statement() -> sa.Select[Any]:
    """The plan progress of the enrollment bound as ``enrollment_id``, in one statement: the modules' rows and
    the row of hours without a module joined by ``UNION ALL`` (the page ran them as two). Built once per
    process: building it cost more Python than running it."""
    enrollment_id = sa.bindparam("enrollment_id", type_=sa.Integer)
    approved = sa.select(HourMonth.assignment_id, HourMonth.month).where(
        HourMonth.enrollment_id == enrollment_id, HourMonth.status == MonthStatus.APPROVED).subquery()
    approved_hours = sa.case((approved.c.month.is_not(None), HourEntry.hours), else_=0)
    logged = sa.func.coalesce(sa.func.sum(HourEntry.hours), 0)
    ok = sa.func.coalesce(sa.func.sum(approved_hours), 0)
    on_approved = sa.and_(approved.c.assignment_id == HourEntry.assignment_id, approved.c.month == HourEntry.month)
    modules = (
        sa.select(sa.literal(0).label("without_module"), PlanModule.position.label("position"),
                  PlanModule.id.label("id"), PlanModule.name.label("name"),
                  PlanModule.planned_hours.label("planned"), logged.label("logged"), ok.label("ok"))
        .outerjoin(HourEntry, sa.and_(HourEntry.module_id == PlanModule.id, HourEntry.enrollment_id == enrollment_id))
        .outerjoin(approved, on_approved)
        .where(PlanModule.enrollment_id == enrollment_id)
        .group_by(PlanModule.id, PlanModule.name, PlanModule.planned_hours, PlanModule.position))
    # Hours logged without a module count too: shown on a row of their own, not lost from the picture.
    without_module = (
        sa.select(sa.literal(1), sa.literal(0), sa.cast(sa.null(), sa.Integer), sa.cast(sa.null(), sa.String),
                  sa.literal(0), logged, ok)
        .select_from(HourEntry)
        .outerjoin(approved, on_approved)
        .where(HourEntry.enrollment_id == enrollment_id, HourEntry.module_id.is_(None)))
    both = sa.union_all(modules, without_module).subquery()
    return sa.select(both).order_by(both.c.without_module, both.c.position, both.c.id)


def progress(enrollment_id: int) -> list[ModuleProgress]:
    """Hours logged (by both mentors) and approved per module of the training plan, against the planned hours;
    the hours logged without a module on a row of their own."""
    rows = db.session.execute(_progress_statement(), {"enrollment_id": enrollment_id})
    found = []
    for without, _position, _id, name, planned, hours, approved_total in rows:
        if not without:
            found.append(ModuleProgress(name, planned, Decimal(hours), Decimal(approved_total)))
        elif hours:
            # The translation cached per locale (Flask-Babel's own look-up is ~190 calls).
            found.append(ModuleProgress(gettext("未关联培训模块"), 0, Decimal(hours), Decimal(approved_total)))
    return found


@cache
def _month_entries_statement() -> sa.Select[tuple[HourEntry]]:
    """The entries (with their modules) of the assignment and month bound as ``assignment_id`` and ``month``, in
    day order: built once per process."""
    return (sa.select(HourEntry)
            .where(HourEntry.assignment_id == sa.bindparam("assignment_id"), HourEntry.month == sa.bindparam("month"))
            .order_by(HourEntry.worked_on, HourEntry.starts_at, HourEntry.id).options(joinedload(HourEntry.module)))


def month_view(actor: User, a: MentorAssignment, month: date) -> MonthView:
    entries = list(db.session.scalars(_month_entries_statement(), {"assignment_id": a.id, "month": month}))
    return MonthView(a, month, _sheet(a.id, month), entries, progress(a.enrollment_id))


def _transition(actor: User, sheet: HourMonth, to: MonthStatus, action: str, note: str = "") -> None:
    before = audit.snapshot(sheet, MONTH_FIELDS)
    sheet.status = to
    if note:
        sheet.note = note[:300]
    audit.record(actor, action, sheet, before=before, after=audit.snapshot(sheet, MONTH_FIELDS),
                 summary=f"{sheet.month.strftime('%Y-%m')}")


def submit_month(actor: User, a: MentorAssignment, month: date, now: datetime) -> HourMonth:
    require(actor, "mentor_hours.log")
    if not is_mentor_of(actor, a):
        raise_not_found()
    sheet = _sheet(a.id, month) or _open_sheet(a, month, now)
    if sheet.status not in EDITABLE:
        raise DomainError(_("该月已提交"), "month")
    total = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(HourEntry.hours), 0)).where(
        HourEntry.assignment_id == a.id, HourEntry.month == month))
    if not total:
        raise DomainError(_("该月还没有学时记录"), "month")
    still = db.session.scalar(sa.select(sa.func.count()).where(
        HourEntry.assignment_id == a.id, HourEntry.month == month, HourEntry.dispute != ""))
    if still:
        raise DomainError(_("还有 %(n)d 条有异议的记录未更正", n=still), "month")
    sheet.hours = Decimal(total)
    sheet.submitted_at, sheet.submitted_by_id = now, actor.id
    _transition(actor, sheet, MonthStatus.SUBMITTED, "submit_hours")
    db.session.commit()
    return sheet


def dispute_entry(actor: User, entry: HourEntry, comment: str) -> HourEntry:
    """The apprentice objects to one entry of a submitted month: the month goes back to the mentor."""
    a = entry.assignment
    if not is_apprentice_of(actor, a):
        raise_not_found()
    sheet = _sheet(a.id, entry.month)
    if sheet is None or sheet.status not in (MonthStatus.SUBMITTED, MonthStatus.DISPUTED):
        raise DomainError(_("只能对已提交待确认的月份提出异议"), "comment")
    if not comment.strip():
        raise DomainError(_("请写明异议内容"), "comment")
    before = audit.snapshot(entry, ENTRY_FIELDS)
    entry.dispute = comment.strip()[:300]
    audit.record(actor, "dispute_hours", entry, before=before, after=audit.snapshot(entry, ENTRY_FIELDS))
    if sheet.status is MonthStatus.SUBMITTED:
        _transition(actor, sheet, MonthStatus.DISPUTED, "dispute_hours")
    db.session.commit()
    return entry


def confirm_month(actor: User, a: MentorAssignment, month: date, now: datetime) -> HourMonth:
    if not is_apprentice_of(actor, a):
        raise_not_found()
    sheet = _sheet(a.id, month)
    if sheet is None or sheet.status is not MonthStatus.SUBMITTED:
        raise DomainError(_("只能确认已提交的月份"), "month")
    sheet.confirmed_at, sheet.confirmed_by_id = now, actor.id
    _transition(actor, sheet, MonthStatus.CONFIRMED, "confirm_hours")
    db.session.commit()
    return sheet


def approve_month(actor: User, a: MentorAssignment, month: date, now: datetime) -> HourMonth:
    require(actor, "mentor_hours.approve")
    if not is_hr_of(actor, a):
        raise_not_found()
    sheet = _sheet(a.id, month)
    if sheet is None or sheet.status is not MonthStatus.CONFIRMED:
        raise DomainError(_("只能审批学徒已确认的月份"), "month")
    before = tallies.approved_totals(a.mentor_id, a.enrollment.enterprise_id, month)
    sheet.approved_at, sheet.approved_by_id = now, actor.id
    _transition(actor, sheet, MonthStatus.APPROVED, "approve_hours")
    db.session.flush()
    _refresh_allowances(a.mentor_id, a.enrollment.enterprise_id, month, before)
    db.session.commit()
    return sheet


def reopen_month(actor: User, a: MentorAssignment, month: date, reason: str) -> HourMonth:
    require(actor, "mentor_hours.approve")
    if not is_hr_of(actor, a):
        raise_not_found()
    sheet = _sheet(a.id, month)
    if sheet is None or sheet.status is not MonthStatus.APPROVED:
        raise DomainError(_("只能重新打开已审批的月份"), "reason")
    if not reason.strip():
        raise DomainError(_("请填写重新打开的原因"), "reason")
    before = tallies.approved_totals(a.mentor_id, a.enrollment.enterprise_id, month)
    sheet.approved_at = sheet.approved_by_id = sheet.confirmed_at = sheet.confirmed_by_id = None
    sheet.allowance = sheet.flat = sheet.rule_id = None
    _transition(actor, sheet, MonthStatus.OPEN, "reopen_hours", note=reason.strip())
    db.session.flush()
    _refresh_allowances(a.mentor_id, a.enrollment.enterprise_id, month, before)
    db.session.commit()
    return sheet


# ---------------------------------------------------------------- allowances

def rules_of(enterprise_id: int) -> list[AllowanceRule]:
    return list(db.session.scalars(sa.select(AllowanceRule).where(AllowanceRule.enterprise_id == enterprise_id)
                                   .order_by(AllowanceRule.effective_from.desc())))


def _pure_rules(enterprise_id: int) -> list[rules.Rule]:
    return [rules.Rule(r.effective_from, r.kind.value, r.amount, r.monthly_cap, r.completion_bonus,
                       r.refund_on_early_end, r.id) for r in rules_of(enterprise_id)]


@dataclass
class RuleData:
    effective_from: date | None
    kind: AllowanceKind | None
    amount: Decimal | None
    monthly_cap: Decimal | None = None
    completion_bonus: Decimal | None = None
    refund_on_early_end: bool = False
    note: str = ""


def add_rule(actor: User, data: RuleData) -> AllowanceRule:
    require(actor, "mentor_hours.approve")
    if data.effective_from is None:
        raise DomainError(_("请填写生效日期"), "effective_from")
    if data.kind is None:
        raise DomainError(_("请选择计发方式"), "kind")
    if data.amount is None or data.amount < 0:
        raise DomainError(_("请填写不小于 0 的金额"), "amount")
    if data.monthly_cap is not None and data.monthly_cap < 0:
        raise DomainError(_("请填写不小于 0 的金额"), "monthly_cap")
    exists = db.session.scalar(sa.select(AllowanceRule.id).where(
        AllowanceRule.enterprise_id == actor.organisation_id, AllowanceRule.effective_from == data.effective_from))
    if exists is not None:
        raise DomainError(_("该生效日期已有规则"), "effective_from")
    rule = AllowanceRule(enterprise_id=actor.organisation_id, effective_from=data.effective_from, kind=data.kind,
                         amount=data.amount, monthly_cap=data.monthly_cap, completion_bonus=data.completion_bonus,
                         refund_on_early_end=data.refund_on_early_end, note=data.note.strip()[:200],
                         created_by_id=actor.id)
    with unique_or_domain_error(_("该生效日期已有规则"), "effective_from", commit=False):
        db.session.add(rule)
        audit.record(actor, "create", rule, after=audit.snapshot(rule, RULE_FIELDS))
    db.session.commit()
    return rule


@dataclass
class MentorStatement:
    mentor: Person
    enterprise_id: int
    statement: rules.Statement


def statement(mentor_id: int, enterprise_id: int, month: date) -> rules.Statement:
    """The mentor's allowance for the month from the approved months (hours by day) and the enterprise's rules."""
    found = _statements([HourMonth.mentor_id == mentor_id, HourMonth.enterprise_id == enterprise_id], month)
    return found.get((mentor_id, enterprise_id)) or rules.Statement(month, [], None, None)


def _statements(where: list[sa.ColumnElement[bool]], month: date) -> dict[tuple[int, int], rules.Statement]:
    """The statements of every (mentor, enterprise) with approved months matching ``where``, in a fixed number of
    queries whatever their number: the sheets, their hours by day, the flat amounts paid before, and the rules of
    each enterprise."""
    sheets = list(db.session.scalars(
        sa.select(HourMonth).where(HourMonth.month == month, HourMonth.status == MonthStatus.APPROVED, *where)
        .options(joinedload(HourMonth.enrollment).joinedload(Enrollment.person)).order_by(HourMonth.id)))
    if not sheets:
        return {}
    ids = [s.assignment_id for s in sheets]
    by_day: dict[int, dict[date, Decimal]] = {}
    for assignment_id, day, hours in db.session.execute(
            sa.select(HourEntry.assignment_id, HourEntry.worked_on, sa.func.sum(HourEntry.hours))
            .where(HourEntry.assignment_id.in_(ids), HourEntry.month == month)
            .group_by(HourEntry.assignment_id, HourEntry.worked_on)):
        by_day.setdefault(assignment_id, {})[day] = Decimal(hours)
    paid_before: dict[int, Decimal | None] = dict(db.session.execute(
        sa.select(HourMonth.assignment_id, sa.func.coalesce(sa.func.sum(HourMonth.flat), 0))
        .where(HourMonth.assignment_id.in_(ids), HourMonth.month < month, HourMonth.status == MonthStatus.APPROVED)
        .group_by(HourMonth.assignment_id)).tuples().all())
    enterprise_rules = {enterprise: _pure_rules(enterprise) for enterprise in {s.enterprise_id for s in sheets}}
    mentorships: dict[tuple[int, int], list[rules.Mentorship]] = {}
    for s in sheets:
        e = s.enrollment
        passed = e.assessed_on if e.assessment_passed else None
        mentorships.setdefault((s.mentor_id, s.enterprise_id), []).append(rules.Mentorship(
            s.assignment_id, e.person.name, e.starts_on, e.ends_on, e.withdrawn_on, passed,
            by_day.get(s.assignment_id, {}), Decimal(paid_before.get(s.assignment_id) or 0)))
    return {key: rules.monthly_allowance(month, lines, enterprise_rules[key[1]])
            for key, lines in mentorships.items()}


def _refresh_allowances(mentor_id: int, enterprise_id: int, month: date, before: tallies.Totals) -> None:
    """Write each approved month's share of the mentor's (capped) allowance, for payroll and the city's figures,
    and move the officials' tallies (app/mentor_hours/tallies.py) by what these sheets add up to now against
    ``before`` (their totals before the approval or reopening)."""
    st = statement(mentor_id, enterprise_id, month)
    by_assignment = {line.enrollment_id: line for line in st.lines}
    for sheet in db.session.scalars(sa.select(HourMonth).where(
            HourMonth.mentor_id == mentor_id, HourMonth.enterprise_id == enterprise_id, HourMonth.month == month,
            HourMonth.status == MonthStatus.APPROVED)):
        line = by_assignment.get(sheet.assignment_id)
        if line is not None:
            sheet.allowance, sheet.flat = line.amount, line.flat
            sheet.rule_id = line.rule.id if line.rule else None
    db.session.flush()
    tallies.apply(month, before, tallies.approved_totals(mentor_id, enterprise_id, month))


def statements(actor: User, month: date) -> list[MentorStatement]:
    """HR: every mentor of the enterprise with an approved month; a mentor: their own (per enterprise)."""
    if actor.has_role(Role.ENTERPRISE_HR):
        where = [HourMonth.enterprise_id == actor.organisation_id]
    elif actor.has_role(Role.MENTOR) and actor.person_id is not None:
        where = [HourMonth.mentor_id == actor.person_id]
    else:
        return []
    found = _statements(where, month)
    people = {p.id: p for p in db.session.scalars(sa.select(Person).where(Person.id.in_({m for m, _e in found})))}
    listed = [MentorStatement(people[m], e, st) for (m, e), st in found.items()]
    return sorted(listed, key=lambda s: (s.mentor.name, s.mentor.id))


def statement_for(actor: User, mentor_id: int, enterprise_id: int, month: date) -> MentorStatement:
    mine = actor.has_role(Role.MENTOR) and actor.person_id == mentor_id
    hr = actor.has_role(Role.ENTERPRISE_HR) and actor.organisation_id == enterprise_id
    if not (mine or hr):
        raise_not_found()
    person = db.session.get(Person, mentor_id)
    if person is None:
        raise_not_found()
    return MentorStatement(person, enterprise_id, statement(mentor_id, enterprise_id, month))


# ---------------------------------------------------------------- lists

def inbox(actor: User) -> dict[str, list[HourMonth]]:
    """What waits for the signed-in user: months to confirm (apprentice) or to approve (HR)."""
    found: dict[str, list[HourMonth]] = {"confirm": [], "approve": [], "mine": []}
    opts = (joinedload(HourMonth.enrollment).joinedload(Enrollment.person), joinedload(HourMonth.mentor))
    if actor.person_id is not None:
        found["confirm"] = list(db.session.scalars(
            sa.select(HourMonth).join(Enrollment, Enrollment.id == HourMonth.enrollment_id)
            .where(Enrollment.person_id == actor.person_id).order_by(HourMonth.month.desc(), HourMonth.id)
            .limit(24).options(*opts)))
    if actor.has_role(Role.ENTERPRISE_HR):
        found["approve"] = list(db.session.scalars(
            sa.select(HourMonth).where(HourMonth.enterprise_id == actor.organisation_id,
                                       HourMonth.status.in_([MonthStatus.CONFIRMED, MonthStatus.SUBMITTED,
                                                             MonthStatus.DISPUTED]))
            .order_by(HourMonth.month.desc(), HourMonth.id).limit(200).options(*opts)))
    return found


def entries_behind(actor: User, mentor_id: int | None, month: date | None, day: date | None,
                   ids: list[int]) -> list[HourEntry]:
    """The entries a risk prompt points at, within what the user may see (officials: district; HR: own)."""
    if ids:
        stmt = sa.select(HourEntry).where(HourEntry.id.in_(ids[:200]))
    elif mentor_id is not None and (day is not None or month is not None):
        stmt = sa.select(HourEntry).where(HourEntry.mentor_id == mentor_id)
        stmt = stmt.where(HourEntry.worked_on == day) if day else stmt.where(HourEntry.month == month)
    else:
        return []
    if is_municipal_official(actor):
        pass
    elif official_district(actor) is not None:
        stmt = stmt.where(HourEntry.district == official_district(actor))
    elif actor.has_role(Role.ENTERPRISE_HR):
        stmt = stmt.where(HourEntry.enterprise_id == actor.organisation_id)
    elif actor.has_role(Role.MENTOR) and actor.person_id is not None:
        stmt = stmt.where(HourEntry.mentor_id == actor.person_id)
    else:
        return []
    return list(db.session.scalars(stmt.order_by(HourEntry.worked_on, HourEntry.starts_at, HourEntry.id).limit(500)
                                   .options(joinedload(HourEntry.enrollment).joinedload(Enrollment.person))))


def mentor_names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(Person.id, Person.name).where(Person.id.in_(ids))).tuples().all())


# ---------------------------------------------------------------- figures for the supervision dashboard

def mentor_hours_by_month(session: sa.orm.Session | sa.orm.scoped_session[Any], year: int,
                          district_id: District | str | None = None) -> list[dict[str, Any]]:
    """Approved 带徒 hours and allowances per month of ``year``, from the tallies kept on approval and reopening
    (app/mentor_hours/tallies.py: at most 12 × 16 rows, whatever the number of month sheets):
    ``[{"month": 1..12, "hours": Decimal, "allowance": Decimal, "sheets": int}]`` for every month, zero where
    nothing was approved. ``sheets`` counts approved mentor-apprentice months (带徒人月)."""
    found = {m.month: row for m, row in tallies.by_month(year, District(district_id) if district_id else None).items()}
    empty = (0, 0, 0)
    return [{"month": n, "hours": Decimal(found.get(n, empty)[0] or 0),
             "allowance": Decimal(found.get(n, empty)[1] or 0), "sheets": int(found.get(n, empty)[2] or 0)}
            for n in range(1, 13)]


def parse_decimal(text: str | None) -> Decimal | None:
    try:
        return Decimal(text) if text not in (None, "") else None
    except InvalidOperation:
        return None
