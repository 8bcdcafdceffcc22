"""Demo 带徒学时: the demo mentor (孙师傅) logs hours with the apprentices of the 数控车工 class — two months
approved, last month submitted, this month being filled — the enterprise's allowance rule, and a few entries that
raise risk prompts (back-filled, a 13-hour day, overlapping sessions, hours after a withdrawal). An ``apprentice``
sign-in belongs to one of the apprentices. Idempotent: nothing is added once the mentor has entries.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa

from app.apprenticeships.enums import EnrollmentStatus, MentorKind
from app.apprenticeships.models import ApprenticeClass, Enrollment, MentorAssignment
from app.core import clock
from app.core.demo import DEMO_PASSWORD
from app.core.enums import Role
from app.core.models import PolicyValue, User
from app.extensions import db
from app.mentor_hours import rules, services, tallies
from app.mentor_hours.models import AllowanceKind, AllowanceRule, HourEntry, HourMonth, MonthStatus

CLASS_NAME = "2025级数控车工学徒班"
POLICIES = [
    ("mentor.daily_hours_limit", "12", "单日超过12小时提示"),
    ("mentor.monthly_hours_ceiling", "120", "每名导师每月带徒学时上限（演示）"),
    ("mentor.backfill_days", "7", "登记晚于带徒日期7天以上提示补录"),
    ("mentor.submission_day", "5", "次月5日前提交上月带徒学时"),
]
CONTENT = [("数控车床安全操作与对刀", "一车间"), ("外圆与端面车削", "一车间"), ("螺纹加工与测量", "质检室"),
           ("零件图识读与工艺卡", "培训教室")]


def _policies() -> None:
    for key, value, note in POLICIES:
        exists = db.session.scalar(sa.select(PolicyValue.id).where(
            PolicyValue.key == key, PolicyValue.district.is_(None), PolicyValue.effective_from == date(2021, 10, 1)))
        if exists is None:
            db.session.add(PolicyValue(key=key, qualifier="", district=None, effective_from=date(2021, 10, 1),
                                       value=Decimal(value), note=note))


def _entry(a: MentorAssignment, day: date, start: time, end: time, content: str, place: str, module_id: int | None,
           logged_on: date, by: User | None) -> HourEntry:
    e = a.enrollment
    row = HourEntry(assignment_id=a.id, enrollment_id=e.id, mentor_id=a.mentor_id, enterprise_id=e.enterprise_id,
                    district=e.district, worked_on=day, month=rules.month_start(day), starts_at=start, ends_at=end,
                    hours=rules.hours_between(start, end), module_id=module_id, content=content, place=place,
                    logged_by_id=by.id if by else None, logged_on=logged_on, lag_days=(logged_on - day).days,
                    created_at=datetime(logged_on.year, logged_on.month, logged_on.day, 6, tzinfo=UTC))
    db.session.add(row)
    return row


def seed(today: date) -> str:
    _policies()
    klass = db.session.scalar(sa.select(ApprenticeClass).where(ApprenticeClass.name == CLASS_NAME))
    mentor_user = db.session.scalar(sa.select(User).where(User.username == "mentor"))
    hr = db.session.scalar(sa.select(User).where(User.username == "hr"))
    if klass is None or mentor_user is None or mentor_user.person_id is None:
        return "demo mentor hours skipped (no demo class or mentor)"
    if db.session.scalar(sa.select(HourEntry.id).where(HourEntry.mentor_id == mentor_user.person_id).limit(1)):
        return "demo mentor hours ready (0 new entries)"
    if db.session.scalar(sa.select(AllowanceRule.id).where(AllowanceRule.enterprise_id == klass.enterprise_id)) is None:
        db.session.add(AllowanceRule(enterprise_id=klass.enterprise_id, effective_from=date(2025, 1, 1),
                                     kind=AllowanceKind.PER_HOUR, amount=Decimal("60"), monthly_cap=Decimal("1500"),
                                     completion_bonus=Decimal("500"), note="带徒津贴：每小时60元，每月不超过1500元"))
    assignments = list(db.session.scalars(
        sa.select(MentorAssignment).join(Enrollment, Enrollment.id == MentorAssignment.enrollment_id)
        .where(Enrollment.class_id == klass.id, MentorAssignment.kind == MentorKind.ENTERPRISE)
        .order_by(Enrollment.id)))
    this = rules.month_start(today)
    months = [rules.month_start(this - timedelta(days=70)), rules.month_start(this - timedelta(days=40)),
              rules.month_start(this - timedelta(days=1)), this]
    made = 0
    for n, a in enumerate(assignments):
        e = a.enrollment
        modules = [m.id for m in e.modules]
        for month in months:
            for day in rules.month_days(month):
                if day > today or day.weekday() >= 5 or (day.day + n) % 3 != 0:
                    continue
                if e.withdrawn_on and day > e.withdrawn_on and not (n == 4 and month == months[-2]):
                    continue
                content, place = CONTENT[(day.day + n) % len(CONTENT)]
                start = time(9 + (n % 2) * 5, 0)
                _entry(a, day, start, time(start.hour + 2, 30), content, place,
                       modules[(day.day + n) % len(modules)] if modules else None, day, mentor_user)
                made += 1
        # Risk prompts: a back-filled entry, a 13-hour day, overlapping sessions with two apprentices.
        if n == 0:
            late_day = months[-2] + timedelta(days=2)
            _entry(a, late_day, time(8), time(21), "夜班设备调试带教", "一车间", None,
                   min(today, late_day + timedelta(days=20)), mentor_user)
            made += 1
        if n == 1:
            overlap_day = months[-2] + timedelta(days=2)  # the 13-hour day of the first apprentice
            _entry(a, overlap_day, time(9, 30), time(11), "量具使用", "质检室", None, overlap_day, mentor_user)
            made += 1
    db.session.flush()
    # Months: the two oldest approved (allowance computed), last month submitted for the first apprentice.
    now = clock.now()
    before = {month: tallies.approved_totals(mentor_user.person_id, klass.enterprise_id, month)
              for month in months[:2]}
    for n, a in enumerate(assignments):
        e = a.enrollment
        for month in months[:-1]:
            hours = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(HourEntry.hours), 0)).where(
                HourEntry.assignment_id == a.id, HourEntry.month == month))
            if not hours:
                continue
            status = MonthStatus.APPROVED if month in months[:2] else (
                MonthStatus.SUBMITTED if n == 0 else MonthStatus.OPEN)
            sheet = HourMonth(assignment_id=a.id, enrollment_id=e.id, mentor_id=a.mentor_id,
                              enterprise_id=e.enterprise_id, district=e.district, month=month, status=status,
                              hours=Decimal(hours), submitted_at=now if status is not MonthStatus.OPEN else None,
                              submitted_by_id=mentor_user.id if status is not MonthStatus.OPEN else None)
            if status is MonthStatus.APPROVED:
                sheet.confirmed_at, sheet.approved_at = now, now
                sheet.approved_by_id = hr.id if hr else None
            db.session.add(sheet)
    db.session.flush()
    for month in months[:2]:
        services._refresh_allowances(mentor_user.person_id, klass.enterprise_id, month,  # noqa: SLF001
                                     before[month])
    _apprentice_user(assignments)
    db.session.commit()
    return f"demo mentor hours ready ({made} new entries)"


def _apprentice_user(assignments: list[MentorAssignment]) -> None:
    """A sign-in for the first apprentice in training (confirms the submitted month)."""
    if db.session.scalar(sa.select(User.id).where(User.username == "apprentice")) is not None:
        return
    first = next((a.enrollment for a in assignments if a.enrollment.status is EnrollmentStatus.IN_TRAINING), None)
    if first is None:
        return
    user = User(username="apprentice", display_name=first.person.name, organisation_id=first.enterprise_id,
                person_id=first.person_id, email="apprentice@demo.jinengtong.example")
    user.set_password(DEMO_PASSWORD)
    user.set_roles({Role.PERSON})
    db.session.add(user)
